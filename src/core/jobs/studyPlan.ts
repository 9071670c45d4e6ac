import { PAPER_TFLOPS_PER_GPU } from './paperRun';
import type { SlurmResources } from './resources';
import { parseTestOnly } from './slurm';
import type { PreparedStudy, StudyLaunch } from './studyLaunch';
import { epochIterations } from './studyLaunch';
import type { StudyValidation } from './studyValidate';

/**
 * What a study will cost before it is submitted. Training compute is 6 · parameters · tokens
 * FLOPs (forward and backward of a dense transformer); divided by the throughput one GPU sustains
 * it gives GPU-seconds. Without finished runs to learn from, the paper's run sets the throughput.
 */
export { PAPER_RUN, PAPER_TFLOPS_PER_GPU } from './paperRun';

/** GPU-hours of training `tokens` tokens of a `parameters`-parameter model at `tflopsPerGpu`. */
export function trainingGpuHours(parameters: number, tokens: number, tflopsPerGpu: number): number {
  return (6 * parameters * tokens) / (tflopsPerGpu * 1e12) / 3600;
}

export interface Throughput {
  readonly tflopsPerGpu: number;
  /** Where the figure comes from, in words: the setting, the paper, or which finished runs. */
  readonly source: string;
}

export interface PlanRow {
  readonly key: string;
  readonly name: string;
  readonly stage: string;
  readonly model: string;
  readonly nodes: number;
  readonly gpus: number;
  readonly timeLimit?: string;
  /** The job keys it runs after (afterok). */
  readonly after: readonly string[];
  /** CPT only: the tokens it will see and its estimated GPU-hours. */
  readonly tokens?: number;
  readonly gpuHours?: number;
  /** The most GPU-hours its time limit allows (nodes × GPUs × limit), for every job with a limit. */
  readonly maxGpuHours?: number;
}

export interface StudyPlan {
  readonly rows: readonly PlanRow[];
  /** The CPT jobs' estimated GPU-hours together (the rest of a study is small beside them). */
  readonly cptGpuHours: number;
  readonly throughput: Throughput;
  readonly parameters: number;
}

/** Slurm's time formats (`D-HH:MM:SS`, `HH:MM:SS`, `MM:SS`, `MM`) in hours. */
export function slurmTimeHours(limit: string): number | undefined {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d{2}))?(?::(\d{2}))?$/.exec(limit.trim());
  if (!m) return undefined;
  const [days, a, b, c] = [
    Number(m[1] ?? 0),
    Number(m[2]),
    m[3] === undefined ? undefined : Number(m[3]),
    m[4] === undefined ? undefined : Number(m[4]),
  ];
  // With a day, or with three fields, the first is hours; `MM` and `MM:SS` start with minutes.
  const seconds = m[1] !== undefined || c !== undefined ? a * 3600 + (b ?? 0) * 60 + (c ?? 0) : a * 60 + (b ?? 0);
  return days * 24 + seconds / 3600;
}

/** The tokens a CPT run sees: its iterations (`trainIters`, else one epoch) × global batch × sequence length. */
export function tokensSeen(totalTokens: number, trainIters = 0, globalBatch = 1024, seqLength = 4096): number {
  return (trainIters || epochIterations(totalTokens, globalBatch, seqLength)) * globalBatch * seqLength;
}

/** The tokens one CPT job of a launch sees. */
export function cptTokens(launch: StudyLaunch, totalTokens: number): number {
  return tokensSeen(totalTokens, launch.settings.trainIters);
}

export function studyPlan(
  prepared: PreparedStudy,
  launch: StudyLaunch,
  throughput: Throughput,
  parameters = launch.settings.modelParameters,
): StudyPlan {
  const keyOfTag = new Map(prepared.jobs.map((j) => [j.spec.tag, j.planned.key]));
  let cptGpuHours = 0;
  const rows = prepared.jobs.map((j): PlanRow => {
    const res = j.spec.resources as SlurmResources;
    const nodes = res.nodes ?? 1;
    const gpus = nodes * (res.gpusPerNode ?? 0);
    const limit = res.timeLimit ? slurmTimeHours(res.timeLimit) : undefined;
    const base = {
      key: j.planned.key,
      name: j.spec.name,
      stage: j.planned.stage,
      model: j.planned.model,
      nodes,
      gpus,
      timeLimit: res.timeLimit,
      after: (j.spec.dependsOn ?? []).map((t) => keyOfTag.get(t) ?? t),
      maxGpuHours: limit === undefined ? undefined : limit * gpus,
    };
    if (j.planned.stage !== 'cpt') return base;
    const recipe = launch.recipes.find((r) => r.name === j.planned.model)!;
    const tokens = cptTokens(launch, recipe.totalTokens);
    const gpuHours = trainingGpuHours(parameters, tokens, throughput.tflopsPerGpu);
    cptGpuHours += gpuHours;
    return { ...base, tokens, gpuHours };
  });
  return { rows, cptGpuHours, throughput, parameters };
}

/** Throughput from finished runs' logs (mean TFLOP/s per GPU over their iterations), else the setting. */
export function chooseThroughput(
  fromRuns: readonly { name: string; tflopsPerGpu: number }[],
  setting: number,
): Throughput {
  const runs = fromRuns.filter((r) => Number.isFinite(r.tflopsPerGpu) && r.tflopsPerGpu > 0);
  if (runs.length) {
    const mean = runs.reduce((s, r) => s + r.tflopsPerGpu, 0) / runs.length;
    return {
      tflopsPerGpu: mean,
      source: `the mean of ${runs.length} finished CPT run(s): ${runs.map((r) => r.name).join(', ')}`,
    };
  }
  const paper = Math.abs(setting - PAPER_TFLOPS_PER_GPU) < 0.5;
  return {
    tflopsPerGpu: setting,
    source: paper
      ? 'the paper (80B tokens of a 13B model in ~24 h on 256 H100s)'
      : 'the setting corpusLab.jobs.tflopsPerGpu',
  };
}

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

/** The plan in words, one job a line: what Launch Study shows before it submits. */
export function planLines(plan: StudyPlan): string[] {
  const lines = plan.rows.map((r) => {
    const parts = [`${r.key}: ${r.nodes} node(s) × ${r.gpus / Math.max(1, r.nodes)} GPU(s)`];
    if (r.timeLimit) parts.push(`limit ${r.timeLimit}`);
    if (r.tokens !== undefined)
      parts.push(`${(r.tokens / 1e9).toFixed(2)}B tokens ≈ ${grouped(r.gpuHours!)} GPU-hours`);
    if (r.after.length) parts.push(`after ${r.after.join(', ')}`);
    return parts.join(' · ');
  });
  lines.push(
    `Continued pretraining ≈ ${grouped(plan.cptGpuHours)} GPU-hours at ${plan.throughput.tflopsPerGpu.toFixed(1)} TFLOP/s per GPU (${plan.throughput.source}), ${(plan.parameters / 1e9).toFixed(1)}B parameters, 6·N·D FLOPs.`,
  );
  return lines;
}

/**
 * What was checked before the first submission, for the plan: the blends' datasets on the cluster,
 * the parallel layout against the GPUs, the installed tools' options, and Slurm's own check
 * (`sbatch --test-only`) with the start it expects for each CPT job. Only for a study that passed:
 * a failed one is refused with its problems instead.
 */
export function checkLines(
  launch: Pick<StudyLaunch, 'recipes' | 'counted'>,
  prepared: PreparedStudy,
  validation: StudyValidation,
): string[] {
  const cpt = prepared.jobs.filter((j) => j.planned.stage === 'cpt');
  const datasets = new Set(
    cpt.flatMap((j) => {
      const words = launch.recipes.find((r) => r.name === j.planned.model)?.dataPath ?? [];
      return words.filter((_, i) => i % 2 === 1);
    }),
  );
  const counted = [...datasets].filter((d) => launch.counted?.(d)).length;
  const lines = [
    `Checked: the ${datasets.size} datasets of the blends are on the cluster (.idx and .bin)${counted ? `, ${counted} of them as they were when counted` : ''}`,
    `Checked: tensor × pipeline parallelism divides the GPUs of every job`,
    ...validation.tools.map((t) => `Checked: ${t.program} (${t.stage}): ${t.message}`),
    `Checked: Slurm accepts all ${validation.slurm.length} jobs (sbatch --test-only)`,
  ];
  // The checks ran in the study's order, one per job; a CPT job's start is Slurm's for it alone (its inputs not waited for).
  prepared.jobs.forEach((job, i) => {
    if (job.planned.stage !== 'cpt') return;
    const start = parseTestOnly(validation.slurm[i]?.message ?? '');
    if (start)
      lines.push(
        `Expected start of ${job.planned.key} alone: ${start.start} on ${start.nodes}${start.partition ? ` (partition ${start.partition})` : ''}`,
      );
  });
  return lines;
}

/**
 * The plan as a confirmation dialog shows it, short enough for a screen whatever the study's size:
 * each CPT job (the cost is there), the other jobs counted by stage, and the total. The whole plan
 * (`planLines`) goes to the log.
 */
export function planSummary(plan: StudyPlan, checked: readonly string[] = []): string[] {
  const all = planLines(plan);
  const cpt = plan.rows
    .map((r, i) => (r.stage === 'cpt' ? all[i] : undefined))
    .filter((l): l is string => l !== undefined);
  const others = new Map<string, number>();
  for (const r of plan.rows) if (r.stage !== 'cpt') others.set(r.stage, (others.get(r.stage) ?? 0) + 1);
  const rest = [...others].map(([stage, n]) => `${n} × ${stage}`).join(', ');
  return [...cpt, ...(rest ? [`And ${rest}.`] : []), all.at(-1)!, ...checked];
}

/**
 * The cost of one epoch of continued pretraining on a recipe, for the editor: its tokens rounded up
 * to whole iterations of 1024 × 4096, at the given size and throughput.
 */
export function recipeEstimate(
  totalTokens: number,
  parameters: number,
  tflopsPerGpu: number,
): { tokens: number; gpuHours: number; text: string } {
  const tokens = tokensSeen(totalTokens);
  const gpuHours = trainingGpuHours(parameters, tokens, tflopsPerGpu);
  return {
    tokens,
    gpuHours,
    text: `≈ ${grouped(gpuHours)} GPU-hours of CPT (one epoch, ${(parameters / 1e9).toFixed(0)}B at ${tflopsPerGpu.toFixed(0)} TFLOP/s/GPU)`,
  };
}
