import { z } from 'zod';
import type { DataTable } from '../report/dataTable';
import { parseIterationLine } from './megatronLog';
import { smoothEma } from './smoothing';

/**
 * Runs side by side: the training curves of several jobs (Megatron CPT, NeMo SFT) on one x-axis —
 * iterations, consumed samples or consumed tokens — smoothed, with each run's summary and the
 * rows of a CSV export. Pure: the caller reads the logs and the job scripts.
 */

export const RUN_KINDS = ['cpt', 'sft'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const METRICS = ['lmLoss', 'learningRate', 'gradNorm', 'tflopsPerGpu'] as const;
export type Metric = (typeof METRICS)[number];
export const X_AXES = ['iteration', 'samples', 'tokens'] as const;
export type XAxis = (typeof X_AXES)[number];

/*
 * The shapes a comparison page receives, declared once: the types below are inferred from them and
 * the Compare Runs protocol is built from them. Every value is finite: both parsers leave out a
 * `nan` or `inf` they read (JSON, which carries the messages, has neither).
 */
const count = z.number().int().nonnegative();
const finite = z.number().finite();
export const runPoint = z
  .object({
    iteration: z.number().int(),
    consumedSamples: finite.optional(),
    lmLoss: finite.optional(),
    learningRate: finite.optional(),
    gradNorm: finite.optional(),
    tflopsPerGpu: finite.optional(),
  })
  .strict()
  .readonly();
export type RunPoint = z.infer<typeof runPoint>;

export const comparedRun = z
  .object({
    /** The job's tag: unique across studies. */
    id: z.string(),
    study: z.string(),
    /** The recipe (the job's model): what the legend is keyed by. */
    recipe: z.string(),
    kind: z.enum(RUN_KINDS),
    /** Tokens per sample (the job's --seq-length); tokens are unknown without it. */
    seqLength: count.optional(),
    /** Wall time in seconds and GPU-hours, when the job's end (or squeue) tells. */
    wallSeconds: finite.nonnegative().optional(),
    gpuHours: finite.nonnegative().optional(),
    points: z.array(runPoint).readonly(),
  })
  .strict()
  .readonly();
export type Run = z.infer<typeof comparedRun>;

/**
 * NeMo's progress bar (PyTorch Lightning): `Epoch 0: : 12it [.., reduced_train_loss=1.234,
 * global_step=11.000, consumed_samples=768.0, lr=2e-05, ...]`. Lightning logs the global step
 * before the optimizer steps, so iteration = global_step + 1.
 */
export function parseNemoProgress(line: string): RunPoint | undefined {
  const at = line.indexOf('reduced_train_loss=');
  if (at < 0) return undefined;
  const fields = new Map<string, number>();
  for (const m of line.slice(at).matchAll(/([A-Za-z_][\w ]*?)=([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)/g))
    fields.set(m[1].trim(), Number(m[2]));
  const step = fields.get('global_step');
  if (step === undefined || !Number.isInteger(step) || !fields.has('reduced_train_loss')) return undefined;
  // A diverged step (nan, inf) keeps its place without the value, as Megatron's parser does: JSON,
  // which carries the panel's messages, has no NaN.
  const value = (key: string) => {
    const v = fields.get(key);
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const [loss, samples, lr] = [value('reduced_train_loss'), value('consumed_samples'), value('lr')];
  return {
    iteration: step + 1,
    ...(loss !== undefined ? { lmLoss: loss } : {}),
    ...(samples !== undefined ? { consumedSamples: samples } : {}),
    ...(lr !== undefined ? { learningRate: lr } : {}),
  };
}

/**
 * The points of a log: Megatron's iteration lines for CPT, NeMo's progress for SFT. A progress bar
 * rewrites its line many times per step: the last line of each step counts, and a step logged
 * again after a restart replaces the earlier one (the curve is what the run ended with).
 */
export function runPoints(kind: RunKind, lines: readonly string[]): RunPoint[] {
  const byIteration = new Map<number, RunPoint>();
  for (const line of lines) {
    const p = kind === 'cpt' ? parseIterationLine(line) : parseNemoProgress(line);
    if (!p) continue;
    byIteration.delete(p.iteration);
    byIteration.set(p.iteration, {
      iteration: p.iteration,
      ...(p.consumedSamples !== undefined ? { consumedSamples: p.consumedSamples } : {}),
      ...(p.lmLoss !== undefined ? { lmLoss: p.lmLoss } : {}),
      ...(p.learningRate !== undefined ? { learningRate: p.learningRate } : {}),
      ...(p.gradNorm !== undefined ? { gradNorm: p.gradNorm } : {}),
      ...(p.tflopsPerGpu !== undefined ? { tflopsPerGpu: p.tflopsPerGpu } : {}),
    });
  }
  return [...byIteration.values()].sort((a, b) => a.iteration - b.iteration);
}

/**
 * Points that came later (a live log grows) merged into a run's: what `runPoints` gives for all
 * the lines at once — an iteration logged again (a restart, a progress bar's rewrite) takes the
 * later values, the whole sorted by iteration. New iterations past the end are appended as they are.
 */
export function mergePoints(points: readonly RunPoint[], added: readonly RunPoint[]): RunPoint[] {
  const last = points.length ? points[points.length - 1].iteration : Number.NEGATIVE_INFINITY;
  if (added.every((p, i) => p.iteration > (i === 0 ? last : added[i - 1].iteration))) return [...points, ...added];
  const byIteration = new Map(points.map((p) => [p.iteration, p]));
  for (const p of added) byIteration.set(p.iteration, p);
  return [...byIteration.values()].sort((a, b) => a.iteration - b.iteration);
}

/** The sequence length a job script passes: Megatron's `--seq-length N`, NeMo's `max_seq_length=N`. */
export function seqLengthOfScript(script: string): number | undefined {
  const m =
    /--seq-length(?:=|\s+)'?(\d+)'?/.exec(script) ?? /(?:^|[\s.'"])max_seq_length=['"]?(\d+)['"]?/m.exec(script);
  return m ? Number(m[1]) : undefined;
}

/** Where a point sits on the chosen axis; undefined when the run cannot say (no samples, no seq length). */
export function xOf(run: Run, p: RunPoint, axis: XAxis): number | undefined {
  if (axis === 'iteration') return p.iteration;
  if (p.consumedSamples === undefined) return undefined;
  if (axis === 'samples') return p.consumedSamples;
  return run.seqLength === undefined ? undefined : p.consumedSamples * run.seqLength;
}

export interface ChartSeries {
  readonly id: string;
  readonly label: string;
  readonly points: { x: number; y: number }[];
  /** Points left out because the run cannot place them on this axis. */
  readonly unplaced: number;
}

/** One chart: each run's metric against the axis, smoothed; a log scale drops values ≤ 0. */
export function chartSeries(
  runs: readonly Run[],
  metric: Metric,
  axis: XAxis,
  smoothing = 0,
  logScale = false,
): ChartSeries[] {
  return runs.map((run) => {
    const ys = smoothEma(
      run.points.map((p) => p[metric]),
      smoothing,
    );
    const points: { x: number; y: number }[] = [];
    let unplaced = 0;
    run.points.forEach((p, i) => {
      const y = ys[i];
      if (y === undefined || !Number.isFinite(y) || (logScale && y <= 0)) return;
      const x = xOf(run, p, axis);
      if (x === undefined) unplaced++;
      else points.push({ x, y });
    });
    return { id: run.id, label: runLabel(run, runs), points, unplaced };
  });
}

/** The legend's name of a run: its recipe, with the study when two runs share a recipe. */
export function runLabel(run: Run, all: readonly Run[]): string {
  const same = all.filter((r) => r.recipe === run.recipe);
  if (same.length === 1) return run.recipe;
  const studies = new Set(same.map((r) => r.study));
  return studies.size === same.length ? `${run.recipe} (${run.study})` : `${run.recipe} (${run.study}, ${run.id})`;
}

export const runSummary = z
  .object({
    id: z.string(),
    label: z.string(),
    iterations: count,
    lastLoss: finite.optional(),
    bestLoss: finite.optional(),
    bestIteration: z.number().int().optional(),
    tokensSeen: finite.nonnegative().optional(),
    /** Mean TFLOP/s per GPU over the logged iterations. */
    tflopsPerGpu: finite.optional(),
    wallSeconds: finite.nonnegative().optional(),
    gpuHours: finite.nonnegative().optional(),
  })
  .strict()
  .readonly();
export type RunSummary = z.infer<typeof runSummary>;

export function summarize(run: Run, all: readonly Run[] = [run]): RunSummary {
  let best: RunPoint | undefined;
  let last: RunPoint | undefined;
  let throughput = 0;
  let measured = 0;
  for (const p of run.points) {
    if (p.lmLoss !== undefined && Number.isFinite(p.lmLoss)) {
      last = p;
      if (!best || p.lmLoss < best.lmLoss!) best = p;
    }
    if (p.tflopsPerGpu !== undefined && Number.isFinite(p.tflopsPerGpu)) {
      throughput += p.tflopsPerGpu;
      measured++;
    }
  }
  const end = run.points[run.points.length - 1];
  const samples = end?.consumedSamples;
  return {
    id: run.id,
    label: runLabel(run, all),
    iterations: end?.iteration ?? 0,
    lastLoss: last?.lmLoss,
    bestLoss: best?.lmLoss,
    bestIteration: best?.iteration,
    tokensSeen: samples !== undefined && run.seqLength !== undefined ? samples * run.seqLength : undefined,
    tflopsPerGpu: measured ? throughput / measured : undefined,
    wallSeconds: run.wallSeconds,
    gpuHours: run.gpuHours,
  };
}

const METRIC_SLUGS: Record<Metric, string> = {
  lmLoss: 'lm-loss',
  learningRate: 'learning-rate',
  gradNorm: 'grad-norm',
  tflopsPerGpu: 'throughput',
};

/** An exported chart's file name, without extension: the metric and the x-axis, so the views do not overwrite each other. */
export function compareFigureStem(metric: Metric, axis: XAxis): string {
  return `compare-runs-${METRIC_SLUGS[metric]}-${axis}`;
}

const CSV_COLUMNS = [
  'study',
  'job',
  'recipe',
  'kind',
  'iteration',
  'consumed_samples',
  'consumed_tokens',
  'lm_loss',
  'learning_rate',
  'grad_norm',
  'tflops_per_gpu',
];

/** The export: one row per run per iteration, values unrounded; an unknown value is an empty cell. */
export function comparisonTable(runs: readonly Run[]): DataTable {
  return {
    title: 'Compare Runs',
    columns: CSV_COLUMNS.map((key) => ({ key, label: key })),
    rows: runs.flatMap((run) =>
      run.points.map((p) => [
        run.study,
        run.id,
        run.recipe,
        run.kind,
        p.iteration,
        p.consumedSamples ?? null,
        xOf(run, p, 'tokens') ?? null,
        p.lmLoss ?? null,
        p.learningRate ?? null,
        p.gradNorm ?? null,
        p.tflopsPerGpu ?? null,
      ]),
    ),
  };
}
