import { z } from 'zod';

/**
 * Slurm's job states as squeue and sacct print them (long form): the base states and the flags
 * `job_state_string()` reports in their place (SchedMD/slurm src/common/slurm_protocol_defs.c at
 * 284c3b95f08a2dc2478499837b03355e1b9c5c75).
 */
const SLURM_STATES = [
  'PENDING',
  'RUNNING',
  'SUSPENDED',
  'COMPLETED',
  'CANCELLED',
  'FAILED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
  'COMPLETING',
  'STAGE_OUT',
  'CONFIGURING',
  'EXPEDITING',
  'RESIZING',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'SPECIAL_EXIT',
  'STOPPED',
  'REVOKED',
  'RESV_DEL_HOLD',
  'SIGNALING',
] as const;

/**
 * Our own: recorded before sbatch runs, refused by sbatch (or never uploaded), and a state Slurm
 * printed that is not in the list above (a newer Slurm's), kept beside the record as `slurmState`.
 */
const OWN_STATES = ['SUBMITTING', 'UNSUBMITTED', 'UNKNOWN'] as const;

export const jobState = z.enum([...SLURM_STATES, ...OWN_STATES]);
export type JobState = z.infer<typeof jobState>;

/** States in which a job will not run again by itself (REQUEUED and the like are not among them). */
const FINISHED: ReadonlySet<JobState> = new Set<JobState>([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
  'SPECIAL_EXIT',
]);

export function isFinished(state: JobState): boolean {
  return FINISHED.has(state);
}

/** What Slurm printed as a state: one of ours, or UNKNOWN with Slurm's own word kept to show. */
export interface ReadState {
  readonly state: JobState;
  /** Slurm's word, only when it is not a state this version knows. */
  readonly slurmState?: string;
}

/** Reads a state printed by squeue or sacct; one this version does not know becomes UNKNOWN, not an error. */
export function readSlurmState(printed: string): ReadState {
  const known = jobState.safeParse(printed);
  if (known.success && (SLURM_STATES as readonly string[]).includes(printed)) return { state: known.data };
  return { state: 'UNKNOWN', slurmState: printed };
}

/** The state as a person reads it: `UNKNOWN (Slurm: RECONFIG_FAIL)` when Slurm's word was not known. */
export function stateText(j: { readonly state: JobState; readonly slurmState?: string }): string {
  return j.slurmState ? `${j.state} (Slurm: ${j.slurmState})` : j.state;
}
