import { parseSlurmDuration } from './accounting';
import { isFinished, type JobState, stateText } from './jobState';
import { STAGES } from './pipeline';
import type { JobRecord } from './registry';
import { requestedGpus } from './resources';

/** How a job reads in the tree: state, time used of the limit, exit code, GPU-hours, and where or why. */
export function jobDescription(j: JobRecord): string {
  const parts = [stateText(j)];
  if (j.jobId) parts.unshift(`#${j.jobId}`);
  const limit = timeLimitText(j);
  if (j.elapsed && j.state !== 'PENDING') parts.push(limit ? `${j.elapsed} / ${limit}` : j.elapsed);
  if (j.state === 'RUNNING' && j.node) parts.push(`on ${j.node}`);
  const exit = exitText(j);
  if (exit && j.state !== 'COMPLETED') parts.push(exit);
  const h = jobGpuHours(j);
  if (h > 0) parts.push(formatGpuHours(h, true));
  const reason = shownReason(j);
  if (reason && j.state !== 'RUNNING' && j.state !== 'COMPLETED') parts.push(`(${reason})`);
  return parts.join(' · ');
}

/** What squeue prints for a job that may run for ever (the partition's MaxTime is INFINITE). */
const UNLIMITED = new Set(['UNLIMITED', 'INFINITE']);
/**
 * Slurm's backfill scheduler plans a job without a limit, in a partition without one, as running
 * 365 days (`YEAR_MINUTES` in `_set_backfill_timelimits()`, SchedMD/slurm
 * src/plugins/sched/backfill/backfill.c at 284c3b95f08a2dc2478499837b03355e1b9c5c75), and a job
 * it starts keeps that limit: the same request shows as UNLIMITED or as this, by who started it.
 */
const BACKFILL_NO_LIMIT = '365-00:00:00';
export const NO_LIMIT = 'no limit';

/**
 * A job's time limit as shown: `no limit` for every way Slurm says so, else the limit as Slurm
 * prints it. 365 days counts as no limit only for a job that did not ask for a limit itself.
 */
export function timeLimitText(j: Pick<JobRecord, 'limit' | 'resources'>): string | undefined {
  if (!j.limit) return undefined;
  if (UNLIMITED.has(j.limit)) return NO_LIMIT;
  if (j.limit === BACKFILL_NO_LIMIT && j.resources.timeLimit === undefined) return NO_LIMIT;
  return j.limit;
}

/** `exit 3`, `signal 15`, or nothing when unknown or 0:0 (which a cancelled job that never ran also has). */
export function exitText(j: JobRecord): string | undefined {
  if (j.end?.signal) return `signal ${j.end.signal}`;
  return j.end?.exitCode ? `exit ${j.end.exitCode}` : undefined;
}

/** Tooltip lines on how a finished job ended: who says so, exit, times, GPUs, memory. */
export function endDetails(j: JobRecord): string[] {
  const e = j.end;
  if (!e) return [];
  const src = {
    sacct: 'Slurm accounting (sacct)',
    record: "the job's own end record (no accounting)",
    none: 'no record: the job left none, and the cluster has no accounting',
  }[e.source];
  const lines = [`ended: ${[exitText(j), e.end && `at ${e.end}`].filter(Boolean).join(' ')} — from ${src}`];
  if (e.start) lines.push(`ran ${e.start} → ${e.end ?? '?'} (${j.elapsed || `${e.elapsedSeconds} s`})`);
  lines.push(`${e.gpus} GPU${e.gpus === 1 ? '' : 's'} · ${formatGpuHours(jobGpuHours(j))}`);
  if (e.maxRssBytes !== undefined) lines.push(`MaxRSS ${(e.maxRssBytes / 1024 ** 2).toFixed(1)} MiB`);
  return lines;
}

/**
 * GPU-hours: elapsed × allocated GPUs. A finished job's from its end (accounting or its own
 * record); a running job's so far, from squeue's elapsed time and the GPUs it asked for.
 */
export function jobGpuHours(j: JobRecord): number {
  if (j.end) return (j.end.elapsedSeconds * j.end.gpus) / 3600;
  if (j.state === 'PENDING' || !j.elapsed) return 0;
  return ((parseSlurmDuration(j.elapsed) ?? 0) * requestedGpus(j.resources)) / 3600;
}

export function gpuHours(jobs: readonly JobRecord[]): number {
  return jobs.reduce((s, j) => s + jobGpuHours(j), 0);
}

/** `3,412 GPU-hours`; two significant decimals below 10, so a short test job is not "0". */
export function formatGpuHours(h: number, short = false): string {
  const n = h >= 10 ? Math.round(h).toLocaleString('en-US') : h >= 0.01 || h === 0 ? h.toFixed(2) : h.toPrecision(2);
  return `${n} ${short ? 'GPU-h' : 'GPU-hours'}`;
}

/** A study's outcome in one line: `12 completed, 1 failed, 3,412 GPU-hours`. */
export function studySummary(jobs: readonly JobRecord[]): string {
  const count = (f: (s: JobState) => boolean) => jobs.filter((j) => f(j.state)).length;
  const done = count((s) => s === 'COMPLETED');
  const cancelled = count((s) => s === 'CANCELLED');
  const failed = count((s) => (isFinished(s) && s !== 'COMPLETED' && s !== 'CANCELLED') || s === 'UNSUBMITTED');
  const parts = [`${done} completed`];
  if (failed) parts.push(`${failed} failed`);
  if (cancelled) parts.push(`${cancelled} cancelled`);
  const running = jobs.length - done - failed - cancelled;
  if (running) parts.push(`${running} not finished`);
  return [...parts, formatGpuHours(gpuHours(jobs))].join(', ');
}

/**
 * Reasons squeue gives a job while it waits. A job that ended keeps the last one a poll saw (a job
 * that fails at once may never be seen running), and it says nothing about why it ended.
 */
const WAITING_REASONS = new Set([
  'None',
  'Dependency',
  'Priority',
  'Resources',
  'BeginTime',
  'JobHeldUser',
  'JobHeldAdmin',
  'ReqNodeNotAvail',
  'PartitionTimeLimit',
  'QOSMaxJobsPerUserLimit',
  'AssocGrpGRES',
  'Reservation',
]);

/** The reason worth showing: a waiting job's reason while it waits, an ended job's only when it tells why it ended. */
export function shownReason(j: JobRecord): string | undefined {
  if (!j.reason) return undefined;
  return !isActive(j) && WAITING_REASONS.has(j.reason) ? undefined : j.reason;
}

/** Why a job that did not complete ended, for its notification. */
export function endReason(j: JobRecord): string {
  const what: Partial<Record<JobState, string>> = {
    FAILED: 'failed',
    CANCELLED: 'was cancelled',
    TIMEOUT: 'reached its time limit',
    OUT_OF_MEMORY: 'was killed: out of memory',
    NODE_FAIL: 'was killed: node failure',
    PREEMPTED: 'was preempted',
    BOOT_FAIL: 'failed: node boot failure',
    DEADLINE: 'passed its deadline',
  };
  const how = [exitText(j), shownReason(j)].filter(Boolean).join(', ');
  return `${what[j.state] ?? `ended ${stateText(j)}`}${how ? ` (${how})` : ''}`;
}

export type JobIcon = 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'unknown';

/** Every state's icon; a state added to the union without one here does not compile. */
const ICON_OF: Record<JobState, JobIcon> = {
  SUBMITTING: 'pending',
  PENDING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_FED: 'pending',
  REQUEUE_HOLD: 'pending',
  RESV_DEL_HOLD: 'pending',
  EXPEDITING: 'pending',
  SUSPENDED: 'pending',
  STOPPED: 'pending',
  CONFIGURING: 'running',
  RUNNING: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  COMPLETING: 'running',
  STAGE_OUT: 'running',
  COMPLETED: 'done',
  CANCELLED: 'cancelled',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  PREEMPTED: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  REVOKED: 'failed',
  SPECIAL_EXIT: 'failed',
  UNSUBMITTED: 'failed',
  UNKNOWN: 'unknown',
};

export function jobIcon(state: JobState): JobIcon {
  return ICON_OF[state];
}

export function isActive(j: JobRecord): boolean {
  return !isFinished(j.state) && j.state !== 'UNSUBMITTED';
}

/** Still worth a poll: live, or finished with its end (exit code, GPUs) not yet read. */
export function needsPoll(j: JobRecord): boolean {
  return isActive(j) || (j.jobId !== undefined && !j.end && isFinished(j.state));
}

/**
 * Which job ends to announce. Only a job this window saw alive (a poll found it pending or running,
 * or it was submitted here) is announced when it ends: jobs that ended while the editor was closed
 * are listed, not announced. A job cancelled because a dependency failed is not announced on its
 * own (the failure that caused it is); it counts in the study's summary.
 */
export class JobEndWatch {
  private readonly alive = new Set<string>();

  /** Jobs submitted in this window. */
  watch(tags: Iterable<string>): void {
    for (const t of tags) this.alive.add(t);
  }

  /** After a successful poll of `cluster`: the failures to announce and the studies whose last job ended. */
  update(jobs: readonly JobRecord[], cluster: string): { failures: JobRecord[]; studies: string[] } {
    const ended: JobRecord[] = [];
    // A job is announced once its end (exit code, GPU-hours) is read, not when squeue first says FAILED.
    for (const j of jobs.filter((x) => x.cluster === cluster)) {
      if (isActive(j)) this.alive.add(j.tag);
      else if (!needsPoll(j) && this.alive.delete(j.tag)) ended.push(j);
    }
    const failures = ended.filter((j) => j.state !== 'COMPLETED' && j.reason !== 'DependencyNeverSatisfied');
    const studies = [...new Set(ended.map((j) => j.study))].filter(
      (s) => !jobs.some((j) => j.study === s && needsPoll(j)),
    );
    return { failures, studies };
  }
}

/** The tree shows stages in the order the pipeline runs them. */
export const STAGE_ORDER: readonly string[] = STAGES;

/** Studies → stages → jobs, newest study first, jobs by model. */
export function groupJobs(
  jobs: readonly JobRecord[],
): { study: string; stages: { stage: string; jobs: JobRecord[] }[] }[] {
  const studies = new Map<string, JobRecord[]>();
  for (const j of jobs) studies.set(j.study, [...(studies.get(j.study) ?? []), j]);
  return [...studies]
    .sort(
      (a, b) =>
        Math.max(...b[1].map((j) => Date.parse(j.submittedAt))) -
        Math.max(...a[1].map((j) => Date.parse(j.submittedAt))),
    )
    .map(([study, js]) => ({
      study,
      // Known stages in pipeline order, any other stage after them in the order first submitted.
      stages: [
        ...new Set([
          ...STAGE_ORDER,
          ...[...js].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt)).map((j) => j.stage),
        ]),
      ]
        .map((stage) => ({
          stage,
          jobs: js
            .filter((j) => j.stage === stage)
            .sort((a, b) => a.model.localeCompare(b.model) || a.submittedAt.localeCompare(b.submittedAt)),
        }))
        .filter((g) => g.jobs.length > 0),
    }));
}
