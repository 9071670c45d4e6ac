import { z } from 'zod';

/**
 * A study's pipeline as data: each stage consumes one kind of model artifact and produces one, and
 * converters bridge kinds. The paper's tools need different kinds at every boundary — Megatron-LM
 * trains Megatron checkpoints, NeMo fine-tunes `.nemo` models, med-eval loads Hugging Face models
 * — so the pipeline is planned from these declarations rather than wired by hand, and a pipeline
 * whose artifacts do not connect is refused before anything reaches the cluster.
 */
export const ARTIFACT_KINDS = ['hf', 'megatron', 'nemo', 'results'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];
export const MODEL_KINDS = ['hf', 'megatron', 'nemo'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const KIND_NAMES: Readonly<Record<ArtifactKind, string>> = {
  hf: 'Hugging Face model',
  megatron: 'Megatron checkpoint',
  nemo: 'NeMo model (.nemo)',
  results: 'JMedBench results',
};

/** The study's own stages; which tool runs each is a template and a launcher. */
export const MAIN_STAGES = ['cpt', 'sft', 'eval'] as const;

/** Known converters, by the kinds they bridge: `<from>-to-<to>`. */
export const CONVERTERS = ['hf-to-megatron', 'megatron-to-hf', 'hf-to-nemo', 'nemo-to-hf'] as const;
export type Converter = (typeof CONVERTERS)[number];

export const STAGES = ['hf-to-megatron', 'cpt', 'megatron-to-hf', 'hf-to-nemo', 'sft', 'nemo-to-hf', 'eval'] as const;
export type Stage = (typeof STAGES)[number];

export const converterKinds = (c: Converter): { from: ModelKind; to: ModelKind } => {
  const [from, to] = c.split('-to-') as [ModelKind, ModelKind];
  return { from, to };
};

const modelKind = z.enum(MODEL_KINDS);
/** What each main stage's tool consumes and produces (the defaults are the paper's tools). */
export const pipelineSchema = z
  .object({
    cpt: z
      .object({ consumes: modelKind.default('megatron'), produces: modelKind.default('megatron') })
      .strict()
      .default({}),
    sft: z
      .object({ consumes: modelKind.default('nemo'), produces: modelKind.default('nemo') })
      .strict()
      .default({}),
    eval: z
      .object({ consumes: modelKind.default('hf') })
      .strict()
      .default({}),
  })
  .strict();
export type PipelineSettings = z.infer<typeof pipelineSchema>;

/** An artifact: given (a path in the settings) or made by a planned job. */
export type Artifact =
  | { readonly kind: ArtifactKind; readonly path: string; readonly job?: undefined }
  | { readonly kind: ArtifactKind; readonly job: string; readonly path?: undefined };

export interface PlannedJob {
  /** Unique within the plan; also the order of submission (a job comes after what it consumes). */
  readonly key: string;
  readonly stage: Stage;
  /** The recipe (or `base`) whose model this job works on. */
  readonly model: string;
  readonly input: Artifact;
  readonly produces: ArtifactKind;
}

export interface PipelinePlan {
  readonly jobs: readonly PlannedJob[];
  /** Why the pipeline cannot run, naming the stages and kinds; empty when it can. */
  readonly problems: readonly string[];
}

export interface PlanInput {
  readonly recipes: readonly string[];
  readonly includeBase: boolean;
  readonly pipeline: PipelineSettings;
  /** The base model in each kind the user already has; `hf` at least is expected. */
  readonly base: Partial<Record<ModelKind, string>>;
  /** Converters that have a launcher configured; the others cannot bridge. */
  readonly converters: ReadonlySet<Converter>;
}

/** Shortest chain of configured converters from one kind to another (breadth first). */
export function converterPath(
  from: ModelKind,
  to: ModelKind,
  available: ReadonlySet<Converter>,
): Converter[] | undefined {
  if (from === to) return [];
  const prev = new Map<ModelKind, Converter>();
  const queue: ModelKind[] = [from];
  const seen = new Set<ModelKind>([from]);
  while (queue.length) {
    const k = queue.shift()!;
    for (const c of CONVERTERS) {
      if (!available.has(c)) continue;
      const { from: f, to: t } = converterKinds(c);
      if (f !== k || seen.has(t)) continue;
      seen.add(t);
      prev.set(t, c);
      if (t === to) {
        const chain: Converter[] = [];
        for (let cur: ModelKind = to; cur !== from; cur = converterKinds(prev.get(cur)!).from)
          chain.unshift(prev.get(cur)!);
        return chain;
      }
      queue.push(t);
    }
  }
  return undefined;
}

const stageName = (s: Stage | 'base') => (s === 'base' ? 'the base model' : s);

/**
 * Plans a study: per recipe, the base model brought to CPT's kind (once per study), CPT, then the
 * result brought to SFT's kind, SFT, to evaluation's kind, evaluation; and the base model's own
 * SFT → evaluation branch (the "before" of the score differences). Converters are inserted where a
 * configured one bridges two kinds; where none does, the problem names both stages and kinds.
 */
export function planPipeline(input: PlanInput): PipelinePlan {
  const jobs: PlannedJob[] = [];
  const problems = new Set<string>();
  const producer = new Map<string, Stage | 'base'>();
  const baseIn = new Map<ModelKind, Artifact>();

  const keys = new Set<string>();
  const add = (stage: Stage, model: string, from: Artifact, produces: ArtifactKind): Artifact => {
    let key = `${stage}/${model}`;
    for (let i = 2; keys.has(key); i++) key = `${stage}/${model}#${i}`;
    keys.add(key);
    jobs.push({ key, stage, model, input: from, produces });
    producer.set(key, stage);
    return { kind: produces, job: key };
  };
  const artifactKind = (a: Artifact) => a.kind as ModelKind;

  /** Brings an artifact to the kind a stage consumes, through converters; undefined when it cannot. */
  const bridge = (a: Artifact, model: string, to: ModelKind, consumer: Stage): Artifact | undefined => {
    const from = artifactKind(a);
    if (from === to) return a;
    const chain = converterPath(from, to, input.converters);
    const by = a.job ? producer.get(a.job)! : 'base';
    if (!chain) {
      const possible = converterPath(from, to, new Set(CONVERTERS));
      const missing = possible?.filter((c) => !input.converters.has(c));
      const hint = missing
        ? `: configure a launcher for ${missing.join(' and ')}`
        : ': no known converter bridges them';
      problems.add(`${stageName(by)} gives a ${KIND_NAMES[from]}, but ${consumer} consumes a ${KIND_NAMES[to]}${hint}`);
      return undefined;
    }
    let cur = a;
    for (const c of chain) cur = add(c, model, cur, converterKinds(c).to);
    return cur;
  };

  /** The base model in a kind: given, or converted once for the whole study. */
  const base = (to: ModelKind, consumer: Stage): Artifact | undefined => {
    const have = baseIn.get(to);
    if (have) return have;
    const given = input.base[to];
    if (given) {
      const a: Artifact = { kind: to, path: given };
      baseIn.set(to, a);
      return a;
    }
    const start = (['hf', 'megatron', 'nemo'] as const).find((k) => input.base[k]);
    if (!start) {
      problems.add(
        `${consumer} needs the base model as a ${KIND_NAMES[to]}, and no base model is configured (jobs.baseModel)`,
      );
      return undefined;
    }
    const a = bridge({ kind: start, path: input.base[start]! }, 'base', to, consumer);
    if (a) baseIn.set(to, a);
    return a;
  };

  const sftThenEval = (model: string, from: Artifact | undefined) => {
    const sftIn = from && bridge(from, model, input.pipeline.sft.consumes, 'sft');
    if (!sftIn) return;
    const tuned = add('sft', model, sftIn, input.pipeline.sft.produces);
    const evalIn = bridge(tuned, model, input.pipeline.eval.consumes, 'eval');
    if (evalIn) add('eval', model, evalIn, 'results');
  };

  if (input.includeBase) sftThenEval('base', base(input.pipeline.sft.consumes, 'sft'));
  for (const recipe of input.recipes) {
    const cptIn = base(input.pipeline.cpt.consumes, 'cpt');
    if (!cptIn) continue;
    sftThenEval(recipe, add('cpt', recipe, cptIn, input.pipeline.cpt.produces));
  }
  return { jobs, problems: [...problems] };
}
