import * as path from 'node:path';
import { z } from 'zod';
import type { JobRecord } from './registry';
import type { JobService, JobSpec, SlurmResources } from './jobService';
import { renderStage, type Stage } from './templates';

/** Launch settings (`corpusLab.jobs`): launchers and environment per stage, so real clusters can adapt them. */
const resources = z.object({
  partition: z.string().optional(),
  nodes: z.number().int().positive().optional(),
  gpusPerNode: z.number().int().nonnegative().optional(),
  cpusPerTask: z.number().int().positive().optional(),
  timeLimit: z.string().regex(/^(\d+-)?\d+(:\d{2}){0,2}$/, 'Slurm time, e.g. 2-00:00:00 or 30:00').optional(),
}).strict();

export const jobSettingsSchema = z.object({
  setup: z.string().default(''),
  launchers: z.object({
    cpt: z.string().min(1).default('torchrun --nproc_per_node=8 --nnodes="$SLURM_NNODES" --node_rank="$SLURM_NODEID" --master_addr="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)" --master_port=29500 "$HOME/Megatron-LM/pretrain_gpt.py"'),
    sft: z.string().min(1).default('python "$HOME/NeMo/examples/nlp/language_modeling/tuning/megatron_gpt_finetuning.py"'),
    eval: z.string().min(1).default('torchrun --nproc_per_node=8'),
  }).default({}),
  resources: z.object({
    cpt: resources.default({ partition: 'gpu', nodes: 4, gpusPerNode: 8, timeLimit: '7-00:00:00' }),
    sft: resources.default({ partition: 'gpu', nodes: 1, gpusPerNode: 8, timeLimit: '1-00:00:00' }),
    eval: resources.default({ partition: 'gpu', nodes: 1, gpusPerNode: 8, timeLimit: '12:00:00' }),
  }).default({}),
  tokenizerModel: z.string().default('$HOME/llm-jp-tokenizer/models/ver3.0/llm-jp-tokenizer-100k.ver3.0b1.model'),
  baseModel: z.string().default('$HOME/checkpoints/llm-jp-3-13b'),
  baseNemoModel: z.string().default('$HOME/checkpoints/llm-jp-3-13b.nemo'),
  sftData: z.string().default('$HOME/sft/ichikara-instruction.jsonl'),
  medEvalDir: z.string().default('$HOME/med-eval'),
  numFewshot: z.number().int().nonnegative().default(3),
  /** Training iterations of continued pretraining; 0: one epoch of the recipe's tokens. */
  trainIters: z.number().int().nonnegative().default(0),
  /** The sbatch program, for sites that wrap it. */
  sbatch: z.string().default('sbatch'),
  /** How often the job tree asks Slurm (one squeue per cluster). */
  pollSeconds: z.number().min(2).default(15),
}).strict();
export type JobSettings = z.infer<typeof jobSettingsSchema>;

export interface LaunchRecipe {
  readonly name: string;
  /** `weight prefix …` from the recipe's blend, as separate words. */
  readonly dataPath: readonly string[];
  readonly totalTokens: number;
}

export interface StudyLaunch {
  readonly study: string;
  readonly cluster: string;
  readonly recipes: readonly LaunchRecipe[];
  /** Also fine-tune and evaluate the base model: the "before" state of the score differences. */
  readonly includeBase: boolean;
  readonly settings: JobSettings;
  readonly templates: Record<Stage, { file: string; text: string }>;
  /** Absolute directory on the cluster for results, e.g. <root>/results/<study>. */
  readonly resultsDir: string;
}

/** One epoch of a corpus: ⌈tokens / (global batch × sequence length)⌉ iterations. */
export function epochIterations(tokens: number, globalBatch = 1024, seqLength = 4096): number {
  return Math.max(1, Math.ceil(tokens / (globalBatch * seqLength)));
}

/** One stage's job of a launch: the template rendered with the settings' launcher and set-up. */
function stageSpec(launch: StudyLaunch, stage: Stage, model: string, params: (runDir: string) => Record<string, unknown>, dependsOn: string[] = [], resultsDir?: string): JobSpec {
  const s = launch.settings;
  return {
    cluster: launch.cluster,
    study: launch.study,
    stage,
    model,
    name: `${launch.study}/${stage}/${model}`,
    script: (runDir) => renderStage(stage, launch.templates[stage], { runDir, setup: s.setup, launcher: s.launchers[stage], ...params(runDir) }),
    resources: s.resources[stage] as SlurmResources,
    dependsOn,
    resultsDir: resultsDir ? () => resultsDir : undefined,
  };
}

/** Continued pretraining of a recipe: its blend, the base checkpoint, one epoch unless trainIters is set. */
function cptSpec(launch: StudyLaunch, r: LaunchRecipe): JobSpec {
  const s = launch.settings;
  return stageSpec(launch, 'cpt', r.name, (runDir) => ({
    dataPath: [...r.dataPath], tokenizerModel: s.tokenizerModel, load: s.baseModel, save: path.posix.join(runDir, 'checkpoints'),
    trainIters: s.trainIters || epochIterations(r.totalTokens),
  }));
}

/** Fine-tuning of `nemoModel` (the base model, or a CPT job's checkpoints). */
function sftSpec(launch: StudyLaunch, model: string, nemoModel: string, dependsOn: string[] = []): JobSpec {
  const s = launch.settings;
  return stageSpec(launch, 'sft', model, (runDir) => ({ model: nemoModel, trainData: s.sftData, output: path.posix.join(runDir, 'sft') }), dependsOn);
}

/**
 * Slurm's own check of a launch, nothing submitted: `sbatch --test-only` on each recipe's
 * continued-pretraining job (later stages depend on jobs that do not exist yet) and on the base
 * model's fine-tuning, with the rendered scripts and the configured resources.
 */
export async function validateLaunch(service: JobService, launch: StudyLaunch): Promise<{ name: string; ok: boolean; message: string }[]> {
  const specs = [...(launch.includeBase ? [sftSpec(launch, 'base', launch.settings.baseNemoModel)] : []), ...launch.recipes.map((r) => cptSpec(launch, r))];
  const out: { name: string; ok: boolean; message: string }[] = [];
  for (const spec of specs) out.push({ name: spec.name, ...(await service.validate(spec)) });
  return out;
}

/**
 * Submits a study as one dependency graph: per recipe CPT → SFT (afterok) → evaluation (afterok),
 * and, for the "before" state, SFT → evaluation of the base model. Slurm runs it; we only submit.
 */
export async function launchStudy(service: JobService, launch: StudyLaunch, progress: (done: number, total: number, what: string) => void = () => undefined): Promise<JobRecord[]> {
  const s = launch.settings;
  const total = launch.recipes.length * 3 + (launch.includeBase ? 2 : 0);
  const out: JobRecord[] = [];
  const step = async (spec: JobSpec) => {
    progress(out.length, total, spec.name);
    const rec = await service.submit(spec);
    out.push(rec);
    return rec;
  };
  const sftThenEval = async (model: string, nemoModel: string, after: string[]) => {
    const sft = await step(sftSpec(launch, model, nemoModel, after));
    await step(stageSpec(launch, 'eval', model, () => ({
      model: path.posix.join(sft.runDir, 'sft'), modelLabel: model, numFewshot: s.numFewshot, resultsDir: launch.resultsDir, medEvalDir: s.medEvalDir,
    }), [sft.tag], path.posix.join(launch.resultsDir, model, `${s.numFewshot}-shot`)));
  };
  if (launch.includeBase) await sftThenEval('base', s.baseNemoModel, []);
  for (const r of launch.recipes) {
    const cpt = await step(cptSpec(launch, r));
    await sftThenEval(r.name, path.posix.join(cpt.runDir, 'checkpoints'), [cpt.tag]);
  }
  progress(out.length, total, '');
  return out;
}
