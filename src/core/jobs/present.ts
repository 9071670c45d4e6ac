import type { JobRecord } from './registry';
import { FINISHED_STATES } from './slurm';
import { STAGES } from './pipeline';

/** How a job reads in the tree: state, time used of the limit, and where or why. */
export function jobDescription(j: JobRecord): string {
  const parts = [j.state];
  if (j.jobId) parts.unshift(`#${j.jobId}`);
  if (j.elapsed && j.state !== 'PENDING') parts.push(j.limit ? `${j.elapsed} / ${j.limit}` : j.elapsed);
  if (j.state === 'RUNNING' && j.node) parts.push(`on ${j.node}`);
  if (j.reason && j.state !== 'RUNNING' && j.state !== 'COMPLETED') parts.push(`(${j.reason})`);
  return parts.join(' · ');
}

export type JobIcon = 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'unknown';

export function jobIcon(state: string): JobIcon {
  if (state === 'COMPLETED') return 'done';
  if (state === 'RUNNING' || state === 'COMPLETING' || state === 'CONFIGURING') return 'running';
  if (state === 'PENDING' || state === 'SUBMITTING' || state === 'REQUEUED') return 'pending';
  if (state === 'CANCELLED') return 'cancelled';
  if (FINISHED_STATES.has(state) || state === 'UNSUBMITTED') return 'failed';
  return 'unknown';
}

export function isActive(j: JobRecord): boolean {
  return !FINISHED_STATES.has(j.state) && j.state !== 'UNSUBMITTED';
}

/** The tree shows stages in the order the pipeline runs them. */
export const STAGE_ORDER = STAGES;

/** Studies → stages → jobs, newest study first, jobs by model. */
export function groupJobs(jobs: readonly JobRecord[]): { study: string; stages: { stage: string; jobs: JobRecord[] }[] }[] {
  const studies = new Map<string, JobRecord[]>();
  for (const j of jobs) studies.set(j.study, [...(studies.get(j.study) ?? []), j]);
  return [...studies]
    .sort((a, b) => Math.max(...b[1].map((j) => Date.parse(j.submittedAt))) - Math.max(...a[1].map((j) => Date.parse(j.submittedAt))))
    .map(([study, js]) => ({
      study,
      stages: STAGE_ORDER.map((stage) => ({ stage, jobs: js.filter((j) => j.stage === stage).sort((a, b) => a.model.localeCompare(b.model) || a.submittedAt.localeCompare(b.submittedAt)) })).filter((g) => g.jobs.length > 0),
    }));
}
