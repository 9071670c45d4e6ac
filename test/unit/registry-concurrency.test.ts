import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { LockTimeoutError } from '../../src/core/jobs/fileLock';
import { type JobRecord, JobRegistry } from '../../src/core/jobs/registry';
import { tempDir } from './helpers';

/** Real node processes on one registry file, as the editor and CLIs in terminals are. */
const WRITER = path.join(__dirname, 'registryWriter.js');

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** A process that takes the lock and keeps it, once it says so. */
async function holder(lock: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WRITER, 'hold', lock], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => b.toString().includes('held') && resolve());
    child.on('close', (code) => reject(new Error(`the holder exited (${code}) before taking the lock`)));
  });
  return child;
}

function registryFile(): string {
  const file = path.join(tempDir(), '.corpus-lab', 'jobs.json');
  mkdirSync(path.dirname(file));
  return file;
}

function recordOf(tag: string): JobRecord {
  const runDir = `/home/u/corpus-lab/runs/${tag}`;
  return {
    tag,
    cluster: 'loopback',
    study: 's1',
    stage: 'cpt',
    model: 'EnJa',
    name: 's1-cpt-EnJa',
    runDir,
    script: `${runDir}/job.sbatch`,
    log: `${runDir}/slurm.log`,
    dependsOn: [],
    state: 'PENDING',
    jobId: '77',
    submittedAt: '2026-11-26T11:00:00.000Z',
    updatedAt: '2026-11-26T11:00:00.000Z',
    resources: {},
    sbatch: [],
  };
}

const tagsIn = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')).jobs as JobRecord[]).map((j) => `${j.tag}:${j.state}:${j.jobId}`).sort();

test('writers in 6 processes, 15 jobs each, at once, past a stale lock: all 90 recorded, each with its own update', async () => {
  const file = registryFile();
  const go = path.join(path.dirname(file), 'go');
  const WRITERS = 6;
  const EACH = 15;
  // This process's registry was loaded before the others wrote; its own write must keep theirs.
  const editor = new JobRegistry(file);
  await editor.load();
  const children = Array.from({ length: WRITERS }, (_, w) =>
    exited(spawn(process.execPath, [WRITER, 'put', file, `cl-w${w}`, String(EACH), go], { stdio: 'pipe' })),
  );
  // They all start by finding a stale lock (another host's, long ago): one breaks it at a time.
  writeFileSync(`${file}.lock`, JSON.stringify({ pid: 4242, host: 'gone', since: Date.now() - 3_600_000, nonce: 'x' }));
  writeFileSync(go, '');
  const results = await Promise.all(children);
  assert.deepEqual(
    results,
    results.map(() => ({ code: 0, stderr: '' })),
  );
  // What the editor does when its file watcher fires: the others' jobs in memory, once.
  assert.equal(await editor.refresh(), true);
  assert.equal(editor.all().length, WRITERS * EACH);
  assert.equal(await editor.refresh(), false);
  await editor.put(recordOf('cl-editor-0'));
  const expected = [
    'cl-editor-0:PENDING:77',
    ...Array.from({ length: WRITERS }, (_, w) =>
      Array.from({ length: EACH }, (_, i) => `cl-w${w}-${i}:RUNNING:${1000 + i}`),
    ).flat(),
  ].sort();
  assert.deepEqual(tagsIn(file), expected);
  assert.equal(editor.all().length, WRITERS * EACH + 1, 'the editor now sees the jobs the others recorded');
  assert.equal(existsSync(`${file}.lock`), false, 'no lock is left behind');
});

test('the first job of a new workspace creates .corpus-lab, and leaves only jobs.json in it', async () => {
  const ws = tempDir();
  await new JobRegistry(path.join(ws, '.corpus-lab', 'jobs.json')).put(recordOf('cl-first'));
  assert.deepEqual(readdirSync(path.join(ws, '.corpus-lab')), ['jobs.json']);
});

test('a lock left by a killed process is taken over at once (its pid is gone on this host)', async () => {
  const file = registryFile();
  const child = await holder(`${file}.lock`);
  child.kill('SIGKILL');
  await exited(child);
  assert.equal(existsSync(`${file}.lock`), true, 'SIGKILL left the lock');
  // Within the wait: only the dead pid, not the lock's age (minutes), can free it in time.
  const reg = new JobRegistry(file, { waitMs: 10_000 });
  await reg.put(recordOf('cl-after-kill'));
  assert.deepEqual(tagsIn(file), ['cl-after-kill:PENDING:77']);
  assert.equal(existsSync(`${file}.lock`), false);
});

test('a lock held by a live process too long fails naming the lock file and its holder; the change waits for the next', async () => {
  const file = registryFile();
  const lock = `${file}.lock`;
  const child = await holder(lock);
  try {
    const since = new Date(JSON.parse(readFileSync(lock, 'utf8')).since).toISOString();
    const reg = new JobRegistry(file, { waitMs: 300 });
    await assert.rejects(reg.put(recordOf('cl-blocked')), (e: Error) => {
      assert.ok(e instanceof LockTimeoutError);
      assert.equal(
        e.message,
        `${lock}: held by process ${child.pid} on ${hostname()} since ${since}; waited 0.3 s. ` +
          'If no Corpus Lab (editor or CLI) is writing there, remove the lock file.',
      );
      return true;
    });
    assert.equal(existsSync(file), false, 'the registry was not written');
    assert.equal(existsSync(lock), true, "the live holder's lock is not touched");
    child.kill('SIGKILL');
    await exited(child);
    // The refused change is not lost: the next one writes it too.
    await reg.put(recordOf('cl-next'));
    assert.deepEqual(tagsIn(file), ['cl-blocked:PENDING:77', 'cl-next:PENDING:77']);
  } finally {
    child.kill('SIGKILL');
  }
});

test("stale by age: another host's lock or an unreadable one, past the stale limit, is taken over; a fresh one waits", async () => {
  const file = registryFile();
  const lock = `${file}.lock`;
  const old = Date.now() - 10 * 60_000;
  writeFileSync(lock, JSON.stringify({ pid: 4242, host: 'other-login-node', since: old, nonce: 'n1' }));
  await new JobRegistry(file, { waitMs: 10_000 }).put(recordOf('cl-a'));
  assert.deepEqual(tagsIn(file), ['cl-a:PENDING:77']);

  // Not a lock this code wrote: its age is its mtime.
  writeFileSync(lock, 'garbage');
  await assert.rejects(new JobRegistry(file, { waitMs: 200 }).put(recordOf('cl-b')), LockTimeoutError);
  utimesSync(lock, old / 1000, old / 1000);
  await new JobRegistry(file, { waitMs: 10_000 }).put(recordOf('cl-b'));
  assert.deepEqual(tagsIn(file), ['cl-a:PENDING:77', 'cl-b:PENDING:77']);

  // A live-looking lock of another host, recent: waited for, not broken.
  writeFileSync(lock, JSON.stringify({ pid: 4242, host: 'other-login-node', since: Date.now(), nonce: 'n2' }));
  await assert.rejects(
    new JobRegistry(file, { waitMs: 200 }).put(recordOf('cl-c')),
    /held by process 4242 on other-login-node/,
  );
  assert.deepEqual(tagsIn(file), ['cl-a:PENDING:77', 'cl-b:PENDING:77']);
});
