import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import {
  AuthenticationError,
  type ClusterConnection,
  CommandTimeoutError,
  ConnectError,
  MAX_CHANNELS,
  MAX_FOLLOWS,
} from '../../src/core/cluster/connection';
import { readRemoteFile, sftpCall, sftpRequest, uploadAtomic } from '../../src/core/cluster/sftp';
import type { ConnectionState } from '../../src/core/cluster/transport';
import { LogFollower } from '../../src/core/logs/logFollower';
import { CLUSTER_DIR, connection, type LoopbackCluster, local, loopbackCluster } from './cluster';

/**
 * What must not hang, starve or hammer the login node, against the real sshd of the loopback
 * cluster and, where a test needs sshd settings of its own (LoginGraceTime), a second sshd on
 * another loopback port started here as root and killed at the end.
 */
let c: LoopbackCluster;
let scratch: string;
const run = `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const children: ChildProcess[] = [];
const made: ClusterConnection[] = [];
const followers: LogFollower[] = [];

/** Connections and followers are closed at the end even when a test fails half-way, so the file never hangs. */
function tracked(...args: Parameters<typeof connection>): ClusterConnection {
  const conn = connection(...args);
  made.push(conn);
  return conn;
}

function follow(...args: ConstructorParameters<typeof LogFollower>): LogFollower {
  const f = new LogFollower(...args);
  followers.push(f);
  return f;
}

before(() => {
  c = loopbackCluster();
  scratch = mkdtempSync(path.join(tmpdir(), 'corpus-lab-rel-'));
});

after(() => {
  for (const f of followers) f.stop();
  for (const conn of made) conn.dispose();
  for (const p of children) p.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails (instead of hanging the suite) when `p` has not settled within `ms`: the bugs here were hangs. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) => (t = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(t));
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

let nextPort = 2230 + Math.floor(Math.random() * 50);

/** A second real sshd, configured like the cluster's but on its own port and with `extra` settings. */
async function extraSshd(extra: string[]): Promise<{ port: number; log: string; stop: () => void }> {
  const port = nextPort++;
  const base = readFileSync(`${CLUSTER_DIR}/ssh/sshd_config`, 'utf8')
    .split('\n')
    // Our settings replace the cluster's (sshd takes the first value of most keywords).
    .filter((l) => !/^(Port|PidFile)\b/.test(l) && !extra.some((e) => l.split(/\s/)[0] === e.split(/\s/)[0]))
    .join('\n');
  const cfg = path.join(scratch, `sshd_${port}.conf`);
  const log = path.join(scratch, `sshd_${port}.log`);
  writeFileSync(cfg, `${extra.join('\n')}\nPort ${port}\nPidFile ${scratch}/sshd_${port}.pid\n${base}\n`);
  const p = spawn('/usr/sbin/sshd', ['-D', '-f', cfg, '-E', log], { stdio: 'ignore' });
  children.push(p);
  await until(`sshd on port ${port}`, () => existsSync(log) && /Server listening/.test(readFileSync(log, 'utf8')));
  return { port, log, stop: () => p.kill('SIGTERM') };
}

function countStates(conn: ClusterConnection, state: ConnectionState): () => number {
  let n = 0;
  conn.on('state', (s: ConnectionState) => (n += s === state ? 1 : 0));
  return () => n;
}

test('the server closing during authentication (LoginGraceTime while a passphrase is asked) fails at once, naming the stage', async () => {
  const sshd = await extraSshd(['LoginGraceTime 1']);
  const key = path.join(scratch, 'id_slow');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pw', '-f', key]);
  const conn = tracked(
    c,
    'grace',
    { port: sshd.port, identityFiles: [key], readyTimeoutMs: 60_000 },
    {
      knownHostsFiles: [writeKnownHosts(sshd.port)],
      // The user takes four seconds to type; sshd gives up after one and closes without a word.
      passphrase: async () => {
        await sleep(4000);
        return 'pw';
      },
    },
  );
  const t0 = Date.now();
  await assert.rejects(
    within(conn.exec(['true']), 3500, 'exec on a connection closed by sshd'),
    (e: Error) =>
      e instanceof ConnectError &&
      new RegExp(`${c.user}@127\\.0\\.0\\.1:${sshd.port}: the server closed the connection during authentication`).test(
        e.message,
      ),
  );
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(conn.state, 'failed');
  conn.dispose();
  sshd.stop();
});

/** known_hosts for another port of the same sshd host key. */
function writeKnownHosts(port: number): string {
  const f = path.join(scratch, `known_hosts_${port}`);
  writeFileSync(f, readFileSync(c.knownHosts, 'utf8').replace(`[${c.host}]:${c.port}`, `[${c.host}]:${port}`));
  return f;
}

test('a peer that accepts and never speaks: the whole connection attempt has one deadline, with the stage named', async () => {
  const silent: Server = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  const conn = tracked(c, 'silent', { port, readyTimeoutMs: 1000 });
  await assert.rejects(
    within(conn.exec(['true']), 5000, 'exec against a silent peer'),
    (e: Error) =>
      e instanceof ConnectError &&
      e.message === `silent: no connection within 1 s (stuck at: key exchange with corpuslab@127.0.0.1:${port})`,
  );
  conn.dispose();
  silent.close();
});

/** A real ssh-agent holding `n` keys the server does not know (and, optionally, the right one last). */
async function agentWith(n: number, withRight: boolean): Promise<string> {
  const dir = mkdtempSync(path.join(scratch, 'agent-'));
  const sock = path.join(dir, 'agent.sock');
  const p = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  children.push(p);
  await until('ssh-agent', () => existsSync(sock));
  for (let i = 0; i < n; i++) {
    const k = path.join(dir, `wrong${i}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k]);
    execFileSync('ssh-add', ['-q', k], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  }
  if (withRight)
    execFileSync('ssh-add', ['-q', c.key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  assert.equal(
    execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' })
      .trim()
      .split('\n').length,
    n + (withRight ? 1 : 0),
  );
  return sock;
}

test('an agent with seven other keys: the identity file is offered first, so sshd (MaxAuthTries 6) lets us in', async () => {
  const sock = await agentWith(7, false);
  const conn = tracked(c, 'many-keys', { agent: sock, identityFiles: [c.key] });
  assert.equal((await within(conn.exec(['echo', 'in']), 10_000, 'login')).stdout, 'in\n');
  conn.dispose();
  // The right key held by the agent too (an encrypted key's usual set-up): signed by the agent, first.
  const sock2 = await agentWith(7, true);
  const viaAgent = tracked(c, 'agent-signs', { agent: sock2, identityFiles: [c.key] });
  assert.equal((await within(viaAgent.exec(['echo', 'agent']), 10_000, 'login')).stdout, 'agent\n');
  viaAgent.dispose();
});

test('"Too many authentication failures" is an authentication failure: named, not retried until the user acts', async () => {
  const sock = await agentWith(7, false);
  const conn = tracked(c, 'too-many', { agent: sock, identityFiles: [] });
  const failed = countStates(conn, 'failed');
  const e = await within(
    conn.exec(['true']).catch((x: Error) => x),
    10_000,
    'login',
  );
  assert.ok(e instanceof AuthenticationError, String(e));
  assert.match(
    e.message,
    /corpuslab@127\.0\.0\.1:2222: the server refused more keys \("Too many authentication failures"\) after 7 offered/,
  );
  // Every later caller gets the same failure at once: no login attempt of its own.
  const t0 = Date.now();
  const again = await conn.exec(['true']).catch((x: Error) => x);
  assert.equal(again, e);
  assert.ok(Date.now() - t0 < 100);
  await sleep(1500);
  assert.equal(failed(), 1);
  assert.equal(conn.blockedBy, e);
  conn.dispose();
});

test('nine followers of an unreachable cluster share the backoff: a few attempts in 4 s, not one per follower per second', async () => {
  const sshd = await extraSshd([]);
  sshd.stop(); // its port is now closed: the cluster is down
  await sleep(300);
  const conn = tracked(c, 'down', { port: sshd.port }, { knownHostsFiles: [writeKnownHosts(sshd.port)] });
  const failed = countStates(conn, 'failed');
  const nine = Array.from({ length: 9 }, (_, i) => follow(conn, `/tmp/none-${i}.log`));
  const problems: string[] = [];
  for (const f of nine) {
    f.on('problem', (e: Error) => problems.push(e.message));
    f.start();
  }
  await sleep(4000);
  // Backoff 0, 250, 500, 1000, 2000 ms: five attempts in four seconds (the old code: ~36).
  assert.ok(failed() >= 4 && failed() <= 6, `attempts: ${failed()}`);
  // Each follower says what is wrong once, not once per attempt.
  assert.equal(problems.length, 9);
  assert.match(problems[0], new RegExp(`127\\.0\\.0\\.1:${sshd.port}: connect ECONNREFUSED`));
  for (const f of nine) f.stop();
  conn.dispose();
});

test('a log opened while the cluster is down follows once it is back; an authentication failure stops retries until retry()', async () => {
  const port = nextPort++;
  const known = writeKnownHosts(port);
  const conn = tracked(c, 'later', { port }, { knownHostsFiles: [known] });
  const file = `${c.home}/later-${run}.log`;
  local('runuser', ['-u', c.user, '--', 'sh', '-c', `printf 'line one\\nline two\\n' > ${file}`]);
  const follower = follow(conn, file);
  const lines: string[] = [];
  const problems: string[] = [];
  follower.on('lines', (l: string[]) => lines.push(...l));
  follower.on('problem', (e: Error) => problems.push(e.message));
  follower.start();
  await until('the first failure', () => problems.length > 0);
  assert.match(problems[0], /ECONNREFUSED/);
  // The cluster comes up (sshd on that port): the follower gets there by itself, with the file whole.
  const base = readFileSync(`${CLUSTER_DIR}/ssh/sshd_config`, 'utf8')
    .split('\n')
    .filter((l) => !/^(Port|PidFile)\b/.test(l))
    .join('\n');
  writeFileSync(path.join(scratch, 'later.conf'), `Port ${port}\nPidFile ${scratch}/later.pid\n${base}\n`);
  const sshd = spawn(
    '/usr/sbin/sshd',
    ['-D', '-f', path.join(scratch, 'later.conf'), '-E', path.join(scratch, 'later.log')],
    { stdio: 'ignore' },
  );
  children.push(sshd);
  await until('the log lines', () => lines.length === 2, 40_000);
  assert.deepEqual(lines, ['line one', 'line two']);
  follower.stop();
  conn.dispose();
  sshd.kill('SIGTERM');

  // A key the server refuses: one attempt, then nothing until the user retries.
  const refused = tracked(c, 'refused', { identityFiles: [path.join(scratch, 'id_slow')] });
  const failed = countStates(refused, 'failed');
  const f2 = follow(refused, file);
  const states: string[] = [];
  f2.on('state', (s: string) => states.push(s));
  f2.on('problem', () => undefined);
  f2.start();
  await until('the block', () => states.includes('blocked'));
  await sleep(2000);
  assert.equal(failed(), 1);
  await assert.rejects(refused.retry(), AuthenticationError);
  assert.equal(failed(), 2);
  f2.stop();
  refused.dispose();
});

test(`nine open logs: ${MAX_FOLLOWS} follow, the rest wait; squeue and sbatch still run; a log closed while queued never starts a tail`, async () => {
  const conn = tracked(c, 'nine');
  const dir = `${c.home}/nine-${run}`;
  await conn.exec(['mkdir', '-p', dir]);
  const files = Array.from({ length: 9 }, (_, i) => `${dir}/log${i}.txt`);
  const nine = files.map((f) => follow(conn, f, { offset: 0 }));
  const following = new Set<number>();
  nine.forEach((f, i) => {
    f.on('state', (s: string) => s === 'following' && following.add(i));
    f.on('problem', () => undefined);
    f.start();
  });
  await until('six follows', () => conn.load.follows === MAX_FOLLOWS && conn.load.followsQueued === 3);
  const tails = () =>
    local('sh', ['-c', `pgrep -u ${c.user} -a tail || true`])
      .split('\n')
      .filter((l) => l.includes(dir));
  await until('six tails on the cluster', () => tails().length === MAX_FOLLOWS);
  // Short commands are not starved: a poll and a submission complete at once.
  const squeue = await within(conn.exec(['squeue', '-h', '-o', '%i']), 5000, 'squeue beside nine logs');
  assert.equal(squeue.code, 0);
  const sbatch = await within(
    conn.exec(['sbatch', '--parsable', `--output=${dir}/job.out`, '--wrap', 'echo hi']),
    10_000,
    'sbatch beside nine logs',
  );
  assert.match(sbatch.stdout, /^\d+\n$/);
  await conn.exec(['scancel', sbatch.stdout.trim()]);
  // Close a log that is still waiting, then one that follows: the freed slot goes to a waiting log, not the closed one.
  const queued = [...nine.keys()].filter((i) => !following.has(i));
  assert.equal(queued.length, 3);
  nine[queued[0]].stop();
  nine[[...following][0]].stop();
  await until('the next waiting log to start', () => following.has(queued[1]) || following.has(queued[2]));
  await sleep(500);
  const running = tails();
  assert.equal(running.length, MAX_FOLLOWS, running.join('\n'));
  assert.ok(!running.some((l) => l.endsWith(files[queued[0]])), `the closed log's tail runs: ${running.join('\n')}`);
  for (const f of nine) f.stop();
  await until('no tail left', () => tails().length === 0);
  await until('every channel released', () => conn.load.inUse === 0 && conn.load.follows === 0);
  await conn.exec(['rm', '-rf', '--', dir]);
  conn.dispose();
});

test('commands: a queued one times out with a message, a running one past its limit is stopped on the cluster', async () => {
  const conn = tracked(c, 'limits');
  const marker = `${run}-hold`;
  const holders = Array.from({ length: MAX_CHANNELS }, () => conn.exec(['sh', '-c', `sleep 3; echo ${marker}`]));
  await until('all channels held', () => conn.load.inUse === MAX_CHANNELS);
  await assert.rejects(conn.exec(['true'], { queueTimeoutMs: 300 }), {
    message:
      'limits: no SSH channel came free within 0.3 s for "true" (10 in use, 0 of them following logs; 1 waiting)',
  });
  await Promise.all(holders);
  const e = await conn.exec(['sleep', '31.25'], { timeoutMs: 500 }).catch((x: Error) => x);
  assert.ok(e instanceof CommandTimeoutError, String(e));
  assert.equal(e.message, '"sleep 31.25" did not finish within 0.5 s and was stopped');
  await until(
    'the remote sleep to be gone',
    () => local('sh', ['-c', `pgrep -u ${c.user} -f 'sleep 31.25' || true`]).trim() === '',
    5000,
  );
  assert.equal(conn.load.inUse, 0);
  conn.dispose();
});

test('SFTP: a request the server cannot answer (a FIFO) times out, and the next request gets a fresh session', async () => {
  const conn = tracked(c, 'fifo');
  const fifo = `${c.home}/fifo-${run}`;
  await conn.exec(['mkfifo', fifo]);
  const sftp = await conn.sftp();
  await assert.rejects(
    sftpRequest(sftp, fifo, 500, (done) => sftp.open(fifo, 'r', (err, h) => done(err, h))),
    {
      message: `${fifo}: no answer from the cluster's SFTP server within 0.5 s (is it a FIFO, or on a hung file system?)`,
    },
  );
  const fresh = await conn.sftp();
  assert.notEqual(fresh, sftp);
  const files = await conn.files();
  assert.equal((await sftpCall.stat(files, c.home)).isDirectory(), true);
  await uploadAtomic(files, 'ok\n', `${c.home}/after-fifo-${run}.txt`);
  assert.equal((await readRemoteFile(files, `${c.home}/after-fifo-${run}.txt`)).toString(), 'ok\n');
  // Release the blocked reader on the server, then clean up.
  await conn.exec([
    'sh',
    '-c',
    'timeout 5 sh -c "echo x > \\"$1\\"" ; rm -f -- "$1" "$2"',
    'sh',
    fifo,
    `${c.home}/after-fifo-${run}.txt`,
  ]);
  conn.dispose();
});

test('a passphrase is reported as kept only once it unlocked the key; a wrong one as wrong', async () => {
  const key = path.join(scratch, 'id_pass');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'right one', '-f', key]);
  appendFileSync(`${c.home}/.ssh/authorized_keys`, readFileSync(`${key}.pub`));
  const results: string[] = [];
  const conn = tracked(
    c,
    'pass',
    { identityFiles: [key] },
    {
      passphrase: async (_f, retry) => (retry ? 'right one' : 'stale'),
      passphraseResult: async (f, p, ok) => void results.push(`${path.basename(f)}:${p}:${ok}`),
    },
  );
  assert.equal((await conn.exec(['echo', 'ok'])).stdout, 'ok\n');
  assert.deepEqual(results, ['id_pass:stale:false', 'id_pass:right one:true']);
  conn.dispose();
});

test("@cert-authority: a host certificate signed by the trusted CA is accepted without a prompt; another CA's is asked about, with the reason", async () => {
  const ca = path.join(scratch, 'host_ca');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ca]);
  // The cluster's host key, certified for 127.0.0.1 (a copy: the original stays untouched).
  const hostKey = path.join(scratch, 'host_key');
  writeFileSync(hostKey, readFileSync(`${CLUSTER_DIR}/ssh/ssh_host_ed25519_key`), { mode: 0o600 });
  writeFileSync(`${hostKey}.pub`, readFileSync(`${CLUSTER_DIR}/ssh/ssh_host_ed25519_key.pub`));
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    ca,
    '-I',
    'loopback-host',
    '-h',
    '-n',
    c.host,
    '-V',
    '-5m:+1h',
    `${hostKey}.pub`,
  ]);
  const sshd = await extraSshd([`HostKey ${hostKey}`, `HostCertificate ${hostKey}-cert.pub`]);
  const trusted = path.join(scratch, 'known_hosts_ca');
  writeFileSync(
    trusted,
    `@cert-authority [${c.host}]:${sshd.port} ${readFileSync(`${ca}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  const viaCa = tracked(
    c,
    'ca',
    { port: sshd.port },
    {
      knownHostsFiles: [trusted],
      confirmUnknownHost: async (p) => {
        throw new Error(`unexpected prompt: ${p.certificate ?? 'no certificate note'}`);
      },
    },
  );
  assert.equal((await viaCa.exec(['echo', 'certified'])).stdout, 'certified\n');
  viaCa.dispose();

  const other = path.join(scratch, 'other_ca');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const wrong = path.join(scratch, 'known_hosts_other_ca');
  writeFileSync(
    wrong,
    `@cert-authority [${c.host}]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  const asked: string[] = [];
  const viaOther = tracked(
    c,
    'other-ca',
    { port: sshd.port },
    {
      knownHostsFiles: [wrong],
      confirmUnknownHost: async (p) => {
        asked.push(p.certificate ?? '');
        return false;
      },
    },
  );
  await assert.rejects(viaOther.exec(['true']), /not in known_hosts and was not accepted/);
  assert.deepEqual(asked, [
    'the host certificate was not accepted: signed by a CA that known_hosts does not trust for this host (ssh-ed25519)',
  ]);
  viaOther.dispose();
  sshd.stop();
});
