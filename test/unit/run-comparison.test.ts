import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chartSeries,
  compareFigureStem,
  comparisonTable,
  mergePoints,
  parseNemoProgress,
  type Run,
  runLabel,
  runPoints,
  seqLengthOfScript,
  summarize,
  xOf,
} from '../../src/core/logs/runComparison';
import { smoothEma } from '../../src/core/logs/smoothing';
import { toCsv } from '../../src/core/report/dataTable';

/** Megatron-LM's training log line (training.py's training_log, as the stand-in writes it). */
const megatron = (it: number, samples: number, loss: number, lr: number, tflops = 180.5, gradNorm = 0.5) =>
  ` [2026-11-26 23:00:00] iteration ${String(it).padStart(8)}/      10 | consumed samples: ${String(samples).padStart(12)} | elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): ${tflops.toFixed(1)} | learning rate: ${lr.toExponential(6).toUpperCase()} | global batch size:     4 | lm loss: ${loss.toExponential(6).toUpperCase()} | loss scale: 1.0 | grad norm: ${gradNorm.toFixed(3)} | number of skipped iterations:   0 | number of nan iterations:   0 |`;

const run = (over: Partial<Run> & Pick<Run, 'id' | 'points'>): Run => ({
  study: 's',
  recipe: 'EnJa-Base',
  kind: 'cpt',
  seqLength: 4096,
  ...over,
});

test('Megatron lines give points; a step logged again after a restart replaces the earlier one', () => {
  const lines = [
    'training ...',
    megatron(1, 4, 6.5, 1e-4),
    megatron(2, 8, 5.25, 9e-5, 181.5),
    'saving checkpoint at iteration       2 to /x in torch_dist format',
    megatron(3, 12, 4.0, 8e-5),
    ' loading checkpoint from /x at iteration 2',
    megatron(3, 12, 4.5, 8e-5),
  ];
  assert.deepEqual(runPoints('cpt', lines), [
    { iteration: 1, consumedSamples: 4, lmLoss: 6.5, learningRate: 1e-4, gradNorm: 0.5, tflopsPerGpu: 180.5 },
    { iteration: 2, consumedSamples: 8, lmLoss: 5.25, learningRate: 9e-5, gradNorm: 0.5, tflopsPerGpu: 181.5 },
    { iteration: 3, consumedSamples: 12, lmLoss: 4.5, learningRate: 8e-5, gradNorm: 0.5, tflopsPerGpu: 180.5 },
  ]);
});

test("NeMo's progress bar: reduced_train_loss per step, the last rewrite of a step counts", () => {
  const bar = (step: number, loss: string, extra = '') =>
    `Epoch 0: : ${step}it [00:00, 20.00it/s, reduced_train_loss=${loss}, global_step=${step - 1}.000, consumed_samples=${step * 64}.0${extra}]`;
  assert.deepEqual(parseNemoProgress(bar(1, '1.500')), { iteration: 1, lmLoss: 1.5, consumedSamples: 64 });
  assert.deepEqual(parseNemoProgress(bar(2, '0.750', ', lr=2e-05, train_step_timing in s=0.51')), {
    iteration: 2,
    lmLoss: 0.75,
    consumedSamples: 128,
    learningRate: 2e-5,
  });
  // A diverged step keeps its place without the loss (the panel's messages are JSON: no NaN).
  assert.deepEqual(parseNemoProgress(bar(3, 'nan')), { iteration: 3, consumedSamples: 192 });
  assert.equal(
    parseNemoProgress('[NeMo I 2026-11-26 23:00:00 megatron_gpt_finetuning:97] peft_scheme: none'),
    undefined,
  );
  assert.deepEqual(
    runPoints('sft', [bar(1, '1.600'), bar(1, '1.500'), bar(2, '0.750')]).map((p) => [p.iteration, p.lmLoss]),
    [
      [1, 1.5],
      [2, 0.75],
    ],
  );
});

test('a live log in batches: points merged as they come equal the points of the whole log at once', () => {
  const bar = (step: number, loss: string) =>
    `Epoch 0: : ${step}it [00:00, 20.00it/s, reduced_train_loss=${loss}, global_step=${step - 1}.000, consumed_samples=${step * 64}.0]`;
  // NeMo rewrites a step's line across batches; Megatron restarts from a checkpoint and logs step 3 again.
  const cases: ['cpt' | 'sft', string[][]][] = [
    ['sft', [[bar(1, '1.600')], [bar(1, '1.500'), bar(2, '1.400')], [bar(2, '1.300'), bar(3, '1.200')], []]],
    [
      'cpt',
      [
        [megatron(1, 4, 6.5, 1e-4), megatron(2, 8, 5.25, 9e-5)],
        [megatron(3, 12, 4.0, 8e-5), megatron(4, 16, 3.5, 7e-5)],
        [' loading checkpoint from /x at iteration 2', megatron(3, 12, 4.5, 8e-5)],
      ],
    ],
  ];
  for (const [kind, batches] of cases) {
    let merged = mergePoints([], []);
    for (const b of batches) merged = mergePoints(merged, runPoints(kind, b));
    assert.deepEqual(merged, runPoints(kind, batches.flat()), kind);
  }
  const sft = cases[0][1];
  assert.deepEqual(
    sft.reduce((m, b) => mergePoints(m, runPoints('sft', b)), mergePoints([], [])).map((p) => [p.iteration, p.lmLoss]),
    [
      [1, 1.5],
      [2, 1.3],
      [3, 1.2],
    ],
  );
  // Steps past the end are appended as they are (the common case of a growing log): the same objects.
  const head = runPoints('cpt', [megatron(1, 4, 6.5, 1e-4)]);
  const tail = runPoints('cpt', [megatron(2, 8, 5.25, 9e-5)]);
  const appended = mergePoints(head, tail);
  assert.equal(appended[0], head[0]);
  assert.equal(appended[1], tail[0]);
  // The restart's step 3 (loss 4.5) replaces the first (4.0); step 4 stays after it.
  assert.deepEqual(
    cases[1][1].reduce((m, b) => mergePoints(m, runPoints('cpt', b)), mergePoints([], [])).map((p) => p.lmLoss),
    [6.5, 5.25, 4.5, 3.5],
  );
});

test('an exported chart is named by its metric and x-axis', () => {
  assert.equal(compareFigureStem('lmLoss', 'tokens'), 'compare-runs-lm-loss-tokens');
  assert.equal(compareFigureStem('learningRate', 'iteration'), 'compare-runs-learning-rate-iteration');
  assert.equal(compareFigureStem('gradNorm', 'samples'), 'compare-runs-grad-norm-samples');
  assert.equal(compareFigureStem('tflopsPerGpu', 'tokens'), 'compare-runs-throughput-tokens');
});

test('the sequence length comes from the job script (Megatron or NeMo)', () => {
  assert.equal(
    seqLengthOfScript('  --num-attention-heads 40 --seq-length 4096 --max-position-embeddings 4096 \\\n'),
    4096,
  );
  assert.equal(seqLengthOfScript("--seq-length='2048' \\"), 2048);
  assert.equal(seqLengthOfScript('  model.data.train_ds.max_seq_length=8192 \\'), 8192);
  assert.equal(seqLengthOfScript('python train.py --max-position-embeddings 4096'), undefined);
});

test('x-axis: iterations, consumed samples, or tokens = samples × sequence length', () => {
  const r = run({ id: 'a', points: [] });
  const p = { iteration: 3, consumedSamples: 12 };
  assert.deepEqual(
    (['iteration', 'samples', 'tokens'] as const).map((axis) => xOf(r, p, axis)),
    [3, 12, 49152],
  );
  assert.equal(xOf({ ...r, seqLength: undefined }, p, 'tokens'), undefined);
  assert.equal(xOf(r, { iteration: 3 }, 'samples'), undefined);
});

test("one EMA for both charts (TensorBoard's): debiased, missing values passed through", () => {
  assert.deepEqual(smoothEma([1, 2, 3], 0.5), [1, 1.6666666666666667, 2.4285714285714284]);
  assert.deepEqual(smoothEma([1, undefined, 2, Number.NaN, 3], 0.5), [
    1,
    undefined,
    1.6666666666666667,
    Number.NaN,
    2.4285714285714284,
  ]);
  assert.deepEqual(smoothEma([1, 2, 3], 0), [1, 2, 3]);
  assert.deepEqual(smoothEma([2], 0.9), [2]);
  assert.throws(() => smoothEma([1], 1), /the smoothing weight must be in \[0, 0\.99\], got 1/);
  // Missing points do not make a constant series smoothed (no rounding drift).
  assert.deepEqual(smoothEma([0.1, undefined, 0.1], 0.9), [0.1, undefined, 0.1]);
});

test('chart series: per run, on the axis, smoothed; a log scale drops values ≤ 0; unplaceable points counted', () => {
  const a = run({
    id: 'a',
    points: [
      { iteration: 1, consumedSamples: 4, lmLoss: 6 },
      { iteration: 2, consumedSamples: 8, lmLoss: 4 },
    ],
  });
  const b = run({
    id: 'b',
    recipe: 'JaDominant',
    seqLength: undefined,
    points: [
      { iteration: 1, consumedSamples: 4, lmLoss: 0 },
      { iteration: 2, consumedSamples: 8, lmLoss: 3 },
    ],
  });
  assert.deepEqual(chartSeries([a, b], 'lmLoss', 'tokens'), [
    {
      id: 'a',
      label: 'EnJa-Base',
      points: [
        { x: 16384, y: 6 },
        { x: 32768, y: 4 },
      ],
      unplaced: 0,
    },
    { id: 'b', label: 'JaDominant', points: [], unplaced: 2 },
  ]);
  assert.deepEqual(chartSeries([a, b], 'lmLoss', 'iteration', 0.5, true), [
    {
      id: 'a',
      label: 'EnJa-Base',
      points: [
        { x: 1, y: 6 },
        { x: 2, y: 4.666666666666667 },
      ],
      unplaced: 0,
    },
    { id: 'b', label: 'JaDominant', points: [{ x: 2, y: 2 }], unplaced: 0 },
  ]);
});

test('legend keyed by recipe; the study (then the job) added only where recipes repeat', () => {
  const a = run({ id: 'a', study: 's1', points: [] });
  const b = run({ id: 'b', study: 's2', points: [] });
  const c = run({ id: 'c', study: 's2', points: [] });
  const d = run({ id: 'd', recipe: 'JaDominant', points: [] });
  assert.equal(runLabel(d, [a, d]), 'JaDominant');
  assert.equal(runLabel(a, [a, b, d]), 'EnJa-Base (s1)');
  assert.equal(runLabel(b, [a, b, c]), 'EnJa-Base (s2, b)');
});

test('summary: last and best loss, tokens seen, mean throughput, wall time and GPU-hours', () => {
  const r = run({
    id: 'a',
    wallSeconds: 5400,
    gpuHours: 12,
    points: runPoints('cpt', [
      megatron(1, 4, 6.5, 1e-4, 180),
      megatron(2, 8, 4.25, 9e-5, 181),
      megatron(3, 12, 4.5, 8e-5, 185),
    ]),
  });
  assert.deepEqual(summarize(r), {
    id: 'a',
    label: 'EnJa-Base',
    iterations: 3,
    lastLoss: 4.5,
    bestLoss: 4.25,
    bestIteration: 2,
    tokensSeen: 12 * 4096,
    tflopsPerGpu: 182,
    wallSeconds: 5400,
    gpuHours: 12,
  });
  assert.deepEqual(summarize(run({ id: 'e', seqLength: undefined, points: [] })), {
    id: 'e',
    label: 'EnJa-Base',
    iterations: 0,
    lastLoss: undefined,
    bestLoss: undefined,
    bestIteration: undefined,
    tokensSeen: undefined,
    tflopsPerGpu: undefined,
    wallSeconds: undefined,
    gpuHours: undefined,
  });
});

test('CSV export: one row per run per iteration, unrounded, unknowns empty', () => {
  const a = run({ id: 'a', points: runPoints('cpt', [megatron(1, 4, 6.5, 1e-4)]) });
  const b = run({
    id: 'b',
    study: 't',
    recipe: 'base',
    kind: 'sft',
    seqLength: undefined,
    points: [{ iteration: 1, lmLoss: 1.5, consumedSamples: 64 }],
  });
  assert.equal(
    toCsv(comparisonTable([a, b])),
    [
      'study,job,recipe,kind,iteration,consumed_samples,consumed_tokens,lm_loss,learning_rate,grad_norm,tflops_per_gpu',
      's,a,EnJa-Base,cpt,1,4,16384,6.5,0.0001,0.5,180.5',
      't,b,base,sft,1,64,,1.5,,,',
      '',
    ].join('\r\n'),
  );
});
