import type { SlurmResources } from './resources';

/**
 * Megatron and NeMo split a model over tensor × pipeline parallel ranks and replicate that over
 * data-parallel groups: the GPUs of the job must be a multiple of TP × PP.
 */
export function checkLayout(tensorParallel: number, pipelineParallel: number, res: SlurmResources): string | undefined {
  const gpus = (res.nodes ?? 1) * (res.gpusPerNode ?? 0);
  const ranks = tensorParallel * pipelineParallel;
  if (gpus === 0)
    return `tensor × pipeline parallel = ${ranks} needs GPUs, and the job asks for none (resources.gpusPerNode)`;
  if (gpus % ranks !== 0)
    return `tensor × pipeline parallel = ${tensorParallel} × ${pipelineParallel} = ${ranks} does not divide the ${gpus} GPUs requested (${res.nodes ?? 1} node(s) × ${res.gpusPerNode} GPUs)`;
  return undefined;
}
