import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import type { ClusterTransport } from '../../src/core/cluster/transport';
import { type Run, runPoints } from '../../src/core/logs/runComparison';
import { LiveRun } from '../../src/core/logs/runLogs';
import { SharedFollowers } from '../../src/core/logs/sharedFollowers';
import { loopbackCluster, type TestHost, testHost } from './cluster';

/**
 * One follower per log over the cluster's real transport (sshd on the loopback): a log shown in a
 * log document, a training chart and Compare Runs holds one `tail -F` channel of the follow budget,
 * and each view gets every line once.
 */
const run = `f${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let host: TestHost;
let conn: ClusterTransport;
let followers: SharedFollowers;

before(() => {
  host = testHost(loopbackCluster());
  conn = host.transport;
  followers = new SharedFollowers(() => conn);
});

after(async () => {
  followers?.dispose();
  await conn?.exec(['rm', '-f', `${host.home}/${run}.log`, `${host.home}/${run}.sbatch`]).catch(() => undefined);
  host?.dispose();
});

const megatron = (it: number) =>
  ` [2026-11-27 02:00:00] iteration ${String(it).padStart(8)}/     100 | consumed samples: ${String(it * 8).padStart(12)} | elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 181.5 | learning rate: 1.000000E-04 | global batch size:     8 | lm loss: ${(10 - it / 10).toExponential(6).toUpperCase()} | loss scale: 1.0 | grad norm: 0.500 | number of skipped iterations:   0 | number of nan iterations:   0 |`;

async function until(what: string, ok: () => boolean, detail: () => string) {
  const deadline = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${detail()})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Appends lines to the log on the cluster, as a job writes it. */
async function write(log: string, lines: readonly string[]) {
  const r = await conn.exec(['sh', '-c', 'printf "%s\\n" "$@" >> "$0"', log, ...lines]);
  assert.equal(r.code, 0, r.stderr);
}

test('a log open as a document, a training chart and a live run in Compare Runs is one follow channel', async () => {
  const log = `${host.home}/${run}.log`;
  const script = `${host.home}/${run}.sbatch`;
  const files = await conn.files();
  await uploadAtomic(files, "srun torchrun pretrain_gpt.py --seq-length '2048'\n", script);
  await uploadAtomic(files, '', log);
  await write(log, ['training ...', ...[1, 2, 3, 4, 5].map(megatron)]);

  const chart: string[] = [];
  const training = followers.follow('loopback', log, 'all');
  training.on('lines', (l) => chart.push(...l));
  await until(
    'the chart',
    () => chart.length === 6,
    () => String(chart.length),
  );
  const doc: string[] = [];
  const document = followers.follow('loopback', log, { window: 1 << 20 });
  document.on('lines', (l) => doc.push(...l));
  let live: Run | undefined;
  const compare = await LiveRun.start(
    conn,
    followers,
    'loopback',
    { id: `${run}-cpt`, study: run, recipe: 'Tiny-A', kind: 'cpt', script, log },
    () => {
      live = compare.run();
    },
  );
  assert.equal(conn.load.follows, 1, 'one channel for the three views');
  await write(log, [6, 7, 8].map(megatron));
  const all = ['training ...', ...[1, 2, 3, 4, 5, 6, 7, 8].map(megatron)];
  await until(
    'every view to have every line',
    () => chart.length === 9 && doc.length === 9 && live?.points.length === 8,
    () => `${chart.length}/${doc.length}/${live?.points.length}`,
  );
  assert.deepEqual(chart, all);
  assert.deepEqual(doc, all);
  assert.deepEqual(live!.points, runPoints('cpt', all));
  assert.equal(live!.seqLength, 2048);
  assert.equal(conn.load.follows, 1);

  training.stop();
  document.stop();
  assert.equal(followers.size, 1, 'Compare Runs still follows');
  await write(log, [megatron(9)]);
  await until(
    'iteration 9',
    () => compare.run().points.length === 9,
    () => String(compare.run().points.length),
  );
  compare.stop();
  assert.equal(followers.size, 0);
  await until(
    'the channel to close',
    () => conn.load.follows === 0,
    () => String(conn.load.follows),
  );
});
