import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { JobRegistry } from '../../src/core/jobs/registry';
import { connection, type LoopbackCluster, loopbackCluster } from '../integration/cluster';
import { type CodeServer, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openWorkbench, showViewContainer } from './workbench';

/**
 * The Jobs view while its cluster cannot be reached, in a real VS Code: the cluster's sshd is
 * reached through a TCP relay this test owns, so "the network goes down" is the relay closing
 * every connection and refusing new ones, and "it comes back" is the relay listening again on the
 * same port. A real Slurm job (sleep) stays RUNNING on the loopback cluster all along.
 */
let c: LoopbackCluster;
let server: CodeServer;
let browser: Browser;
let page: Page;
let relay: Server | undefined;
const sockets = new Set<Socket>();
let relayPort = 0;
let jobId = '';
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');

function listen(port: number): Promise<Server> {
  const s = createServer((client) => {
    const upstream = netConnect(c.port, c.host);
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => sock.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function down(): Promise<void> {
  const s = relay;
  relay = undefined;
  for (const sock of sockets) sock.destroy();
  return new Promise((r) => (s ? s.close(() => r()) : r()));
}

before(async () => {
  c = loopbackCluster();
  relay = await listen(0);
  relayPort = (relay.address() as { port: number }).port;
  const known = path.join(ROOT, '.test-run', `known_hosts-relay-${relayPort}`);
  writeFileSync(
    known,
    readFileSync(c.knownHosts, 'utf8').replaceAll(`[${c.host}]:${c.port}`, `[${c.host}]:${relayPort}`),
  );

  const tag = `cl-stale-${Date.now().toString(36)}`;
  const runDir = `${c.home}/corpus-lab-stale/runs/${tag}`;
  const conn = connection(c);
  assert.equal((await conn.exec(['mkdir', '-p', runDir])).code, 0);
  const r = await conn.exec([
    'sbatch',
    '--parsable',
    `--comment=${tag}`,
    '--job-name=stale/cpt/Tiny-A',
    `--output=${runDir}/slurm.log`,
    '--wrap=sleep 600',
  ]);
  conn.dispose();
  assert.equal(r.code, 0, r.stderr);
  jobId = r.stdout.trim().split(';')[0];

  server = await startCodeServer(path.join(ROOT, 'test', 'fixtures', 'e2e-study'), {
    'git.enabled': false,
    'corpusLab.clusters': [
      {
        name: 'flaky',
        host: c.host,
        port: relayPort,
        user: c.user,
        identityFiles: [c.key],
        knownHostsFiles: [known],
        useAgent: false,
      },
    ],
    'corpusLab.jobs': { pollSeconds: 2 },
  });
  mkdirSync(path.join(server.workspace, '.corpus-lab'), { recursive: true });
  const registry = new JobRegistry(path.join(server.workspace, '.corpus-lab', 'jobs.json'));
  const now = new Date().toISOString();
  await registry.put({
    tag,
    cluster: 'flaky',
    study: 'stale',
    stage: 'cpt',
    model: 'Tiny-A',
    name: 'stale/cpt/Tiny-A',
    runDir,
    script: `${runDir}/job.sbatch`,
    log: `${runDir}/slurm.log`,
    dependsOn: [],
    jobId,
    state: 'PENDING',
    submittedAt: now,
    updatedAt: now,
    sbatch: [],
    resources: {},
  });
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await down();
  if (jobId) {
    const conn = connection(c);
    await conn.exec(['scancel', jobId]).catch(() => undefined);
    conn.dispose();
  }
});

test('an unreachable cluster marks its live rows disconnected with the last good poll; they recover when it answers again', async () => {
  await showViewContainer(page, 'Corpus Lab');
  const row = page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row', { hasText: 'Tiny-A' });
  const rowText = async () => ((await row.count()) > 0 ? await row.first().innerText() : '');
  const until = async (what: string, ok: (t: string) => boolean, ms = 60_000) => {
    const deadline = Date.now() + ms;
    let t = '';
    while (Date.now() < deadline) {
      t = await rowText();
      if (ok(t)) return t;
      await page.waitForTimeout(500);
    }
    assert.fail(`${what}: the row says ${JSON.stringify(t)}`);
  };

  const running = await until('RUNNING through the relay', (t) => t.includes('RUNNING'));
  assert.ok(!running.includes('disconnected'), running);

  await down();
  const stale = await until('marked disconnected', (t) => t.includes('disconnected'));
  // The row keeps Slurm's last word and says since when it has not been confirmed.
  assert.match(stale, /RUNNING/);
  assert.match(stale, /disconnected — last good poll \d{1,2}:\d{2}:\d{2}/);
  await page.screenshot({ path: path.join(SHOTS, 'jobs-stale.png') });

  relay = await listen(relayPort);
  const back = await until('recovered', (t) => t.includes('RUNNING') && !t.includes('disconnected'), 120_000);
  assert.match(back, /RUNNING/);
});
