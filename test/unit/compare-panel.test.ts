import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runPoints, seqLengthOfScript, summarize } from '../../src/core/logs/runComparison';
import { recipeColours } from '../../src/protocol/colours';
import { COMPARE_STRINGS, compareProtocol, compareView } from '../../src/protocol/compare';
import { MAX_BATCH, parseMessage } from '../../src/protocol/panelProtocol';
import { ROOT } from './helpers';

/** What postMessage does to a message: plain JSON (undefined fields vanish, nothing else changes). */
const crossing = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

/** Megatron-LM's training log line (training.py's training_log, as the stand-in writes it). */
const megatron = (it: number, samples: number, loss: string, lr: string, gradNorm: string) =>
  ` [2026-11-26 23:00:00] iteration ${String(it).padStart(8)}/       3 | consumed samples: ${String(samples).padStart(12)} | elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 181.5 | learning rate: ${lr} | global batch size:     4 | lm loss: ${loss} | loss scale: 1.0 | grad norm: ${gradNorm} | number of skipped iterations:   0 | number of nan iterations:   0 |`;
const nemo = (step: number, loss: string) =>
  `Epoch 0: : ${step}it [00:00, 20.00it/s, reduced_train_loss=${loss}, global_step=${step - 1}.000, consumed_samples=${step * 64}.0, lr=2e-05]`;

/** Two real runs as the command reads them: a Megatron CPT log and a NeMo SFT log with a diverged step. */
function comparison() {
  const cpt = {
    id: 'study-a-cpt-EnJa-Base',
    study: 'study-a',
    recipe: 'EnJa-Base',
    kind: 'cpt' as const,
    seqLength: seqLengthOfScript('torchrun pretrain_gpt.py --seq-length 4096 --micro-batch-size 1'),
    wallSeconds: 5400,
    gpuHours: 12,
    points: runPoints('cpt', [
      megatron(1, 4, '1.050000E+01', '1.000000E-04', '9.500'),
      megatron(2, 8, '9.750000E+00', '9.000000E-05', '4.250'),
    ]),
  };
  const sft = {
    id: 'study-a-sft-EnJa-Base',
    study: 'study-a',
    recipe: 'EnJa-Base',
    kind: 'sft' as const,
    seqLength: seqLengthOfScript('python megatron_gpt_finetuning.py model.data.train_ds.max_seq_length=2048'),
    points: runPoints('sft', [nemo(1, '1.600'), nemo(1, '1.500'), nemo(2, 'nan')]),
  };
  const runs = [cpt, sft];
  return { runs, summaries: runs.map((r) => summarize(r, runs)) };
}

test('a real comparison crosses to the page unchanged, the summaries included', () => {
  const { runs, summaries } = comparison();
  assert.equal(runs[0].seqLength, 4096);
  assert.equal(runs[1].seqLength, 2048);
  assert.deepEqual(runs[1].points, [
    { iteration: 1, lmLoss: 1.5, consumedSamples: 64, learningRate: 2e-5 },
    { iteration: 2, consumedSamples: 128, learningRate: 2e-5 },
  ]);
  assert.deepEqual(crossing(summaries[0]), {
    id: 'study-a-cpt-EnJa-Base',
    label: 'EnJa-Base (study-a, study-a-cpt-EnJa-Base)',
    iterations: 2,
    lastLoss: 9.75,
    bestLoss: 9.75,
    bestIteration: 2,
    tokensSeen: 8 * 4096,
    tflopsPerGpu: 181.5,
    wallSeconds: 5400,
    gpuHours: 12,
  });
  const sent = crossing({
    type: 'runs',
    title: 'Compare Runs',
    runs,
    summaries,
    live: ['study-a-sft-EnJa-Base'],
    missing: [{ id: 'study-b-cpt-Gone', study: 'study-b' }],
    strings: { 'lm loss': 'lm 損失' },
  });
  const received = parseMessage(compareProtocol.toPage, sent);
  assert.ok(received.ok, received.ok ? '' : received.error);
  assert.deepEqual(crossing(received.message), sent);
});

test('compare messages: an unknown key or a non-finite value is refused with its path', () => {
  const { runs, summaries } = comparison();
  const base = { type: 'runs', title: 't', runs, summaries, live: [], missing: [], strings: {} };
  const withPointKey = crossing(base) as { runs: { points: Record<string, unknown>[] }[] };
  withPointKey.runs[0].points[1].perplexity = 3;
  assert.deepEqual(parseMessage(compareProtocol.toPage, withPointKey), {
    ok: false,
    error: "runs.0.points.1: Unrecognized key(s) in object: 'perplexity'",
  });
  assert.deepEqual(parseMessage(compareProtocol.toPage, { ...base, colour: 'red' }), {
    ok: false,
    error: "(message): Unrecognized key(s) in object: 'colour'",
  });
  assert.deepEqual(
    parseMessage(compareProtocol.toPage, {
      ...base,
      summaries: [{ ...summaries[0], lastLoss: Number.POSITIVE_INFINITY }],
    }),
    { ok: false, error: 'summaries.0.lastLoss: Number must be finite' },
  );
  assert.deepEqual(parseMessage(compareProtocol.toHost, { type: 'exportCsv', rows: 3 }), {
    ok: false,
    error: "(message): Unrecognized key(s) in object: 'rows'",
  });
  assert.deepEqual(
    parseMessage(compareProtocol.toHost, {
      type: 'exportChart',
      metric: 'lmLoss',
      axis: 'tokens',
      dataUrl: 'data:text/html,<b>',
    }),
    { ok: false, error: 'dataUrl: expected a base64 PNG data URL' },
  );
  assert.deepEqual(
    parseMessage(compareProtocol.toHost, { type: 'exportSvg', metric: 'perplexity', axis: 'tokens', svg: '<svg/>' }),
    {
      ok: false,
      error:
        "metric: Invalid enum value. Expected 'lmLoss' | 'learningRate' | 'gradNorm' | 'tflopsPerGpu', received 'perplexity'",
    },
  );
});

test("a live run's new points cross as one small message per flush, refused with their path when malformed", () => {
  const { runs, summaries } = comparison();
  const sent = crossing({
    type: 'points',
    runs: [{ id: runs[0].id, points: [runs[0].points[1]] }],
    summaries,
    live: [runs[0].id],
  });
  const received = parseMessage(compareProtocol.toPage, sent);
  assert.ok(received.ok, received.ok ? '' : received.error);
  assert.deepEqual(crossing(received.message), sent);
  const bad = crossing(sent) as { runs: { id: string; points: Record<string, unknown>[] }[] };
  bad.runs[0].points[0].iteration = 2.5;
  assert.deepEqual(parseMessage(compareProtocol.toPage, bad), {
    ok: false,
    error: 'runs.0.points.0.iteration: Expected integer, received float',
  });
  assert.deepEqual(parseMessage(compareProtocol.toPage, { ...(sent as object), runs: [{ id: '', points: [] }] }), {
    ok: false,
    error: 'runs.0.id: String must contain at least 1 character(s)',
  });
  // A backlog bigger than one message carries goes to the page as a whole `runs` message instead.
  const backlog = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ iteration: i + 1 }));
  assert.deepEqual(
    parseMessage(compareProtocol.toPage, { type: 'points', runs: [{ id: 'a', points: backlog }], summaries, live: [] }),
    { ok: false, error: 'runs.0.points: Array must contain at most 100000 element(s)' },
  );
  assert.deepEqual(parseMessage(compareProtocol.toPage, { type: 'status', text: 'Tiny-A: connection lost' }), {
    ok: true,
    message: { type: 'status', text: 'Tiny-A: connection lost' },
  });
});

test('the compare view: its defaults, the runs kept for a reload, an unknown axis and a stale key refused', () => {
  assert.deepEqual(compareView.parse({}), {
    axis: 'iteration',
    smoothing: 0.6,
    logLoss: false,
    lightFigures: true,
    runs: [],
  });
  // What a page saved before a reload: the serializer reads it back to find the jobs again.
  const saved = crossing({
    axis: 'tokens',
    smoothing: 0.8,
    logLoss: true,
    lightFigures: false,
    runs: [
      { id: 'e2e-compare-cpt-Tiny-A', study: 'e2e-compare' },
      { id: 'e2e-compare-cpt-Tiny-B', study: 'e2e-compare' },
    ],
  });
  assert.deepEqual(compareView.parse(saved), saved);
  assert.equal(compareView.safeParse({ axis: 'epochs' }).success, false);
  assert.equal(compareView.safeParse({ job: 'x' }).success, false);
  assert.equal(compareView.safeParse({ runs: [{ id: 'a', study: 's', recipe: 'r' }] }).success, false);
  assert.equal(compareView.safeParse({ runs: [{ id: '', study: 's' }] }).success, false);
  const many = Array.from({ length: 65 }, (_, i) => ({ id: `job-${i}`, study: 's' }));
  assert.equal(compareView.safeParse({ runs: many }).success, false);
  assert.equal(compareView.safeParse({ runs: many.slice(0, 64) }).success, true);
});

test('a colour per recipe, by sorted name: the same whatever order the runs were picked in', () => {
  assert.deepEqual(
    [...recipeColours(['JaDominant', 'EnJa-Base', 'JaDominant'])],
    [
      ['EnJa-Base', '#0072B2'],
      ['JaDominant', '#E69F00'],
    ],
  );
  assert.deepEqual([...recipeColours(['EnJa-Base', 'JaDominant'])], [...recipeColours(['JaDominant', 'EnJa-Base'])]);
});

test('every text the compare page shows is one of its translated strings, each in Japanese', () => {
  const page = readFileSync(path.join(ROOT, 'webview', 'compare.ts'), 'utf8');
  const controls = readFileSync(path.join(ROOT, 'webview', 'lib', 'curveControls.ts'), 'utf8');
  // Passed to t() directly (here or in the curve controls shared with the training chart), or through
  // the chart titles, the axis titles and the table's head.
  const head = page.slice(page.indexOf('const head = ['), page.indexOf('];', page.indexOf('const head = [')));
  const all = [
    ...`${page}\n${controls}`.matchAll(/\bt\(strings, '([^']+)'/g),
    ...page.matchAll(/\b(?:title|iteration|samples|tokens): '([^']+)'/g),
    ...head.matchAll(/'([^']+)'/g),
  ].map((m) => m[1]);
  assert.ok(all.length >= 20, `found ${all.length}`);
  assert.deepEqual(
    all.filter((s) => !(COMPARE_STRINGS as readonly string[]).includes(s)),
    [],
  );
  const ja = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
  assert.deepEqual(
    COMPARE_STRINGS.filter((s) => !(s in ja)),
    [],
  );
});
