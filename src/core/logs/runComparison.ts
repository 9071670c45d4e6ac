import type { DataTable } from '../report/dataTable';
import { parseIterationLine } from './megatronLog';

/**
 * Runs side by side: the training curves of several jobs (Megatron CPT, NeMo SFT) on one x-axis —
 * iterations, consumed samples or consumed tokens — smoothed, with each run's summary and the
 * rows of a CSV export. Pure: the caller reads the logs and the job scripts.
 */

export type RunKind = 'cpt' | 'sft';
export const METRICS = ['lmLoss', 'learningRate', 'gradNorm', 'tflopsPerGpu'] as const;
export type Metric = (typeof METRICS)[number];
export const X_AXES = ['iteration', 'samples', 'tokens'] as const;
export type XAxis = (typeof X_AXES)[number];

export interface RunPoint {
  readonly iteration: number;
  readonly consumedSamples?: number;
  readonly lmLoss?: number;
  readonly learningRate?: number;
  readonly gradNorm?: number;
  readonly tflopsPerGpu?: number;
}

export interface Run {
  /** The job's tag: unique across studies. */
  readonly id: string;
  readonly study: string;
  /** The recipe (the job's model): what the legend is keyed by. */
  readonly recipe: string;
  readonly kind: RunKind;
  /** Tokens per sample (the job's --seq-length); tokens are unknown without it. */
  readonly seqLength?: number;
  /** Wall time in seconds and GPU-hours, when the job's end (or squeue) tells. */
  readonly wallSeconds?: number;
  readonly gpuHours?: number;
  readonly points: readonly RunPoint[];
}

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
  const loss = fields.get('reduced_train_loss');
  if (step === undefined || !Number.isInteger(step) || loss === undefined) return undefined;
  return {
    iteration: step + 1,
    lmLoss: loss,
    ...(fields.has('consumed_samples') ? { consumedSamples: fields.get('consumed_samples') } : {}),
    ...(fields.has('lr') ? { learningRate: fields.get('lr') } : {}),
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

/**
 * TensorBoard's smoothing: an exponential moving average with weight `w` in [0, 1), debiased so
 * the first points are not pulled toward zero: s_n = (w·m_{n−1} + (1−w)·v_n) / (1 − w^n). Missing
 * and non-finite values are passed through and do not advance it.
 */
export function ema(values: readonly (number | undefined)[], weight: number): (number | undefined)[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothing must be in [0, 1), not ${weight}`);
  let m = 0;
  let n = 0;
  return values.map((v) => {
    if (v === undefined || !Number.isFinite(v)) return v;
    n++;
    m = weight * m + (1 - weight) * v;
    return weight === 0 ? v : m / (1 - weight ** n);
  });
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
    const ys = ema(
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

export interface RunSummary {
  readonly id: string;
  readonly label: string;
  readonly iterations: number;
  readonly lastLoss?: number;
  readonly bestLoss?: number;
  readonly bestIteration?: number;
  readonly tokensSeen?: number;
  /** Mean TFLOP/s per GPU over the logged iterations. */
  readonly tflopsPerGpu?: number;
  readonly wallSeconds?: number;
  readonly gpuHours?: number;
}

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
