import type { SlurmResources } from './jobService';

/** What may stand in a job name, tag, model label or results folder: Slurm, paths and shells all take it as is. */
export const JOB_LABEL = /^[A-Za-z0-9][\w.-]*$/;

/** Why a study or recipe name cannot label jobs and result folders; undefined when it can. */
export function labelProblem(name: string): string | undefined {
  if (JOB_LABEL.test(name) && name.length <= 64) return undefined;
  const suggestion = name.normalize('NFKD').replace(/[^\w.-]+/g, '-').replace(/^[-_.]+|-+$/g, '').slice(0, 64);
  const hint = suggestion && JOB_LABEL.test(suggestion) ? `; for example "${suggestion}"` : '';
  return `it labels jobs and result folders, so it may hold only ASCII letters, digits, ".", "-" and "_" (first a letter or digit, at most 64)${hint}`;
}

/**
 * Megatron and NeMo split a model over tensor × pipeline parallel ranks and replicate that over
 * data-parallel groups: the GPUs of the job must be a multiple of TP × PP.
 */
export function checkLayout(tensorParallel: number, pipelineParallel: number, res: SlurmResources): string | undefined {
  const gpus = (res.nodes ?? 1) * (res.gpusPerNode ?? 0);
  const ranks = tensorParallel * pipelineParallel;
  if (gpus === 0) return `tensor × pipeline parallel = ${ranks} needs GPUs, and the job asks for none (resources.gpusPerNode)`;
  if (gpus % ranks !== 0) return `tensor × pipeline parallel = ${tensorParallel} × ${pipelineParallel} = ${ranks} does not divide the ${gpus} GPUs requested (${res.nodes ?? 1} node(s) × ${res.gpusPerNode} GPUs)`;
  return undefined;
}
