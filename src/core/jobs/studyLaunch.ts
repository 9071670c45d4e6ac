import * as path from 'node:path';
import { z } from 'zod';
import { type JobService, type JobSpec, newTag } from './jobService';
import { labelProblem } from './labels';
import { checkLayout } from './launchChecks';
import { PAPER_RUN, PAPER_TFLOPS_PER_GPU } from './paperRun';
import {
  CONVERTERS,
  type Converter,
  MAIN_STAGES,
  MODEL_KINDS,
  type ModelKind,
  type PlannedJob,
  pipelineSchema,
  planPipeline,
  STAGES,
  type Stage,
} from './pipeline';
import type { JobRecord } from './registry';
import { slurmResources } from './resources';
import { renderStage } from './templates';

/** Launch settings (`corpusLab.jobs`): launchers and environment per stage, so real clusters can adapt them. */
const resources = slurmResources.strict();

const gpu = (nodes: number, gpusPerNode: number, timeLimit: string, ntasksPerNode?: number) =>
  resources.default({ partition: 'gpu', nodes, gpusPerNode, timeLimit, ...(ntasksPerNode ? { ntasksPerNode } : {}) });

/**
 * The command each stage runs; the template appends the tool's options. Converters left empty are
 * not configured: the planner then refuses a pipeline that needs them, naming the two stages.
 * The defaults name the upstream scripts (see templates/ for the commit whose options they use).
 */
const launchers = z
  .object({
    // One torchrun per node (srun), which starts a process per GPU and sets WORLD_SIZE for Megatron.
    cpt: z
      .string()
      .min(1)
      .default(
        'srun --ntasks-per-node=1 torchrun --nnodes="$SLURM_NNODES" --nproc-per-node="$SLURM_GPUS_ON_NODE" --rdzv-id="$SLURM_JOB_ID" --rdzv-backend=c10d --rdzv-endpoint="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1):29500" "$HOME/Megatron-LM/pretrain_gpt.py"',
      ),
    // Lightning's SLURM environment: one task per GPU, started by srun.
    sft: z
      .string()
      .min(1)
      .default('srun python "$HOME/NeMo/examples/nlp/language_modeling/tuning/megatron_gpt_finetuning.py"'),
    eval: z.string().min(1).default('torchrun --nproc_per_node="$SLURM_GPUS_ON_NODE"'),
    'hf-to-megatron': z.string().default('python "$HOME/Megatron-LM/tools/checkpoint/convert.py"'),
    'megatron-to-hf': z.string().default('python "$HOME/Megatron-LM/tools/checkpoint/convert.py"'),
    'hf-to-nemo': z.string().default('python "$HOME/NeMo/scripts/checkpoint_converters/convert_llama_hf_to_nemo.py"'),
    'nemo-to-hf': z.string().default('python "$HOME/NeMo/scripts/checkpoint_converters/convert_llama_nemo_to_hf.py"'),
  })
  .strict();

/** med-eval's template per task family, as its own scripts pair them (nii-nlp/med-eval scripts/). */
const evalTemplates = z
  .object({
    mcqa: z.string().min(1).default('mcqa_with_options'),
    mcqaJa: z.string().min(1).default('mcqa_with_options_jp'),
    contextMcqa: z.string().min(1).default('context_based_mcqa'),
    contextMcqaJa: z.string().min(1).default('context_based_mcqa_jp'),
    dc: z.string().min(1).default('dc_with_options_jp'),
    mtEnJa: z.string().min(1).default('english_japanese'),
    mtJaEn: z.string().min(1).default('japanese_english'),
    ner: z.string().min(1).default('standard'),
    sts: z.string().min(1).default('sts_as_nli_jp'),
  })
  .strict();

const checkStyle = z.enum(['argparse', 'probe', 'hydra', 'none']);

export const jobSettingsSchema = z
  .object({
    setup: z.string().default(''),
    launchers: launchers.default({}),
    /** The interpreter Validate Study uses to ask each tool for its options (`--help`, `--cfg job`). */
    python: z.string().min(1).default('python'),
    /**
     * How Validate Study asks each stage's tool what it accepts: argparse `--help`; `probe` (its own
     * arguments and one it cannot know: for tools whose plugins add options, as convert.py's);
     * Hydra `--cfg job`; or not at all.
     */
    checks: z
      .object({
        cpt: checkStyle.default('argparse'),
        sft: checkStyle.default('hydra'),
        eval: checkStyle.default('argparse'),
        'hf-to-megatron': checkStyle.default('probe'),
        'megatron-to-hf': checkStyle.default('probe'),
        'hf-to-nemo': checkStyle.default('argparse'),
        'nemo-to-hf': checkStyle.default('argparse'),
      })
      .strict()
      .default({}),
    /** What each stage's tool consumes and produces; converters are inserted between kinds. */
    pipeline: pipelineSchema.default({}),
    resources: z
      .object({
        cpt: gpu(4, 8, '7-00:00:00'),
        sft: gpu(1, 8, '1-00:00:00', 8),
        eval: gpu(1, 8, '12:00:00'),
        'hf-to-megatron': gpu(1, 1, '6:00:00'),
        'megatron-to-hf': gpu(1, 1, '6:00:00'),
        'hf-to-nemo': gpu(1, 1, '6:00:00'),
        'nemo-to-hf': gpu(1, 1, '6:00:00'),
      })
      .strict()
      .default({}),
    tokenizerModel: z.string().default('$HOME/llm-jp-tokenizer/models/ver3.0/llm-jp-tokenizer-100k.ver3.0b1.model'),
    /** The base model as a Hugging Face directory: the study's starting point. */
    baseModel: z.string().default('$HOME/checkpoints/llm-jp-3-13b'),
    /** The base model already converted, if you have it; empty: converted once per study. */
    baseMegatronModel: z.string().default(''),
    baseNemoModel: z.string().default(''),
    sftData: z.string().default('$HOME/sft/ichikara-instruction.jsonl'),
    /** NeMo requires a validation set; empty: the training file. */
    sftValidationData: z.string().default(''),
    medEvalDir: z.string().default('$HOME/med-eval'),
    evalTemplates: evalTemplates.default({}),
    numFewshot: z.number().int().nonnegative().default(3),
    /** Training iterations of continued pretraining; 0: one epoch of the recipe's tokens. */
    trainIters: z.number().int().nonnegative().default(0),
    /** The model's parameter count, for GPU-hour estimates (llm-jp-3-13b). */
    modelParameters: z.number().positive().default(PAPER_RUN.parameters),
    /** Sustained TFLOP/s per GPU for estimates when no finished CPT run of the workspace tells; default: the paper's run. */
    tflopsPerGpu: z.number().positive().default(PAPER_TFLOPS_PER_GPU),
    /** The sbatch program, for sites that wrap it. */
    sbatch: z.string().default('sbatch'),
    /** How often the job tree asks Slurm (one squeue per cluster). */
    pollSeconds: z.number().min(2).default(15),
  })
  .strict();
export type JobSettings = z.infer<typeof jobSettingsSchema>;

export interface LaunchRecipe {
  readonly name: string;
  /** `weight prefix …` from the recipe's blend, as separate words. */
  readonly dataPath: readonly string[];
  readonly totalTokens: number;
}

export type StageTemplates = Record<Stage, { file: string; text: string }>;

export interface StudyLaunch {
  readonly study: string;
  readonly cluster: string;
  readonly recipes: readonly LaunchRecipe[];
  /** Also fine-tune and evaluate the base model: the "before" state of the score differences. */
  readonly includeBase: boolean;
  readonly settings: JobSettings;
  readonly templates: StageTemplates;
  /** Absolute directory on the cluster for results, e.g. <root>/results/<study>. */
  readonly resultsDir: string;
  /**
   * What a blend's dataset (its prefix as the blend names it) measured when its tokens were counted
   * on this cluster, if they were: the blend's weights came from that count, so the files must still
   * be those.
   */
  readonly counted?: (prefix: string) => CountedFiles | undefined;
}

/** The `.idx` and `.bin` sizes and times (ms) a count was read from, and when. */
export interface CountedFiles {
  readonly countedAt: string;
  readonly idx: { readonly size: number; readonly mtimeMs: number };
  readonly bin: { readonly size: number; readonly mtimeMs: number };
}

/** One epoch of a corpus: ⌈tokens / (global batch × sequence length)⌉ iterations. */
export function epochIterations(tokens: number, globalBatch = 1024, seqLength = 4096): number {
  return Math.max(1, Math.ceil(tokens / (globalBatch * seqLength)));
}

/** The parallel layout shared by CPT, the Megatron conversions and SFT (the paper's Appendix D). */
export const CPT_LAYOUT = { tensorParallel: 2, pipelineParallel: 2 } as const;
export const SFT_LAYOUT = { tensorParallel: 2, pipelineParallel: 1 } as const;

/** Where each stage leaves what it produces, inside its run directory (eval: the study's results). */
export function outputOf(
  stage: Stage,
  runDir: string,
  model: string,
  launch: Pick<StudyLaunch, 'resultsDir' | 'settings'>,
): string {
  switch (stage) {
    case 'hf-to-megatron':
    case 'cpt':
      return path.posix.join(runDir, 'checkpoints');
    case 'megatron-to-hf':
    case 'nemo-to-hf':
      return path.posix.join(runDir, 'hf');
    case 'hf-to-nemo':
    case 'sft':
      return path.posix.join(runDir, 'model.nemo');
    case 'eval':
      return path.posix.join(launch.resultsDir, model, `${launch.settings.numFewshot}-shot`);
  }
}

/** The stage's parameters besides the common ones (run directory, set-up, launcher, input, output). */
function stageParams(job: PlannedJob, runDir: string, launch: StudyLaunch): Record<string, unknown> {
  const s = launch.settings;
  const recipe = launch.recipes.find((r) => r.name === job.model);
  switch (job.stage) {
    case 'cpt':
      return {
        dataPath: [...recipe!.dataPath],
        tokenizerModel: s.tokenizerModel,
        trainIters: s.trainIters || epochIterations(recipe!.totalTokens),
        ...CPT_LAYOUT,
      };
    case 'hf-to-megatron':
      return { ...CPT_LAYOUT };
    case 'megatron-to-hf':
      return { baseModel: s.baseModel };
    case 'hf-to-nemo':
      return {};
    case 'nemo-to-hf':
      return { baseModel: s.baseModel, workDir: path.posix.join(runDir, 'convert') };
    case 'sft': {
      const r = s.resources.sft;
      return {
        trainData: s.sftData,
        validationData: s.sftValidationData || s.sftData,
        workDir: path.posix.join(runDir, 'sft'),
        devices: r.ntasksPerNode ?? (r.gpusPerNode || 1),
        numNodes: r.nodes ?? 1,
        ...SFT_LAYOUT,
      };
    }
    case 'eval':
      return { modelLabel: job.model, numFewshot: s.numFewshot, medEvalDir: s.medEvalDir, templates: s.evalTemplates };
  }
}

export interface PreparedJob {
  readonly planned: PlannedJob;
  readonly spec: JobSpec;
  readonly runDir: string;
  /** The rendered script, with the run directory in it. */
  readonly script: string;
}

export interface PreparedStudy {
  readonly jobs: readonly PreparedJob[];
  /** Everything that would make a job fail or be refused, each naming its job; empty when all can be submitted. */
  readonly problems: readonly string[];
}

export class LaunchRefused extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`nothing was submitted: ${problems.join('; ')}`);
    this.name = 'LaunchRefused';
  }
}

const configuredConverters = (s: JobSettings) =>
  new Set(CONVERTERS.filter((c) => s.launchers[c].trim() !== '')) as ReadonlySet<Converter>;

/**
 * Plans, renders and checks every job of a study — nothing is submitted here. A study is either
 * submitted whole or not at all: a name that cannot become a label, a template that does not
 * render, a layout that does not fit its GPUs or artifacts that do not connect are all found
 * before the first sbatch.
 */
export async function prepareStudy(
  service: Pick<JobService, 'remoteRoot'>,
  launch: StudyLaunch,
): Promise<PreparedStudy> {
  const s = launch.settings;
  const problems: string[] = [];
  const studyProblem = labelProblem(launch.study);
  if (studyProblem) problems.push(`study name: ${studyProblem}`);
  for (const r of launch.recipes) {
    const p = labelProblem(r.name);
    if (p) problems.push(`recipe name (it labels its jobs and results): ${p}`);
  }
  const base: Partial<Record<ModelKind, string>> = {
    hf: s.baseModel || undefined,
    megatron: s.baseMegatronModel || undefined,
    nemo: s.baseNemoModel || undefined,
  };
  const plan = planPipeline({
    recipes: launch.recipes.map((r) => r.name),
    includeBase: launch.includeBase,
    pipeline: s.pipeline,
    base,
    converters: configuredConverters(s),
  });
  problems.push(...plan.problems);

  const root = await service.remoteRoot(launch.cluster);
  const tags = new Map(plan.jobs.map((j) => [j.key, newTag(launch.study, j.stage, j.model)]));
  const runDirOf = (key: string) => path.posix.join(root, 'runs', tags.get(key)!);
  const outputs = new Map(plan.jobs.map((j) => [j.key, outputOf(j.stage, runDirOf(j.key), j.model, launch)]));
  const jobs: PreparedJob[] = [];
  for (const job of plan.jobs) {
    const runDir = runDirOf(job.key);
    const input = job.input.path ?? outputs.get(job.input.job!)!;
    const res = s.resources[job.stage];
    const params = stageParams(job, runDir, launch) as Record<string, unknown> & {
      tensorParallel?: number;
      pipelineParallel?: number;
    };
    let script = '';
    try {
      script = renderStage(job.stage, launch.templates[job.stage], {
        runDir,
        setup: s.setup,
        launcher: s.launchers[job.stage],
        input,
        output: outputs.get(job.key)!,
        ...params,
      });
    } catch (e) {
      problems.push(`${job.key}: ${(e as Error).message}`);
    }
    if (job.stage === 'cpt' || job.stage === 'sft') {
      const layout = checkLayout(params.tensorParallel ?? 1, params.pipelineParallel ?? 1, res);
      if (layout) problems.push(`${job.key}: ${layout}`);
    }
    if (job.stage === 'sft' && res.ntasksPerNode !== res.gpusPerNode) {
      problems.push(
        `${job.key}: NeMo runs one task per GPU (Lightning checks SLURM_NTASKS_PER_NODE against trainer.devices), so resources.sft.ntasksPerNode (${res.ntasksPerNode ?? 'unset'}) must equal resources.sft.gpusPerNode (${res.gpusPerNode ?? 'unset'})`,
      );
    }
    const rendered = script;
    jobs.push({
      planned: job,
      runDir,
      script: rendered,
      spec: {
        cluster: launch.cluster,
        study: launch.study,
        stage: job.stage,
        model: job.model,
        name: `${launch.study}/${job.stage}/${job.model}`,
        tag: tags.get(job.key),
        script: () => rendered,
        resources: res,
        dependsOn: job.input.job ? [tags.get(job.input.job)!] : [],
        resultsDir: job.stage === 'eval' ? () => outputs.get(job.key)! : undefined,
      },
    });
  }
  return { jobs, problems };
}

/**
 * Submits a study as one dependency graph (afterok): the base model converted once, per recipe
 * CPT → conversions → SFT → conversion → evaluation, and the base model's own SFT → evaluation.
 * Slurm runs it; we only submit. Nothing is submitted unless every job renders and checks.
 */
export async function launchStudy(
  service: JobService,
  launch: StudyLaunch,
  progress: (done: number, total: number, what: string) => void = () => undefined,
): Promise<JobRecord[]> {
  const prepared = await prepareStudy(service, launch);
  if (prepared.problems.length) throw new LaunchRefused(prepared.problems);
  return submitPrepared(service, prepared, progress);
}

/** Submits a prepared study's jobs in plan order (each after what it consumes); refuses one with problems. */
export async function submitPrepared(
  service: JobService,
  prepared: PreparedStudy,
  progress: (done: number, total: number, what: string) => void = () => undefined,
): Promise<JobRecord[]> {
  if (prepared.problems.length) throw new LaunchRefused(prepared.problems);
  const out: JobRecord[] = [];
  for (const j of prepared.jobs) {
    progress(out.length, prepared.jobs.length, j.spec.name);
    out.push(await service.submit(j.spec));
  }
  progress(out.length, prepared.jobs.length, '');
  return out;
}

export { MAIN_STAGES, MODEL_KINDS, STAGES };
