import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { abortable, CancelledError } from '../../src/core/cancellation';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import type { JobRecord } from '../../src/core/jobs/registry';
import { countDatasetsOnCluster } from '../../src/core/recipe/recipeCounts';
import { fetchStudyResults } from '../../src/core/results/fetch';
import { connection, type LoopbackCluster, loopbackCluster } from './cluster';
import { finishedJob } from './jobRecords';

/** How soon a cancelled call must return: far below the 60 s an SFTP request may wait, or a login's 20 s. */
const PROMPT_MS = 2000;
/** Time for a released transfer (a few bytes on loopback) to end and be cleaned up. */
const SETTLE_MS = 1000;

const run = `x${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let c: LoopbackCluster;
let conn: ClusterConnection;
let local: string;
let remote: string;

function evalJob(model: string): JobRecord {
  return finishedJob(run, remote, 'eval', model, { resultsDir: `${remote}/results/${model}/0-shot` });
}

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Creates a FIFO on the cluster: SFTP's open of it blocks until a writer comes, as a hung file system would. */
async function fifo(at: string) {
  await conn.exec(['mkdir', '-p', path.posix.dirname(at)]);
  await conn.exec(['mkfifo', at]);
}

/** Unblocks the server's reader of a FIFO (a few bytes written), then removes it. */
async function release(at: string) {
  await conn.exec(['sh', '-c', 'timeout 5 sh -c "printf x > \\"$1\\""; rm -f -- "$1"', 'sh', at]);
}

async function elapsed(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const start = Date.now();
  try {
    await work();
    return { ms: Date.now() - start, error: undefined };
  } catch (e) {
    return { ms: Date.now() - start, error: e };
  }
}

before(async () => {
  c = loopbackCluster();
  conn = connection(c);
  remote = `${c.home}/corpus-lab-${run}`;
  local = mkdtempSync(path.join(tmpdir(), 'corpus-lab-cancel-'));
  const sftp = await conn.files();
  for (const name of ['a.csv', 'b.csv', 'c.csv'])
    await uploadAtomic(sftp, `Task,Template,Accuracy\n${name},t,0.5\n`, `${remote}/results/Done/0-shot/${name}`);
});

after(async () => {
  await conn.exec(['rm', '-rf', '--', remote]);
  conn.dispose();
  rmSync(local, { recursive: true, force: true });
});

test('a count aborted while the cluster holds a request stops at once, cancelled, with no counts', async (t) => {
  const own = connection(c, 'count-cancel');
  t.after(() => own.dispose());
  const stuck = `${remote}/data/stuck`;
  await fifo(`${stuck}.idx`);
  await uploadAtomic(await conn.files(), Buffer.alloc(2), `${stuck}.bin`);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new CancelledError()), 300);
  const { ms, error } = await elapsed(() =>
    countDatasetsOnCluster(own, [{ local: '/here/stuck', remote: stuck }], { signal: controller.signal }),
  );
  await release(`${stuck}.idx`);
  assert.ok(error instanceof CancelledError, `expected a CancelledError, got ${String(error)}`);
  assert.equal(error.message, 'cancelled');
  assert.ok(ms >= 300 && ms < PROMPT_MS, `returned after ${ms} ms`);
});

test('a count aborted before it starts asks the cluster nothing', async () => {
  const own = connection(c, 'count-never');
  const controller = new AbortController();
  controller.abort(new CancelledError());
  await assert.rejects(
    countDatasetsOnCluster(own, [{ local: '/here/x', remote: `${remote}/data/x` }], { signal: controller.signal }),
    CancelledError,
  );
  assert.equal(own.state, 'idle');
  own.dispose();
});

test('a fetch aborted after its first file stops there: that file whole, no other file, nothing temporary', async () => {
  const dir = path.join(local, 'between');
  const controller = new AbortController();
  const seen: string[] = [];
  const { error } = await elapsed(() =>
    fetchStudyResults(conn, [evalJob('Done')], dir, {
      signal: controller.signal,
      onFile: (f) => {
        seen.push(path.relative(dir, f));
        controller.abort(new CancelledError());
      },
    }),
  );
  assert.ok(error instanceof CancelledError, `expected a CancelledError, got ${String(error)}`);
  assert.deepEqual(seen, [path.join('Done', '0-shot', 'a.csv')]);
  assert.deepEqual(filesUnder(dir), [path.join('Done', '0-shot', 'a.csv')]);
  assert.equal(
    readFileSync(path.join(dir, 'Done', '0-shot', 'a.csv'), 'utf8'),
    'Task,Template,Accuracy\na.csv,t,0.5\n',
  );
});

test('a fetch aborted while a download hangs returns at once; the dropped transfer leaves no file', async (t) => {
  const own = connection(c, 'fetch-cancel');
  t.after(() => own.dispose());
  const dir = path.join(local, 'hung');
  const job = { ...evalJob('Hung'), resultsDir: `${remote}/results/Hung/0-shot` };
  await uploadAtomic(await conn.files(), 'Task,Template,Accuracy\nx,t,0.5\n', `${job.resultsDir}/a.csv`);
  await fifo(`${job.resultsDir}/b.csv`);
  const controller = new AbortController();
  let abortedAt = 0;
  // a.csv is in place; b.csv's download starts at once and hangs on the FIFO: cancel while it does.
  const onFile = () =>
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort(new CancelledError());
    }, 300);
  const { error } = await elapsed(() => fetchStudyResults(own, [job], dir, { signal: controller.signal, onFile }));
  const ms = Date.now() - abortedAt;
  assert.ok(error instanceof CancelledError, `expected a CancelledError, got ${String(error)}`);
  assert.ok(abortedAt > 0 && ms < PROMPT_MS, `returned ${ms} ms after the abort`);
  assert.deepEqual(filesUnder(dir), [path.join('Hung', '0-shot', 'a.csv')]);
  // The server's reader gets its bytes: the dropped transfer ends, and what it wrote is removed.
  await release(`${job.resultsDir}/b.csv`);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  assert.deepEqual(filesUnder(dir), [path.join('Hung', '0-shot', 'a.csv')]);
});

test('a connect aborted while it waits for the host-key answer stops at once, cancelled', async (t) => {
  const empty = path.join(local, 'known_hosts_empty');
  writeFileSync(empty, '');
  let asked = 0;
  let answer: (ok: boolean) => void = () => undefined;
  const own = connection(
    c,
    'connect-cancel',
    {},
    {
      knownHostsFiles: [empty],
      confirmUnknownHost: () => {
        asked++;
        return new Promise<boolean>((r) => (answer = r));
      },
    },
  );
  t.after(() => {
    answer(false);
    own.dispose();
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new CancelledError()), 300);
  const { ms, error } = await elapsed(() => abortable(own.retry(), controller.signal));
  assert.ok(error instanceof CancelledError, `expected a CancelledError, got ${String(error)}`);
  assert.ok(ms >= 300 && ms < PROMPT_MS, `returned after ${ms} ms`);
  assert.equal(asked, 1);
  // A command given the same signal does not start: nothing runs on the cluster.
  await assert.rejects(own.exec(['touch', `${remote}/ran`], { signal: controller.signal }), CancelledError);
  assert.equal((await conn.exec(['test', '-e', `${remote}/ran`])).code, 1);
});
