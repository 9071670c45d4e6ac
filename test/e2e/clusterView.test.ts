import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { connection, type LoopbackCluster, loopbackCluster, sshProfile } from '../integration/cluster';
import { type CodeServer, paperWorkspace, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openWorkbench, runCommand, showViewContainer } from './workbench';

/**
 * The Cluster view in a real VS Code: the loopback partition's 8 GPUs while a job holds 3 of
 * them, the user's pending job with its reason and estimated start, and the node drained.
 */
let c: LoopbackCluster;
let conn: ClusterConnection;
let server: CodeServer;
let browser: Browser;
let page: Page;
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');
const NODE = hostname().split('.')[0];
const REASON = 'GPU 3 ECC errors';
const jobs: string[] = [];
let drained = false;

const scontrol = (...args: string[]) =>
  execFileSync('scontrol', args, { encoding: 'utf8', env: { ...process.env, SLURM_CONF: c.slurmConf } });

async function sbatch(...args: string[]): Promise<string> {
  const r = await conn.exec(['sbatch', '--parsable', '--chdir=/tmp', '--output=/dev/null', ...args]);
  assert.equal(r.code, 0, r.stderr);
  jobs.push(r.stdout.trim());
  return r.stdout.trim();
}

before(async () => {
  c = loopbackCluster();
  conn = connection(c);
  const ws = paperWorkspace();
  server = await startCodeServer(ws.dir, {
    'git.enabled': false,
    'corpusLab.clusters': [sshProfile(c)],
    'corpusLab.jobs': { pollSeconds: 2 },
  });
  ws.remove();
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  if (drained) scontrol('update', `NodeName=${NODE}`, 'State=RESUME');
  if (jobs.length) await conn.exec(['scancel', ...jobs]);
  conn?.dispose();
  await browser?.close();
  await server?.stop();
});

const pane = () => page.locator('.pane:has(.pane-header:has-text("Cluster"))');

/** Waits until the Cluster view shows a row containing each of `texts`; returns all its rows. */
async function rowsWith(...texts: string[]): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  let rows: string[] = [];
  while (Date.now() < deadline) {
    // A row as "label description": the workbench renders the two without a space between them.
    rows = await pane()
      .locator('.monaco-list-row')
      .evaluateAll((els) =>
        els.map((e) =>
          [e.querySelector('.label-name')?.textContent, e.querySelector('.label-description')?.textContent]
            .filter(Boolean)
            .join(' '),
        ),
      );
    if (texts.every((t) => rows.some((r) => r.includes(t)))) return rows;
    await page.waitForTimeout(300);
  }
  throw new Error(`the Cluster view never showed ${JSON.stringify(texts)}; it shows:\n${rows.join('\n')}`);
}

test('the Cluster view: the partition GPUs, the pending job with its reason and start, the drained node', async () => {
  const running = await sbatch('--gres=gpu:3', '--time=5', '--job-name=e2e-holds-3', '--wrap=sleep 300');
  await showViewContainer(page, 'Corpus Lab');
  const header = pane().locator('.pane-header');
  await header.waitFor();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  await runCommand(page, 'Corpus Lab: Refresh Cluster');
  await rowsWith('loopback', 'GPUs: 5 idle · 3 allocated · 0 down of 8');
  await rowsWith('gpu GPUs: 5 idle · 3 allocated · 0 down of 8 — nodes: 0 idle · 1 mixed · 0 allocated · 0 down');

  const big = await sbatch('--gres=gpu:8', '--time=10', '--job-name=e2e-needs-8', '--wrap=sleep 10');
  const pending = await rowsWith(`e2e-needs-8 (${big}) Resources · estimated start `, 'Your pending jobs (1)');
  assert.ok(
    pending.some((r) => new RegExp(`^e2e-needs-8 \\(${big}\\) Resources · estimated start \\S+ · 8 GPUs$`).test(r)),
    pending.join('\n'),
  );

  scontrol('update', `NodeName=${NODE}`, 'State=DRAIN', `Reason=${REASON}`);
  drained = true;
  await rowsWith(`${NODE} draining — ${REASON}`, 'GPUs: 0 idle · 3 allocated · 5 down of 8');
  await conn.exec(['scancel', running]);
  const after = await rowsWith(
    `${NODE} drained — ${REASON}`,
    'gpu GPUs: 0 idle · 0 allocated · 8 down of 8 — nodes: 0 idle · 0 mixed · 0 allocated · 1 down',
  );
  assert.ok(after.includes(`loopback GPUs: 0 idle · 0 allocated · 8 down of 8`), after.join('\n'));
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'cluster-view.png') });
});
