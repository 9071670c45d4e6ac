import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { CommandTimeoutError } from '../../src/core/cluster/connection';
import { LocalTransport, onPath } from '../../src/core/cluster/localTransport';
import { SFTP_NO_SUCH_FILE, sftpCall, uploadAtomic } from '../../src/core/cluster/sftp';
import { shellAnd } from '../../src/core/cluster/shellQuote';
import { LogFollower } from '../../src/core/logs/logFollower';

/** The `local` profile's transport on this machine: real child processes and real files, as on a login node. */
let home: string;
let t: LocalTransport;

before(() => {
  home = mkdtempSync(path.join(tmpdir(), 'corpus-lab-local-'));
  t = new LocalTransport('login', { home, env: { CORPUS_LAB_PROBE: 'from-profile' } });
});

after(() => {
  t.dispose();
  rmSync(home, { recursive: true, force: true });
});

const HOSTILE = [
  '; touch pwned',
  '$(touch pwned)',
  '`touch pwned`',
  "it's",
  'a\nb',
  '*',
  '-rf',
  '日本語',
  '\u001b[31m',
];

test('commands are argument vectors: hostile arguments arrive byte for byte and nothing runs', async () => {
  const r = await t.exec(['printf', '%s\\0', ...HOSTILE]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE);
  assert.deepEqual(readdirSync(home), [], 'nothing was created');
  // execLine is the one place a shell runs: its line is built by the same quoting as over SSH.
  const line = await t.execLine(shellAnd([['printf', '%s|', ...HOSTILE], ['pwd']]));
  assert.equal(line.stdout, `${HOSTILE.join('|')}|${home}\n`);
  assert.deepEqual(readdirSync(home), []);
  await assert.rejects(t.exec(['echo', 'a\0b']), {
    message: 'argument 1 contains a NUL byte, which no shell argument can carry',
  });
});

test('the environment, stdin, exit codes and a missing program as a shell reports them', async () => {
  assert.equal((await t.exec(['sh', '-c', 'echo "$CORPUS_LAB_PROBE"'])).stdout, 'from-profile\n');
  assert.equal((await t.exec(['cat'], { stdin: 'through stdin — 標準入力' })).stdout, 'through stdin — 標準入力');
  const failed = await t.exec(['sh', '-c', 'echo oops >&2; exit 3']);
  assert.deepEqual([failed.code, failed.stderr], [3, 'oops\n']);
  assert.deepEqual(await t.exec(['no-such-program-corpus-lab']), {
    code: 127,
    stdout: '',
    stderr: 'no-such-program-corpus-lab: command not found\n',
  });
});

test('a command past its limit is killed with its whole process group and fails as a lost reply', async () => {
  const pidFile = path.join(home, 'grandchild.pid');
  const started = Date.now();
  await assert.rejects(
    t.exec(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 }),
    (e: Error) => e instanceof CommandTimeoutError && /did not finish within 0\.3 s and was stopped/.test(e.message),
  );
  assert.ok(Date.now() - started < 5000);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await new Promise((r) => setTimeout(r, 200));
  // Gone, or dead and not yet reaped by its new parent (state Z): not sleeping on.
  const state = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
    } catch {
      return 'gone';
    }
  })();
  assert.ok(state === 'gone' || state === 'Z', `the background sleep died with the group (state ${state})`);
});

test('files: atomic writes with the exact mode, relative paths from home, missing files with SFTP’s code', async () => {
  const files = await t.files();
  await uploadAtomic(files, 'first\n', 'runs/a b/job.sbatch', 0o755);
  await uploadAtomic(files, 'second — 第二\n', 'runs/a b/job.sbatch', 0o755);
  const abs = path.join(home, 'runs', 'a b', 'job.sbatch');
  assert.equal(readFileSync(abs, 'utf8'), 'second — 第二\n');
  assert.equal(statSync(abs).mode & 0o777, 0o755);
  assert.deepEqual(readdirSync(path.dirname(abs)), ['job.sbatch'], 'no temporary file left behind');
  assert.equal(await sftpCall.realpath(files, '.'), home);
  const [entry] = await sftpCall.readdir(files, 'runs');
  assert.deepEqual([entry.filename, entry.attrs.isDirectory()], ['a b', true]);
  const missing = await sftpCall.stat(files, 'nowhere.csv').catch((e: Error & { code?: unknown }) => e);
  assert.ok(missing instanceof Error);
  assert.deepEqual(
    [missing.message, (missing as { code?: unknown }).code],
    ['nowhere.csv: No such file', SFTP_NO_SUCH_FILE],
  );
  const handle = await files.open(abs);
  const buf = Buffer.alloc(7);
  assert.equal(await files.read(handle, buf, 7), 7);
  await files.close(handle);
  assert.equal(buf.toString('utf8'), '— 第');
  const local = path.join(home, 'fetched', 'copy.sbatch');
  await files.download(abs, local);
  assert.equal(readFileSync(local, 'utf8'), 'second — 第二\n');
  await assert.rejects(files.download(path.join(home, 'absent'), path.join(home, 'fetched', 'absent')), {
    code: SFTP_NO_SUCH_FILE,
  });
  assert.deepEqual(readdirSync(path.join(home, 'fetched')), ['copy.sbatch'], 'no .part file left behind');
});

test('a log follower over the local profile: a killed tail resumes at the exact byte', async () => {
  const log = path.join(home, 'slurm.log');
  writeFileSync(log, '');
  const follower = new LogFollower(t, log, { offset: 0 });
  const lines: string[] = [];
  follower.on('lines', (l: string[]) => lines.push(...l));
  follower.start();
  const expected: string[] = [];
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      expected.push(`iteration ${i} | lm loss: ${(10 - i / 100).toFixed(4)}`);
      appendFileSync(log, `${expected.at(-1)}\n`);
    }
  };
  const until = async (what: string, ok: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${lines.length} lines)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  write(0, 50);
  await until('the first lines', () => lines.length === 50);
  const tails = (await t.exec(['pgrep', '-f', '--', `^tail -c \\+1 -F ${log}$`])).stdout.split('\n').filter(Boolean);
  assert.equal(tails.length, 1);
  process.kill(Number(tails[0]), 'SIGKILL');
  write(50, 120);
  await until('the rest after the restart', () => lines.length >= 120);
  follower.stop();
  assert.deepEqual(lines, expected);
  assert.equal(follower.offset, statSync(log).size);
});

test('onPath finds an executable file on PATH (whether Slurm is here), not a plain file or a directory', async () => {
  const bin = path.join(home, 'bin');
  const other = path.join(home, 'other');
  mkdirSync(bin);
  mkdirSync(other);
  writeFileSync(path.join(bin, 'squeue'), '#!/bin/sh\n');
  mkdirSync(path.join(bin, 'sinfo'));
  writeFileSync(path.join(other, 'sbatch'), '#!/bin/sh\n');
  chmodSync(path.join(other, 'sbatch'), 0o755);
  const PATH = [path.join(home, 'absent'), bin, other].join(path.delimiter);
  assert.equal(await onPath('sbatch', PATH), path.join(other, 'sbatch'));
  assert.equal(await onPath('squeue', PATH), undefined);
  assert.equal(await onPath('sinfo', PATH), undefined);
  assert.equal(await onPath('sbatch', ''), undefined);
});
