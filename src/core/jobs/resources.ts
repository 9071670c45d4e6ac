import { z } from 'zod';

/**
 * What a job asks Slurm for, described once: the launch settings (`corpusLab.jobs.resources`), the
 * sbatch options and the registry record all use this schema, so a job is resubmitted with exactly
 * what it was first given, read from its record rather than parsed back out of its sbatch line.
 */
export const slurmResources = z.object({
  partition: z
    .string()
    .regex(/^[\w.-]+(,[\w.-]+)*$/, 'partition names (letters, digits, ".", "_", "-") separated by commas')
    .optional(),
  nodes: z.number().int().positive().optional(),
  gpusPerNode: z.number().int().nonnegative().optional(),
  cpusPerTask: z.number().int().positive().optional(),
  /** Tasks per node for srun: NeMo (Lightning) wants one per GPU, and `trainer.devices` is set to it. */
  ntasksPerNode: z.number().int().positive().optional(),
  timeLimit: z
    .string()
    .regex(/^(\d+-)?\d+(:\d{2}){0,2}$/, 'Slurm time, e.g. 2-00:00:00 or 30:00')
    .optional(),
  /** Memory per node (`--mem`): a number of megabytes, or with a unit K, M, G or T. */
  memory: z
    .string()
    .regex(/^\d+[KMGT]?$/, 'Slurm memory, e.g. 64G or 500M')
    .optional(),
});
export type SlurmResources = z.infer<typeof slurmResources>;

/** The sbatch options for the resources, one argument each, in a fixed order. */
export function resourceArgs(r: SlurmResources): string[] {
  const args: string[] = [];
  if (r.partition) args.push(`--partition=${r.partition}`);
  if (r.nodes) args.push(`--nodes=${r.nodes}`);
  if (r.gpusPerNode) args.push(`--gres=gpu:${r.gpusPerNode}`);
  if (r.ntasksPerNode) args.push(`--ntasks-per-node=${r.ntasksPerNode}`);
  if (r.cpusPerTask) args.push(`--cpus-per-task=${r.cpusPerTask}`);
  if (r.timeLimit) args.push(`--time=${r.timeLimit}`);
  if (r.memory) args.push(`--mem=${r.memory}`);
  return args;
}

/** GPUs the job asked for: GPUs per node times nodes. */
export function requestedGpus(r: SlurmResources): number {
  return (r.nodes ?? 1) * (r.gpusPerNode ?? 0);
}

/**
 * Registries written before resources were recorded hold only the sbatch line; its resource options
 * are read once, when such a record is loaded, and the record is written back with them. Only the
 * options `resourceArgs` writes are understood (a `--gres=gpu:type:N` keeps its count).
 */
export function resourcesOfOldSbatch(argv: readonly string[]): SlurmResources {
  const get = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const int = (k: string) => {
    const v = get(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const gpus = /^gpu(?::[^:,]+)?:(\d+)$/.exec(get('gres') ?? '')?.[1];
  const found: Record<string, unknown> = {
    partition: get('partition'),
    nodes: int('nodes'),
    gpusPerNode: gpus === undefined ? undefined : Number(gpus),
    cpusPerTask: int('cpus-per-task'),
    ntasksPerNode: int('ntasks-per-node'),
    timeLimit: get('time'),
    memory: get('mem'),
  };
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined)) as SlurmResources;
}
