import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobService } from '../../src/core/jobs/jobService';
import { parseTestOnly } from '../../src/core/jobs/slurm';
import { jobSettingsSchema, prepareStudy } from '../../src/core/jobs/studyLaunch';
import {
  checkLines,
  chooseThroughput,
  cptTokens,
  PAPER_TFLOPS_PER_GPU,
  planLines,
  planSummary,
  slurmTimeHours,
  studyPlan,
  trainingGpuHours,
} from '../../src/core/jobs/studyPlan';
import { shippedTemplates } from './helpers';

test('GPU-hours from 6·N·D: the paper’s anchor, and EnJa-Base as the issue computes it by hand', () => {
  // 6 · 13e9 · 80e9 FLOPs in 24 h on 256 GPUs.
  assert.equal(PAPER_TFLOPS_PER_GPU, (6 * 13e9 * 80e9) / (24 * 3600 * 256) / 1e12);
  assert.ok(Math.abs(PAPER_TFLOPS_PER_GPU - 282.1180555555556) < 1e-9);
  assert.ok(Math.abs(trainingGpuHours(13e9, 80e9, PAPER_TFLOPS_PER_GPU) - 24 * 256) < 1e-9);
  // EnJa-Base: 15B tokens at 13B parameters and 282 TFLOP/s ≈ 1,150 H100-hours.
  assert.equal(Math.round(trainingGpuHours(13e9, 15e9, 282)), 1152);
});

test('Slurm time limits in hours', () => {
  assert.equal(slurmTimeHours('7-00:00:00'), 168);
  assert.equal(slurmTimeHours('12:00:00'), 12);
  assert.equal(slurmTimeHours('1-06'), 30);
  assert.equal(slurmTimeHours('30:00'), 0.5);
  assert.equal(slurmTimeHours('90'), 1.5);
  assert.equal(slurmTimeHours('forever'), undefined);
});

test('the plan of a study: every job with its resources, dependencies and the CPT estimate', async () => {
  const templates = await shippedTemplates();
  const launch = {
    study: 'S',
    cluster: 'c',
    includeBase: true,
    resultsDir: '/r/results/S',
    templates,
    settings: jobSettingsSchema.parse({}),
    recipes: [{ name: 'EnJa-Base', dataPath: ['1', '/d/x'], totalTokens: 15_007_000_000 }],
  };
  const prepared = await prepareStudy({ remoteRoot: async () => '/r' } as unknown as JobService, launch);
  const throughput = chooseThroughput([], launch.settings.tflopsPerGpu);
  assert.match(throughput.source, /^the paper/);
  const plan = studyPlan(prepared, launch, throughput);
  assert.equal(plan.rows.length, 11);
  const cpt = plan.rows.find((r) => r.key === 'cpt/EnJa-Base')!;
  // One epoch: ⌈15.007e9 / (1024 · 4096)⌉ = 3578 iterations of 1024 × 4096 tokens.
  assert.equal(cpt.tokens, 3578 * 1024 * 4096);
  assert.equal(cptTokens(launch, 15_007_000_000), cpt.tokens);
  assert.ok(Math.abs(cpt.gpuHours! - (6 * 13e9 * 3578 * 1024 * 4096) / (PAPER_TFLOPS_PER_GPU * 1e12) / 3600) < 1e-9);
  assert.deepEqual([cpt.nodes, cpt.gpus, cpt.timeLimit, cpt.maxGpuHours], [4, 32, '7-00:00:00', 168 * 32]);
  assert.deepEqual(cpt.after, ['hf-to-megatron/base']);
  assert.equal(plan.cptGpuHours, cpt.gpuHours);
  const lines = planLines(plan);
  assert.equal(
    lines.find((l) => l.startsWith('cpt/EnJa-Base')),
    'cpt/EnJa-Base: 4 node(s) × 8 GPU(s) · limit 7-00:00:00 · 15.01B tokens ≈ 1,153 GPU-hours · after hf-to-megatron/base',
  );
  assert.match(lines.at(-1)!, /^Continued pretraining ≈ 1,153 GPU-hours at 282\.1 TFLOP\/s per GPU \(the paper/);
  assert.deepEqual(planSummary(plan), [
    'cpt/EnJa-Base: 4 node(s) × 8 GPU(s) · limit 7-00:00:00 · 15.01B tokens ≈ 1,153 GPU-hours · after hf-to-megatron/base',
    'And 2 × hf-to-nemo, 2 × sft, 2 × nemo-to-hf, 2 × eval, 1 × hf-to-megatron, 1 × megatron-to-hf.',
    lines.at(-1)!,
  ]);
  // Finished runs of the workspace, when there are some, set the throughput instead.
  const measured = chooseThroughput(
    [
      { name: 'S0/cpt/A', tflopsPerGpu: 200 },
      { name: 'S0/cpt/B', tflopsPerGpu: 300 },
    ],
    282,
  );
  assert.deepEqual(measured, { tflopsPerGpu: 250, source: 'the mean of 2 finished CPT run(s): S0/cpt/A, S0/cpt/B' });
});

test('sbatch --test-only: the expected start Slurm prints, with and without the partition of newer controllers', () => {
  assert.deepEqual(
    parseTestOnly(
      'sbatch: Job 4242 to start at 2026-11-27T04:05:06 using 8 processors on nodes gpu[01-02] in partition h100',
    ),
    { start: '2026-11-27T04:05:06', processors: 8, nodes: 'gpu[01-02]', partition: 'h100' },
  );
  assert.deepEqual(parseTestOnly('sbatch: Job 7 to start at 2026-11-27T04:05:06 using 1 processors on nodes n1'), {
    start: '2026-11-27T04:05:06',
    processors: 1,
    nodes: 'n1',
  });
  assert.equal(
    parseTestOnly('sbatch: error: Batch job submission failed: Requested node configuration is not available'),
    undefined,
  );
});

test('what the plan says was checked: datasets counted once, each tool, Slurm, and each CPT job’s expected start', async () => {
  const templates = await shippedTemplates();
  const launch = {
    study: 'S',
    cluster: 'c',
    includeBase: false,
    resultsDir: '/r/results/S',
    templates,
    settings: jobSettingsSchema.parse({}),
    recipes: [
      { name: 'A', dataPath: ['0.5', '/d/ja', '0.5', '/d/en'], totalTokens: 1e9 },
      { name: 'B', dataPath: ['1', '/d/ja'], totalTokens: 1e9 },
    ],
  };
  const prepared = await prepareStudy({ remoteRoot: async () => '/r' } as unknown as JobService, launch);
  const slurm = prepared.jobs.map((j, i) => ({
    name: j.spec.name,
    ok: true,
    message:
      j.planned.stage === 'cpt'
        ? `sbatch: Job ${i} to start at 2026-11-27T0${i}:00:00 using 32 processors on nodes g[1-4] in partition gpu`
        : `sbatch: Job ${i} to start at 2026-11-27T00:00:00 using 1 processors on nodes c1 in partition cpu`,
  }));
  const cpt = prepared.jobs.flatMap((j, i) => (j.planned.stage === 'cpt' ? [[j.planned.key, i] as const] : []));
  assert.deepEqual(
    checkLines(launch, prepared, {
      problems: [],
      tools: [{ stage: 'cpt', program: 'pretrain_gpt.py', ok: true, message: 'all options accepted' }],
      slurm,
      jobs: prepared.jobs.length,
    }),
    [
      'Checked: the 2 datasets of the blends are on the cluster (.idx and .bin)',
      'Checked: tensor × pipeline parallelism divides the GPUs of every job',
      'Checked: pretrain_gpt.py (cpt): all options accepted',
      `Checked: Slurm accepts all ${prepared.jobs.length} jobs (sbatch --test-only)`,
      ...cpt.map(([key, i]) => `Expected start of ${key} alone: 2026-11-27T0${i}:00:00 on g[1-4] (partition gpu)`),
    ],
  );
  assert.deepEqual(
    cpt.map(([key]) => key),
    ['cpt/A', 'cpt/B'],
  );
});
