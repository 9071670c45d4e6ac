import { z } from 'zod';
import { pathArg } from '../cluster/shellQuote';
import { type ReadState, readSlurmState } from './jobState';
import { resourceArgs, type SlurmResources } from './resources';

export interface SbatchOptions {
  readonly jobName: string;
  /** Our unique tag, carried in --comment so a job can be found again without its id. */
  readonly tag: string;
  readonly resources: SlurmResources;
  readonly output: string;
  readonly chdir: string;
  /** Job ids that must complete successfully first (afterok). */
  readonly afterOk?: readonly string[];
  readonly testOnly?: boolean;
}

/** The sbatch argument vector; every value is its own argument, quoted by shellCommand later. */
export function sbatchArgv(script: string, o: SbatchOptions): string[] {
  const argv = [
    'sbatch',
    '--parsable',
    `--job-name=${o.jobName}`,
    `--comment=${o.tag}`,
    `--output=${o.output}`,
    `--chdir=${o.chdir}`,
    ...resourceArgs(o.resources),
  ];
  if (o.afterOk && o.afterOk.length > 0)
    argv.push(`--dependency=afterok:${o.afterOk.join(':')}`, '--kill-on-invalid-dep=yes');
  if (o.testOnly) argv.push('--test-only');
  argv.push(pathArg(script));
  return argv;
}

const JOB_ID = /^\d+(_\d+)?$/;

/** `sbatch --parsable` prints `jobid[;cluster]`. */
export function parseSbatchOutput(stdout: string): string {
  const first = stdout.trim().split('\n').pop()!.split(';')[0].trim();
  if (!JOB_ID.test(first)) throw new Error(`sbatch printed no job id: ${JSON.stringify(stdout.trim().slice(0, 200))}`);
  return first;
}

/**
 * What `sbatch --test-only` expects: Slurm's sbatch prints "Job %u to start at %s using %u
 * processors on nodes %s in partition %s" (src/sbatch/sbatch.c; the partition is missing from
 * controllers of 17.11 and older), the time in Slurm's own format.
 */
const expectedStart = z.object({
  start: z.string().min(1),
  processors: z.coerce.number().int().nonnegative(),
  nodes: z.string().min(1),
  partition: z.string().min(1).optional(),
});
export type ExpectedStart = z.infer<typeof expectedStart>;

const TEST_ONLY = /Job \d+ to start at (\S+) using (\d+) processors on nodes (\S+)(?: in partition (\S+))?/;

/** Slurm's expected start of a job checked with `sbatch --test-only`; undefined when it said something else. */
export function parseTestOnly(message: string): ExpectedStart | undefined {
  const m = TEST_ONLY.exec(message);
  if (!m) return undefined;
  const parsed = expectedStart.safeParse({
    start: m[1],
    processors: m[2],
    nodes: m[3],
    ...(m[4] ? { partition: m[4] } : {}),
  });
  return parsed.success ? parsed.data : undefined;
}

/** Fields of one squeue line; the separator is a character no field of ours can hold. */
export const SQUEUE_FORMAT = ['%i', '%k', '%T', '%r', '%M', '%l', '%N', '%j'].join('\x1f');

export function squeueArgv(user?: string): string[] {
  return [
    'squeue',
    '--noheader',
    '--states=all',
    ...(user ? [`--user=${user}`] : ['--me']),
    `--format=${SQUEUE_FORMAT}`,
  ];
}

const squeueRow = z.object({
  jobId: z.string().regex(JOB_ID),
  comment: z.string(),
  state: z.string().regex(/^[A-Z_]+$/),
  reason: z.string(),
  elapsed: z.string(),
  limit: z.string(),
  nodes: z.string(),
  name: z.string(),
});
/** A squeue line; a state this version does not know is UNKNOWN, with Slurm's word kept. */
export type SqueueRow = Omit<z.infer<typeof squeueRow>, 'state'> & ReadState;

/** Parses squeue output; a malformed line is reported, not guessed at. */
export function parseSqueue(stdout: string): { rows: SqueueRow[]; problems: string[] } {
  const rows: SqueueRow[] = [];
  const problems: string[] = [];
  stdout.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split('\x1f');
    const r = squeueRow.safeParse({
      jobId: f[0]?.trim(),
      comment: f[1] === '(null)' ? '' : f[1],
      state: f[2]?.trim(),
      reason: f[3] === 'None' ? '' : f[3],
      elapsed: f[4],
      limit: f[5],
      nodes: f[6],
      name: f[7],
    });
    if (r.success) rows.push({ ...r.data, ...readSlurmState(r.data.state) });
    else
      problems.push(
        `squeue line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}: ${JSON.stringify(line.slice(0, 120))}`,
      );
  });
  return { rows, problems };
}
