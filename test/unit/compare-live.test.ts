import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalTransport } from '../../src/core/cluster/localTransport';
import { type RunPoint, runPoints } from '../../src/core/logs/runComparison';
import { LiveRun } from '../../src/core/logs/runLogs';
import { SharedFollowers } from '../../src/core/logs/sharedFollowers';

/**
 * Live runs in Compare Runs: their logs followed through the followers the log documents and the
 * training chart share — real `tail -F` processes over the local profile's transport, real files.
 */
let home: string;
let t: LocalTransport;
let followers: SharedFollowers;

before(() => {
  home = mkdtempSync(path.join(tmpdir(), 'corpus-lab-compare-live-'));
  t = new LocalTransport('login', { home });
  followers = new SharedFollowers(() => t);
});

after(() => {
  followers.dispose();
  t.dispose();
  rmSync(home, { recursive: true, force: true });
});

/** Megatron-LM's training log line (training.py's training_log, as the stand-in writes it). */
const megatron = (it: number) =>
  ` [2026-11-27 02:00:00] iteration ${String(it).padStart(8)}/     100 | consumed samples: ${String(it * 4).padStart(12)} | elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 181.5 | learning rate: 1.000000E-04 | global batch size:     4 | lm loss: ${(10 - it / 10).toExponential(6).toUpperCase()} | loss scale: 1.0 | grad norm: 0.500 | number of skipped iterations:   0 | number of nan iterations:   0 |`;

async function until(what: string, ok: () => boolean, detail: () => string) {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${detail()})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a log shown twice is followed once: a late view reads what came before once, then the same live lines', async () => {
  const log = path.join(home, 'shared.log');
  writeFileSync(log, 'line 0\nline 1\n');
  const first: string[] = [];
  const chart = followers.follow('login', log, 'all');
  chart.on('lines', (l) => first.push(...l));
  await until(
    'the first view',
    () => first.length === 2,
    () => first.join('|'),
  );
  appendFileSync(log, 'line 2\npartial');
  await until(
    'line 2',
    () => first.length === 3,
    () => first.join('|'),
  );

  // Joins mid-line: its history ends where the follower's next line starts (the partial one).
  const second: string[] = [];
  const compare = followers.follow('login', log, 'all');
  compare.on('lines', (l) => second.push(...l));
  assert.equal(t.load.follows, 1, 'one tail for both views');
  assert.equal(followers.size, 1);
  await until(
    'the history',
    () => second.length === 3,
    () => second.join('|'),
  );
  appendFileSync(log, ' 3\nline 4\n');
  const expected = ['line 0', 'line 1', 'line 2', 'partial 3', 'line 4'];
  await until(
    'the live lines',
    () => first.length === 5 && second.length === 5,
    () => `${first}/${second}`,
  );
  assert.deepEqual(first, expected);
  assert.deepEqual(second, expected);
  assert.equal(t.load.follows, 1);

  // The first to leave does not stop the other's lines; the last stops the tail.
  chart.stop();
  appendFileSync(log, 'line 5\n');
  await until(
    'line 5',
    () => second.length === 6,
    () => second.join('|'),
  );
  assert.deepEqual(first, expected);
  compare.stop();
  assert.equal(followers.size, 0);
  await until(
    'the tail to end',
    () => t.load.follows === 0,
    () => `${t.load.follows} follows`,
  );
});

test("a log document joining a chart's follower gets the log's tail, its first partial line dropped", async () => {
  const log = path.join(home, 'windowed.log');
  const lines = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}`);
  writeFileSync(log, `${lines.join('\n')}\n`);
  const chart: string[] = [];
  const whole = followers.follow('login', log, 'all');
  whole.on('lines', (l) => chart.push(...l));
  await until(
    'the whole log',
    () => chart.length === 40,
    () => String(chart.length),
  );
  const doc: string[] = [];
  let skipped = -1;
  const tail = followers.follow('login', log, { window: 100 });
  tail.on('lines', (l) => doc.push(...l));
  tail.on('skipped', (b) => {
    skipped = b;
  });
  // 29 bytes a line: the last 100 bytes hold the end of line 36 and lines 37–39 whole.
  await until(
    'the tail',
    () => doc.length === 3,
    () => doc.join('|'),
  );
  assert.equal(skipped, 40 * 29 - 100);
  assert.deepEqual(doc, lines.slice(37));
  assert.equal(t.load.follows, 1);
  whole.stop();
  tail.stop();
});

test('a live run grows while it is watched: its points come in batches and add up to the whole log', async () => {
  const log = path.join(home, 'cpt.log');
  const script = path.join(home, 'cpt.sbatch');
  writeFileSync(script, "srun torchrun pretrain_gpt.py --seq-length '4096' --micro-batch-size 1\n");
  writeFileSync(log, `${[1, 2, 3].map(megatron).join('\n')}\n`);
  const batches: RunPoint[][] = [];
  const run = await LiveRun.start(
    t,
    followers,
    'login',
    { id: 'live-cpt-Tiny-A', study: 'live', recipe: 'Tiny-A', kind: 'cpt', script, log },
    (points) => batches.push(points),
  );
  await until(
    'the first points',
    () => run.run().points.length === 3,
    () => String(batches.length),
  );
  for (const it of [4, 5, 6]) {
    appendFileSync(log, `${megatron(it)}\n`);
    await until(
      `iteration ${it}`,
      () => run.run().points.length === it,
      () => String(batches.length),
    );
  }
  const all = runPoints('cpt', [1, 2, 3, 4, 5, 6].map(megatron));
  const now = run.run({ wallSeconds: 90, gpuHours: 0.2 });
  assert.deepEqual(now.points, all);
  assert.equal(now.seqLength, 4096);
  assert.equal(now.wallSeconds, 90);
  assert.equal(now.gpuHours, 0.2);
  // Each batch held only what was new: appended, never the whole set again.
  assert.deepEqual(
    batches.map((b) => b.map((p) => p.iteration)),
    [[1, 2, 3], [4], [5], [6]],
  );
  assert.equal(t.load.follows, 1);

  // The tail dies (a dropped connection, locally): the run says so, resumes at the exact byte, and
  // its points go on with no iteration lost or repeated.
  const problems: string[] = [];
  run.on('problem', (e) => problems.push(e.message));
  const tails = (await t.exec(['pgrep', '-f', '--', `^tail -c \\+1 -F ${log}$`])).stdout.split('\n').filter(Boolean);
  assert.equal(tails.length, 1);
  process.kill(Number(tails[0]), 'SIGKILL');
  await until(
    'the problem',
    () => problems.length === 1,
    () => problems.join('|'),
  );
  assert.match(problems[0], /^tail stopped following .*cpt\.log \(signal SIGKILL\)$/);
  appendFileSync(log, `${[7, 8, 9].map(megatron).join('\n')}\n`);
  await until(
    'the iterations after the restart',
    () => run.run().points.length === 9,
    () => String(batches.length),
  );
  assert.deepEqual(run.run().points, runPoints('cpt', [1, 2, 3, 4, 5, 6, 7, 8, 9].map(megatron)));
  assert.deepEqual(
    batches.slice(4).flatMap((b) => b.map((p) => p.iteration)),
    [7, 8, 9],
  );
  run.stop();
  await until(
    'the tail to end',
    () => t.load.follows === 0,
    () => `${t.load.follows} follows`,
  );
});
