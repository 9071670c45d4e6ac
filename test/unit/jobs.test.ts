import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseSbatchOutput, parseSqueue, SQUEUE_FORMAT, sbatchArgv } from '../../src/core/jobs/slurm';
import { epochIterations, jobSettingsSchema } from '../../src/core/jobs/studyLaunch';
import { loadTemplate, renderStage, renderTemplate } from '../../src/core/jobs/templates';
import { LogLineSplitter, MegatronMetrics, parseIterationLine } from '../../src/core/logs/megatronLog';
import { ROOT, tempDir } from './helpers';

const LINE =
  ' [2024-06-01 12:00:00] iteration      100/   10000 | consumed samples:       102400 | elapsed time per iteration (ms): 12345.6 | throughput per GPU (TFLOP/s/GPU): 180.5 | learning rate: 1.000000E-04 | global batch size:  1024 | lm loss: 2.345678E+00 | loss scale: 1.0 | grad norm: 0.567 | number of skipped iterations:   0 | number of nan iterations:   0 |';

test('Megatron iteration lines: every field, exactly; other lines ignored', () => {
  assert.deepEqual(parseIterationLine(LINE), {
    iteration: 100,
    totalIterations: 10000,
    consumedSamples: 102400,
    elapsedMs: 12345.6,
    tflopsPerGpu: 180.5,
    learningRate: 1e-4,
    lmLoss: 2.345678,
    gradNorm: 0.567,
    skipped: 0,
    nan: 0,
  });
  assert.equal(parseIterationLine('NCCL WARN iteration 5 | hmm'), undefined);
  assert.equal(parseIterationLine('building GPT model ...'), undefined);
  assert.deepEqual(parseIterationLine(' iteration 7/ 9 | lm loss: nan |'), { iteration: 7, totalIterations: 9 });
});

test('the line splitter joins lines across chunks and never splits a UTF-8 character', () => {
  const s = new LogLineSplitter();
  const text = Buffer.from('一行目\r\n二行目 loss\nunfinished 三');
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 3) out.push(...s.push(text.subarray(i, Math.min(text.length, i + 3))));
  assert.deepEqual(out, ['一行目', '二行目 loss']);
  assert.equal(s.pending, 'unfinished 三');
  const m = new MegatronMetrics();
  assert.equal(m.add([LINE, 'x']).length, 1);
});

test('sbatch: argv with afterok and kill-on-invalid-dep, parsable output; squeue parsed field by field', () => {
  assert.deepEqual(
    sbatchArgv('/r/job.sbatch', {
      jobName: 'study/cpt/A',
      tag: 'cl-1',
      output: '/r/slurm.log',
      chdir: '/r',
      resources: { partition: 'gpu', nodes: 4, gpusPerNode: 8, timeLimit: '7-00:00:00', memory: '64G' },
      afterOk: ['11', '12'],
    }),
    [
      'sbatch',
      '--parsable',
      '--job-name=study/cpt/A',
      '--comment=cl-1',
      '--output=/r/slurm.log',
      '--chdir=/r',
      '--partition=gpu',
      '--nodes=4',
      '--gres=gpu:8',
      '--time=7-00:00:00',
      '--mem=64G',
      '--dependency=afterok:11:12',
      '--kill-on-invalid-dep=yes',
      '/r/job.sbatch',
    ],
  );
  assert.equal(parseSbatchOutput('42\n'), '42');
  assert.equal(parseSbatchOutput('42;cluster-a\n'), '42');
  assert.throws(() => parseSbatchOutput('sbatch: error: Batch job submission failed\n'), /sbatch printed no job id/);
  const line = ['17', 'cl-x', 'PENDING', 'Dependency', '0:00', '1:00:00', '', 'study/sft/A'].join('\x1f');
  const { rows, problems } = parseSqueue(
    `${line}\n${['18', '(null)', 'RUNNING', 'None', '1:02', 'UNLIMITED', 'vm', 'n'].join('\x1f')}\ngarbage\n`,
  );
  assert.deepEqual(rows, [
    {
      jobId: '17',
      comment: 'cl-x',
      state: 'PENDING',
      reason: 'Dependency',
      elapsed: '0:00',
      limit: '1:00:00',
      nodes: '',
      name: 'study/sft/A',
    },
    {
      jobId: '18',
      comment: '',
      state: 'RUNNING',
      reason: '',
      elapsed: '1:02',
      limit: 'UNLIMITED',
      nodes: 'vm',
      name: 'n',
    },
  ]);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^squeue line 3: jobId/);
  assert.equal(SQUEUE_FORMAT.split('\x1f').length, 8);
});

test('templates: values shell-quoted, $HOME paths kept expandable, unknown placeholders named by line', () => {
  assert.equal(
    renderTemplate('t', 'cd {{dir}}\n{{!launcher}} --data {{paths}}', {
      dir: "/runs/a b's",
      launcher: 'torchrun --nproc 8',
      paths: ['0.5', '/d/ja x', '$HOME/d'],
    }),
    `cd '/runs/a b'\\''s'\ntorchrun --nproc 8 --data 0.5 '/d/ja x' "$HOME"/d`,
  );
  assert.throws(
    () => renderTemplate('t.sbatch', 'ok\n{{nope}}', { a: 1 }),
    /^TemplateError: t\.sbatch:2: unknown parameter \{\{nope\}\}; known: a$|t\.sbatch:2: unknown parameter/,
  );
  assert.equal(renderTemplate('t', '{{lr}} {{eps}} {{n}}', { lr: 1e-4, eps: 1e-8, n: 1024 }), '1e-4 1e-8 1024');
});

test('the shipped CPT template carries the paper’s hyper-parameters and the 13B shape', async () => {
  const t = await loadTemplate('cpt', path.join(ROOT, 'templates'));
  const script = renderStage('cpt', t, {
    runDir: '/r',
    launcher: 'L',
    input: 'base',
    output: '/r/ckpt',
    dataPath: ['0.5', 'a', '0.5', 'b'],
    tokenizerModel: 'tok',
    trainIters: 100,
    tensorParallel: 2,
    pipelineParallel: 2,
  });
  for (const flag of [
    '--global-batch-size 1024',
    '--adam-beta1 0.9',
    '--adam-beta2 0.95',
    '--adam-eps 1e-8',
    '--lr 1e-4',
    '--min-lr 1e-5',
    '--lr-warmup-fraction 0.03',
    '--weight-decay 0.1',
    '--lr-decay-style cosine',
    '--num-layers 40',
    '--hidden-size 5120',
    '--ffn-hidden-size 13824',
    '--num-attention-heads 40',
    '--seq-length 4096',
    '--tensor-model-parallel-size 2',
    '--pipeline-model-parallel-size 2',
    '--bf16',
    '--load base --finetune --save /r/ckpt',
    '--data-path 0.5 a 0.5 b',
  ]) {
    assert.ok(script.includes(flag), `missing ${flag}`);
  }
  assert.throws(
    () =>
      renderStage('cpt', t, {
        runDir: '/r',
        launcher: 'L',
        input: 'b',
        output: 's',
        dataPath: [],
        tokenizerModel: 'tok',
        trainIters: 0,
        tensorParallel: 1,
        pipelineParallel: 1,
      }),
    /cpt parameters: dataPath: Array must contain at least 2 element\(s\); trainIters: Number must be greater than 0/,
  );
  const sft = renderStage('sft', await loadTemplate('sft', path.join(ROOT, 'templates')), {
    runDir: '/r',
    launcher: 'L',
    input: 'm.nemo',
    output: '/o/model.nemo',
    trainData: 'd',
    validationData: 'v',
    workDir: '/o/sft',
    devices: 8,
    numNodes: 1,
    tensorParallel: 2,
    pipelineParallel: 1,
  });
  for (const flag of [
    'model.global_batch_size=64',
    'model.optim.lr=2e-5',
    'model.optim.sched.min_lr=2e-6',
    'warmup_steps=20',
    'weight_decay=0.1',
    'betas=[0.9,0.98]',
    'trainer.max_epochs=2',
  ])
    assert.ok(sft.includes(flag), `missing ${flag}`);
  assert.equal(epochIterations(43.68e9), 10415);
  assert.ok(!jobSettingsSchema.safeParse({ resources: { cpt: { timeLimit: 'forever' } } }).success);
});

test('a workspace template in .corpus-lab/templates replaces the shipped one', async () => {
  const ws = tempDir();
  mkdirSync(path.join(ws, '.corpus-lab', 'templates'), { recursive: true });
  writeFileSync(path.join(ws, '.corpus-lab', 'templates', 'sft.sbatch'), '#!/bin/bash\nmy-site-sft {{input}}\n');
  const sft = await loadTemplate('sft', path.join(ROOT, 'templates'), ws);
  assert.equal(sft.file, path.join(ws, '.corpus-lab', 'templates', 'sft.sbatch'));
  assert.equal(
    (await loadTemplate('cpt', path.join(ROOT, 'templates'), ws)).file,
    path.join(ROOT, 'templates', 'cpt.sbatch'),
  );
  assert.match(
    renderStage('sft', sft, {
      runDir: '/r',
      launcher: 'L',
      input: "/m o'del",
      output: 'o',
      trainData: 'd',
      validationData: 'v',
      workDir: 'w',
      devices: 1,
      numNodes: 1,
      tensorParallel: 1,
      pipelineParallel: 1,
    }),
    /^#!\/bin\/bash\nmy-site-sft '\/m o'\\''del'\n$/,
  );
});
