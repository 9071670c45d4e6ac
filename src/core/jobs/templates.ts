import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { shellQuote } from '../cluster/shellQuote';

/**
 * Job scripts are templates: `{{name}}` becomes the parameter's value, shell-quoted (arrays: one
 * quoted word per element); `{{!name}}` inserts it verbatim, for the user's own set-up lines and
 * launcher commands from settings. Slurm options are not in the script: they go to sbatch as
 * arguments. A workspace file `.corpus-lab/templates/<stage>.sbatch` replaces the shipped one.
 */
export const STAGES = ['cpt', 'sft', 'eval'] as const;
export type Stage = (typeof STAGES)[number];

const common = {
  runDir: z.string().min(1),
  setup: z.string().default(''),
  launcher: z.string().min(1),
};

/** Continued pretraining with Megatron-LM: the paper's Appendix D and llm-jp's 13B (Llama-2 13B) shape. */
export const cptParams = z.object({
  ...common,
  dataPath: z.array(z.string().min(1)).min(2),
  tokenizerModel: z.string().min(1),
  load: z.string().min(1),
  save: z.string().min(1),
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
  tensorParallel: z.number().int().positive().default(2),
  pipelineParallel: z.number().int().positive().default(2),
  saveInterval: z.number().int().positive().default(500),
});

/** SFT with NeMo (paper Appendix D). */
export const sftParams = z.object({
  ...common,
  model: z.string().min(1),
  trainData: z.string().min(1),
  output: z.string().min(1),
  globalBatchSize: z.number().int().positive().default(64),
  microBatchSize: z.number().int().positive().default(1),
  lr: z.number().positive().default(2e-5),
  minLr: z.number().nonnegative().default(2e-6),
  warmupSteps: z.number().int().nonnegative().default(20),
  weightDecay: z.number().nonnegative().default(0.1),
  adamBeta1: z.number().min(0).max(1).default(0.9),
  adamBeta2: z.number().min(0).max(1).default(0.98),
  epochs: z.number().int().positive().default(2),
  tensorParallel: z.number().int().positive().default(2),
  pipelineParallel: z.number().int().positive().default(1),
});

/** JMedBench (nii-nlp/med-eval): one evaluate_*.py per task family, CSVs under results/<model>/<shots>/. */
export const EVAL_SCRIPTS = { mcqa: 'evaluate_mcqa.py', mt: 'evaluate_mt.py', ner: 'evaluate_ner.py', sts: 'evaluate_sts.py' } as const;
export const evalParams = z.object({
  ...common,
  model: z.string().min(1),
  modelLabel: z.string().min(1).regex(/^[\w.-]+$/),
  numFewshot: z.number().int().nonnegative().default(3),
  templateName: z.string().min(1).default('mcqa_with_options'),
  tasks: z.object({
    mcqa: z.array(z.string().regex(/^[\w.-]+$/)).default(['medmcqa', 'medmcqa_jp', 'usmleqa', 'usmleqa_jp', 'medqa', 'medqa_jp', 'mmlu_medical', 'mmlu_medical_jp', 'igakuqa', 'igakuqa_en', 'jmmlu_medical', 'pubmedqa', 'pubmedqa_jp', 'crade', 'rrtnm', 'smdis']),
    mt: z.array(z.string().regex(/^[\w.-]+$/)).default(['ejmmt-en2ja', 'ejmmt-ja2en']),
    ner: z.array(z.string().regex(/^[\w.-]+$/)).default(['mrner_disease', 'mrner_medicine', 'nrner', 'bc2gm_jp', 'bc5chem_jp', 'bc5disease_jp', 'jnlpba_jp', 'ncbi_disease_jp']),
    sts: z.array(z.string().regex(/^[\w.-]+$/)).default(['jcsts']),
  }).default({}),
  resultsDir: z.string().min(1),
  /** The med-eval checkout on the cluster. */
  medEvalDir: z.string().min(1),
});

export const STAGE_PARAMS = { cpt: cptParams, sft: sftParams, eval: evalParams } as const;
export type StageParams = { cpt: z.infer<typeof cptParams>; sft: z.infer<typeof sftParams>; eval: z.infer<typeof evalParams> };

export class TemplateError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'TemplateError';
  }
}

function flatten(params: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [kk, vv] of flatten(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

function formatValue(v: unknown): string {
  return typeof v === 'number' ? (Number.isInteger(v) || Math.abs(v) >= 1e-3 ? String(v) : v.toExponential()) : String(v);
}

/** Quotes a value; a leading `$HOME/` or `~/` stays expandable, so settings can name paths in the home directory. */
function quoteValue(v: string): string {
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
      if (!values.has(name)) throw new TemplateError(file, i + 1, `unknown parameter {{${raw}${name}}}; known: ${[...values.keys()].sort().join(', ')}`);
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
export async function loadTemplate(stage: Stage, shippedDir: string, workspaceDir?: string): Promise<{ file: string; text: string }> {
  const candidates = [...(workspaceDir ? [path.join(workspaceDir, '.corpus-lab', 'templates', `${stage}.sbatch`)] : []), path.join(shippedDir, `${stage}.sbatch`)];
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return { file, text };
  }
  throw new Error(`no template for stage "${stage}" (looked in ${candidates.join(', ')})`);
}

/** Validates parameters for a stage and renders its script; errors name the field. */
export function renderStage<S extends Stage>(stage: S, template: { file: string; text: string }, raw: unknown): string {
  const r = STAGE_PARAMS[stage].safeParse(raw);
  if (!r.success) throw new Error(`${stage} parameters: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return renderTemplate(template.file, template.text, r.data as Record<string, unknown>);
}
