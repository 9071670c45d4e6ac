import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { shellQuote } from '../cluster/shellQuote';

import { STAGES, type Stage } from './pipeline';

/**
 * Job scripts are templates: `{{name}}` becomes the parameter's value, shell-quoted (arrays: one
 * quoted word per element); `{{!name}}` inserts it verbatim, for the user's own set-up lines and
 * launcher commands from settings. Slurm options are not in the script: they go to sbatch as
 * arguments. A workspace file `.corpus-lab/templates/<stage>.sbatch` replaces the shipped one.
 * Every stage gets `input` (the artifact it consumes) and `output` (where it must leave what it
 * produces), so a tool can be swapped without touching its neighbours.
 */
export { STAGES, type Stage };

const common = {
  runDir: z.string().min(1),
  setup: z.string().default(''),
  launcher: z.string().min(1),
  input: z.string().min(1),
  output: z.string().min(1),
};
const layout = {
  tensorParallel: z.number().int().positive(),
  pipelineParallel: z.number().int().positive(),
};

/** Continued pretraining with Megatron-LM: the paper's Appendix D and llm-jp's 13B (Llama-2 13B) shape. */
export const cptParams = z.object({
  ...common,
  ...layout,
  dataPath: z.array(z.string().min(1)).min(2),
  tokenizerModel: z.string().min(1),
  trainIters: z.number().int().positive(),
  globalBatchSize: z.number().int().positive().default(1024),
  microBatchSize: z.number().int().positive().default(1),
  lr: z.number().positive().default(1e-4),
  minLr: z.number().nonnegative().default(1e-5),
  warmupFraction: z.number().min(0).max(1).default(0.03),
  weightDecay: z.number().nonnegative().default(0.1),
  adamBeta1: z.number().min(0).max(1).default(0.9),
  adamBeta2: z.number().min(0).max(1).default(0.95),
  adamEps: z.number().positive().default(1e-8),
  numLayers: z.number().int().positive().default(40),
  hiddenSize: z.number().int().positive().default(5120),
  ffnHiddenSize: z.number().int().positive().default(13824),
  numAttentionHeads: z.number().int().positive().default(40),
  seqLength: z.number().int().positive().default(4096),
  saveInterval: z.number().int().positive().default(500),
});

/** SFT with NeMo, full-parameter (paper Appendix D). */
export const sftParams = z.object({
  ...common,
  ...layout,
  trainData: z.string().min(1),
  validationData: z.string().min(1),
  /** NeMo's experiment directory; the final .nemo is linked from there to `output`. */
  workDir: z.string().min(1),
  devices: z.number().int().positive(),
  numNodes: z.number().int().positive(),
  globalBatchSize: z.number().int().positive().default(64),
  microBatchSize: z.number().int().positive().default(1),
  lr: z.number().positive().default(2e-5),
  minLr: z.number().nonnegative().default(2e-6),
  warmupSteps: z.number().int().nonnegative().default(20),
  weightDecay: z.number().nonnegative().default(0.1),
  adamBeta1: z.number().min(0).max(1).default(0.9),
  adamBeta2: z.number().min(0).max(1).default(0.98),
  epochs: z.number().int().positive().default(2),
});

const taskList = (tasks: string[]) =>
  z
    .string()
    .regex(/^[\w.-]+(,[\w.-]+)*$/, 'task ids separated by commas')
    .default(tasks.join(','));
/** JMedBench (nii-nlp/med-eval): one evaluate_*.py call per task family and template, CSVs under results/<model>/<shots>-shot/. */
export const evalParams = z.object({
  ...common,
  modelLabel: z
    .string()
    .min(1)
    .regex(/^[\w.-]+$/),
  numFewshot: z.number().int().nonnegative().default(3),
  templates: z.object({
    mcqa: z.string().min(1),
    mcqaJa: z.string().min(1),
    contextMcqa: z.string().min(1),
    contextMcqaJa: z.string().min(1),
    dc: z.string().min(1),
    mtEnJa: z.string().min(1),
    mtJaEn: z.string().min(1),
    ner: z.string().min(1),
    sts: z.string().min(1),
  }),
  /** Task ids as med-eval's --task takes them: comma-joined, one call per family and template. */
  tasks: z
    .object({
      mcqa: taskList(['medmcqa', 'usmleqa', 'medqa', 'mmlu_medical', 'igakuqa_en']),
      mcqaJa: taskList(['medmcqa_jp', 'usmleqa_jp', 'medqa_jp', 'mmlu_medical_jp', 'igakuqa', 'jmmlu_medical']),
      contextMcqa: taskList(['pubmedqa']),
      contextMcqaJa: taskList(['pubmedqa_jp']),
      dc: taskList(['crade', 'rrtnm', 'smdis']),
      ner: taskList([
        'mrner_disease',
        'mrner_medicine',
        'nrner',
        'bc2gm_jp',
        'bc5chem_jp',
        'bc5disease_jp',
        'jnlpba_jp',
        'ncbi_disease_jp',
      ]),
      sts: taskList(['jcsts']),
    })
    .default({}),
  /** The med-eval checkout on the cluster. */
  medEvalDir: z.string().min(1),
});

/** Conversions: Megatron-LM's tools/checkpoint/convert.py and NeMo's checkpoint converters. */
export const hfToMegatronParams = z.object({ ...common, ...layout });
export const megatronToHfParams = z.object({ ...common, baseModel: z.string().min(1) });
export const hfToNemoParams = z.object({ ...common, precision: z.string().default('bf16') });
export const nemoToHfParams = z.object({
  ...common,
  baseModel: z.string().min(1),
  workDir: z.string().min(1),
  precision: z.string().default('bf16'),
});

export const STAGE_PARAMS = {
  'hf-to-megatron': hfToMegatronParams,
  cpt: cptParams,
  'megatron-to-hf': megatronToHfParams,
  'hf-to-nemo': hfToNemoParams,
  sft: sftParams,
  'nemo-to-hf': nemoToHfParams,
  eval: evalParams,
} as const satisfies Record<Stage, z.ZodTypeAny>;

export class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'TemplateError';
  }
}

function flatten(params: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [kk, vv] of flatten(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

function formatValue(v: unknown): string {
  return typeof v === 'number'
    ? Number.isInteger(v) || Math.abs(v) >= 1e-3
      ? String(v)
      : v.toExponential()
    : String(v);
}

/** Quotes a value; a leading `$HOME/` or `~/` stays expandable, so settings can name paths in the home directory. */
export function quoteValue(v: string): string {
  if (v.startsWith('$HOME/')) return `"$HOME"/${shellQuote(v.slice(6))}`;
  if (v.startsWith('~/')) return `~/${shellQuote(v.slice(2))}`;
  return shellQuote(v);
}

/** Renders a template with validated parameters; unknown or missing placeholders name their line. */
export function renderTemplate(file: string, template: string, params: Record<string, unknown>): string {
  const values = flatten(params);
  const used = new Set<string>();
  const out = template.split('\n').map((line, i) =>
    line.replace(/\{\{(!?)\s*([\w.]+)\s*\}\}/g, (_, raw: string, name: string) => {
      if (!values.has(name))
        throw new TemplateError(
          file,
          i + 1,
          `unknown parameter {{${raw}${name}}}; known: ${[...values.keys()].sort().join(', ')}`,
        );
      used.add(name);
      const v = values.get(name);
      if (raw) return Array.isArray(v) ? v.map(formatValue).join(' ') : formatValue(v ?? '');
      if (Array.isArray(v)) return v.map((x) => quoteValue(formatValue(x))).join(' ');
      return quoteValue(formatValue(v ?? ''));
    }),
  );
  return out.join('\n');
}

/** The template of a stage: the workspace's override when there is one, else the shipped default. */
export async function loadTemplate(
  stage: Stage,
  shippedDir: string,
  workspaceDir?: string,
): Promise<{ file: string; text: string }> {
  const candidates = [
    ...(workspaceDir ? [path.join(workspaceDir, '.corpus-lab', 'templates', `${stage}.sbatch`)] : []),
    path.join(shippedDir, `${stage}.sbatch`),
  ];
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return { file, text };
  }
  throw new Error(`no template for stage "${stage}" (looked in ${candidates.join(', ')})`);
}

/** Validates parameters for a stage and renders its script; errors name the field. */
export function renderStage<S extends Stage>(stage: S, template: { file: string; text: string }, raw: unknown): string {
  const r = (STAGE_PARAMS[stage] as z.ZodTypeAny).safeParse(raw);
  if (!r.success)
    throw new Error(
      `${stage} parameters: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return renderTemplate(template.file, template.text, r.data as Record<string, unknown>);
}
