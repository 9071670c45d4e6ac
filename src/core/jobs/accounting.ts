import { z } from 'zod';
import { shellQuote } from '../cluster/shellQuote';
import { type JobState, readSlurmState } from './jobState';

/**
 * How jobs that `squeue` no longer lists ended. Slurm forgets a finished job MinJobAge seconds
 * after it ends (300 by default); then accounting (`sacct`) knows it, and where a cluster has no
 * accounting, the job's own end record, written by a trap the job service puts into every script.
 */

/** The end of a job, kept in the registry once known. */
export const jobEnd = z.object({
  /** Who said so: Slurm's accounting, or the record the job script wrote itself. */
  source: z.enum(['sacct', 'record', 'none']),
  exitCode: z.number().int().optional(),
  /** The signal that ended the script, 0 when it exited by itself. */
  signal: z.number().int().optional(),
  /** As the cluster prints them (sacct: the cluster's local time; the record: UTC, ISO 8601). */
  start: z.string().optional(),
  end: z.string().optional(),
  elapsedSeconds: z.number().nonnegative(),
  gpus: z.number().int().nonnegative(),
  maxRssBytes: z.number().nonnegative().optional(),
});
export type JobEnd = z.infer<typeof jobEnd>;

export interface FinalState {
  readonly jobId: string;
  readonly state: JobState;
  /** Slurm's word for a state this version does not know (then `state` is UNKNOWN). */
  readonly slurmState?: string;
  readonly reason?: string;
  readonly elapsed: string;
  readonly node?: string;
  readonly end: JobEnd;
}

/** Slurm's elapsed-time format: [D-]HH:MM:SS, MM:SS, or minutes alone (as in time limits). */
export function parseSlurmDuration(s: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+)(?::(\d+))?$/.exec(s.trim());
  if (!m) return undefined;
  const [, d, a, b, c] = m;
  // With a day and two fields, Slurm means D-HH:MM; a lone number is minutes.
  if (c !== undefined) return Number(d ?? 0) * 86400 + Number(a ?? 0) * 3600 + Number(b) * 60 + Number(c);
  if (a !== undefined)
    return d !== undefined ? Number(d) * 86400 + Number(a) * 3600 + Number(b) * 60 : Number(a) * 60 + Number(b);
  return d !== undefined ? Number(d) * 86400 + Number(b) * 3600 : Number(b) * 60;
}

/** Seconds as Slurm prints elapsed time: MM:SS under an hour, HH:MM:SS, D-HH:MM:SS from a day. */
export function formatSlurmDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (d > 0) return `${d}-${two(h)}:${two(m)}:${two(sec)}`;
  if (h > 0) return `${h}:${two(m)}:${two(sec)}`;
  return `${m}:${two(sec)}`;
}

// ---------------------------------------------------------------------------------------------
// sacct

/**
 * The fields asked of sacct, in order; WorkDir and JobName last, as the only free text. The
 * allocation and its steps are both read (no -X): state, exit code, times and AllocTRES come from
 * the allocation line, MaxRSS only exists on steps (the largest is kept), and a step killed for
 * memory while the allocation says FAILED still makes the job OUT_OF_MEMORY.
 */
export const SACCT_FIELDS = [
  'JobID',
  'State',
  'ExitCode',
  'ElapsedRaw',
  'Elapsed',
  'Start',
  'End',
  'NodeList',
  'AllocTRES',
  'MaxRSS',
  'Reason',
  'WorkDir',
  'JobName',
] as const;
const SEP = '\x1f';

export function sacctArgv(jobIds: readonly string[]): string[] {
  if (jobIds.length === 0) throw new Error('sacct: no job ids');
  // With --jobs, sacct's start time defaults to the epoch: a job from last month is still found.
  return [
    'sacct',
    '--parsable2',
    '--noheader',
    `--delimiter=${SEP}`,
    `--jobs=${jobIds.join(',')}`,
    `--format=${SACCT_FIELDS.join(',')}`,
  ];
}

/**
 * Jobs of one name submitted since `since` (the cluster's local time, YYYY-MM-DDTHH:MM:SS): for
 * finding a job whose id was lost with sbatch's reply, by its run directory (WorkDir).
 */
export function sacctSinceArgv(jobName: string, since: string): string[] {
  // --name takes a comma-separated list: a name with a comma is matched here instead.
  const byName = jobName.includes(',') ? [] : [`--name=${jobName}`];
  return [
    'sacct',
    '--parsable2',
    '--noheader',
    `--delimiter=${SEP}`,
    ...byName,
    `--starttime=${since}`,
    `--format=${SACCT_FIELDS.join(',')}`,
  ];
}

/** sacct's refusal on a cluster with AccountingStorageType=accounting_storage/none. */
export function accountingDisabled(stderr: string): boolean {
  return /accounting storage is disabled/i.test(stderr);
}

const SACCT_ID = /^(\d+(?:_\d+)?)(?:\.(.+))?$/;
const NOT_A_TIME = new Set(['', 'Unknown', 'None']);

const sacctLine = z.object({
  jobId: z.string().regex(SACCT_ID, 'not a job id'),
  state: z.string().regex(/^[A-Z_]+( by \d+)?\+?$/, 'not a Slurm state'),
  exitCode: z.string().regex(/^\d+:\d+$/, 'not code:signal'),
  elapsedRaw: z.string().regex(/^\d+$/, 'not whole seconds').transform(Number),
  elapsed: z.string(),
  start: z.string(),
  end: z.string(),
  nodes: z.string(),
  allocTres: z.string(),
  maxRss: z.string().regex(/^(\d+(\.\d+)?[KMGTP]?)?$/, 'not a size'),
  reason: z.string(),
  workDir: z.string(),
  name: z.string(),
});

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

function bytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGTP]?)$/.exec(s);
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

/** GPUs in AllocTRES: `gres/gpu=N`, or the sum of typed `gres/gpu:a100=N` when only those appear. */
export function gpusInTres(tres: string): number | undefined {
  const pairs = tres
    .split(',')
    .map((p) => p.split('='))
    .filter((p) => p.length === 2);
  const plain = pairs.find(([k]) => k === 'gres/gpu');
  if (plain) return Number(plain[1]);
  const typed = pairs.filter(([k]) => k.startsWith('gres/gpu:'));
  return typed.length ? typed.reduce((s, [, v]) => s + Number(v), 0) : undefined;
}

export interface SacctJob {
  readonly jobId: string;
  readonly state: JobState;
  readonly slurmState?: string;
  readonly reason?: string;
  readonly exitCode: number;
  readonly signal: number;
  readonly elapsedSeconds: number;
  readonly elapsed: string;
  readonly start?: string;
  readonly end?: string;
  readonly nodes?: string;
  /** From AllocTRES; undefined where the cluster does not track gres/gpu (AccountingStorageTRES). */
  readonly gpus?: number;
  readonly maxRssBytes?: number;
  readonly workDir: string;
  readonly name: string;
}

/** Parses `sacctArgv` output: one entry per allocation, its steps folded in. Bad lines are named, not guessed at. */
export function parseSacct(stdout: string): { jobs: Map<string, SacctJob>; problems: string[] } {
  const jobs = new Map<string, SacctJob>();
  const steps: { id: string; state: string; maxRss?: number }[] = [];
  const problems: string[] = [];
  stdout.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split(SEP);
    const parsed = sacctLine.safeParse(
      Object.fromEntries(
        [
          'jobId',
          'state',
          'exitCode',
          'elapsedRaw',
          'elapsed',
          'start',
          'end',
          'nodes',
          'allocTres',
          'maxRss',
          'reason',
          'workDir',
          'name',
        ].map((k, j) => [k, j === 12 ? f.slice(12).join(SEP) : f[j]]),
      ),
    );
    if (!parsed.success || f.length < SACCT_FIELDS.length) {
      const why = parsed.success
        ? `${f.length} fields, expected ${SACCT_FIELDS.length}`
        : parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
      problems.push(`sacct line ${i + 1}: ${why}: ${JSON.stringify(line.slice(0, 160))}`);
      return;
    }
    const r = parsed.data;
    const [, id, step] = SACCT_ID.exec(r.jobId)!;
    const [state, by] = r.state.replace(/\+$/, '').split(' by ');
    if (step !== undefined) {
      steps.push({ id, state, maxRss: bytes(r.maxRss) });
      return;
    }
    const [code, signal] = r.exitCode.split(':').map(Number);
    const reason = by ? `cancelled by uid ${by}` : r.reason === 'None' ? undefined : r.reason;
    jobs.set(id, {
      jobId: id,
      ...readSlurmState(state),
      reason,
      exitCode: code,
      signal,
      elapsedSeconds: r.elapsedRaw,
      elapsed: r.elapsed,
      start: NOT_A_TIME.has(r.start) ? undefined : r.start,
      end: NOT_A_TIME.has(r.end) ? undefined : r.end,
      nodes: r.nodes === 'None assigned' || r.nodes === '' ? undefined : r.nodes,
      gpus: gpusInTres(r.allocTres),
      maxRssBytes: bytes(r.maxRss),
      workDir: r.workDir,
      name: r.name,
    });
  });
  for (const s of steps) {
    const job = jobs.get(s.id);
    if (!job) continue;
    const maxRssBytes = Math.max(job.maxRssBytes ?? 0, s.maxRss ?? 0) || job.maxRssBytes;
    const oom = s.state === 'OUT_OF_MEMORY' && job.state === 'FAILED';
    jobs.set(s.id, { ...job, maxRssBytes, ...(oom ? { state: 'OUT_OF_MEMORY' } : {}) });
  }
  return { jobs, problems };
}

/** A finished job as sacct tells it; `requestedGpus` stands in where AllocTRES has no GPUs. */
export function finalFromSacct(j: SacctJob, requestedGpus: number): FinalState {
  // sacct says `Dependency` where squeue said DependencyNeverSatisfied; one name for one cause.
  const reason = j.state === 'CANCELLED' && j.reason === 'Dependency' ? 'DependencyNeverSatisfied' : j.reason;
  return {
    jobId: j.jobId,
    state: j.state,
    ...(j.slurmState ? { slurmState: j.slurmState } : {}),
    reason,
    elapsed: formatSlurmDuration(j.elapsedSeconds),
    node: j.nodes,
    end: {
      source: 'sacct',
      exitCode: j.exitCode,
      signal: j.signal,
      start: j.start,
      end: j.end,
      elapsedSeconds: j.elapsedSeconds,
      gpus: j.gpus ?? requestedGpus,
      maxRssBytes: j.maxRssBytes,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The job's own end record, for clusters without accounting

/** The record's name in the run directory. */
export const END_RECORD = 'corpus-lab-end';
const BEGIN = '# >>> corpus-lab: the job records its own end (clusters without accounting)';
const FINISH = '# <<< corpus-lab';

/**
 * The script with a preamble after its shebang: an EXIT trap writes the job id, exit status,
 * signal, start and end (epoch seconds) and the GPUs of the allocation into `<runDir>/corpus-lab-end`,
 * atomically (a temporary name, then mv). TERM and INT are trapped so that a cancelled or timed-out
 * job records the signal; a SIGKILL leaves no record, which the reader takes into account. Any
 * stage's script works, since nothing in it is read; a script that sets its own EXIT trap replaces
 * this one (its end is then read from the log's Slurm lines alone).
 */
export function withEndRecord(script: string, runDir: string): string {
  const body = withoutEndRecord(script);
  const nl = body.indexOf('\n');
  const [shebang, rest] = body.startsWith('#!')
    ? [body.slice(0, nl < 0 ? body.length : nl + 1), nl < 0 ? '' : body.slice(nl + 1)]
    : ['#!/bin/bash\n', body];
  const file = shellQuote(`${runDir}/${END_RECORD}`);
  const preamble = [
    BEGIN,
    '__corpus_lab_start=$(date +%s) __corpus_lab_signal=0',
    '__corpus_lab_end() {',
    '  local rc=$?',
    '  [ "$__corpus_lab_signal" = 0 ] || rc=$((128 + __corpus_lab_signal))',
    `  { printf 'job_id=%s\\nexit_code=%s\\nsignal=%s\\nstart=%s\\nend=%s\\nnodes=%s\\ngpus_on_node=%s\\nnode_list=%s\\n' "\${SLURM_JOB_ID:-}" "$rc" "$__corpus_lab_signal" "$__corpus_lab_start" "$(date +%s)" "\${SLURM_JOB_NUM_NODES:-1}" "\${SLURM_GPUS_ON_NODE:-0}" "\${SLURM_JOB_NODELIST:-}" > ${file}.$$ && mv -f ${file}.$$ ${file}; } 2>/dev/null || true`,
    '}',
    "trap '__corpus_lab_signal=15; exit 143' TERM",
    "trap '__corpus_lab_signal=2; exit 130' INT",
    'trap __corpus_lab_end EXIT',
    FINISH,
    '',
  ].join('\n');
  return shebang + preamble + rest;
}

/** The script as rendered, without the preamble (resubmitting wraps it again for its new run directory). */
export function withoutEndRecord(script: string): string {
  const a = script.indexOf(BEGIN);
  if (a < 0) return script;
  const b = script.indexOf(`${FINISH}\n`, a);
  return b < 0 ? script : script.slice(0, a) + script.slice(b + FINISH.length + 1);
}

/** Slurm's own lines in a job's output that say why it was ended. */
const SLURM_LINES = String.raw`\*\*\* JOB [0-9]+ ON .* CANCELLED AT|\*\*\* JOB [0-9]+ CANCELLED AT|oom[-_]kill|[Ee]xceeded (job|step) memory limit|memory limit.*being killed`;

/**
 * One command for many jobs: for each (run directory, log) pair, the end record and Slurm's
 * verdict lines from the last 64 KiB of the log. Paths travel as arguments, never in the script.
 */
export function endRecordsArgv(jobs: readonly { runDir: string; log: string }[]): string[] {
  const script = [
    'while [ $# -gt 1 ]; do',
    `  printf '\\036%s\\n' "$1"`,
    `  cat -- "$1/${END_RECORD}" 2>/dev/null`,
    `  if [ -f "$2" ]; then echo log=1; tail -c 65536 -- "$2" | grep -a -E '${SLURM_LINES}' | tail -n 3 | sed 's/^/slurm=/'; fi`,
    '  shift 2',
    'done',
  ].join('\n');
  return ['sh', '-c', script, 'corpus-lab-end', ...jobs.flatMap((j) => [j.runDir, j.log])];
}

const recordSchema = z.object({
  job_id: z.string().regex(/^(\d+(_\d+)?)?$/, 'not a job id'),
  exit_code: z.coerce.number().int().min(0).max(255),
  signal: z.coerce.number().int().min(0),
  start: z.coerce.number().int().nonnegative(),
  end: z.coerce.number().int().nonnegative(),
  nodes: z.coerce.number().int().min(1).catch(1),
  gpus_on_node: z.coerce.number().int().min(0).catch(0),
  node_list: z.string().default(''),
});
export type EndRecord = z.infer<typeof recordSchema>;

export interface EndEvidence {
  readonly record?: EndRecord;
  readonly recordProblem?: string;
  readonly hasLog: boolean;
  /** Slurm's lines from the log (CANCELLED AT … DUE TO TIME LIMIT, oom-kill…). */
  readonly slurm: readonly string[];
}

/** Parses `endRecordsArgv` output, by run directory. */
export function parseEndRecords(stdout: string): Map<string, EndEvidence> {
  const out = new Map<string, EndEvidence>();
  for (const block of stdout.split('\x1e').slice(1)) {
    const lines = block.split('\n');
    const dir = lines[0];
    const kv = new Map<string, string>();
    const slurm: string[] = [];
    let hasLog = false;
    for (const l of lines.slice(1)) {
      const eq = l.indexOf('=');
      if (eq < 0) continue;
      const [k, v] = [l.slice(0, eq), l.slice(eq + 1)];
      if (k === 'slurm') slurm.push(v);
      else if (k === 'log') hasLog = true;
      else kv.set(k, v);
    }
    let record: EndRecord | undefined;
    let recordProblem: string | undefined;
    if (kv.size > 0) {
      const r = recordSchema.safeParse(Object.fromEntries(kv));
      if (r.success) record = r.data;
      else
        recordProblem = `${dir}/${END_RECORD}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`;
    }
    out.set(dir, { record, recordProblem, hasLog, slurm });
  }
  return out;
}

/**
 * Whether sacct's word should be checked against the log: a job killed outright (SIGKILL). Slurm
 * kills a job over its --mem without cgroups (jobacct_gather's OverMemoryKill) and records only
 * FAILED with signal 9; the "exceeded memory limit" line in its output is the one witness.
 */
export function killedOutright(f: FinalState): boolean {
  return (f.state === 'FAILED' || f.state === 'CANCELLED') && f.end.signal === 9;
}

/** sacct's final state corrected by Slurm's own lines in the log (a memory kill it recorded as FAILED). */
export function withLogVerdict(f: FinalState, e: EndEvidence): FinalState {
  const v = slurmVerdict(e.slurm);
  return v?.state === 'OUT_OF_MEMORY' ? { ...f, state: v.state, reason: v.reason } : f;
}

/** What Slurm's own lines in the log say ended the job, if anything. */
export function slurmVerdict(slurm: readonly string[]): { state: JobState; reason: string } | undefined {
  const text = slurm.join('\n');
  if (/oom[-_]kill|xceeded (job|step) memory limit|memory limit.*being killed/.test(text))
    return { state: 'OUT_OF_MEMORY', reason: 'killed for exceeding its memory limit' };
  if (/DUE TO TIME LIMIT/.test(text)) return { state: 'TIMEOUT', reason: 'time limit reached' };
  if (/DUE TO PREEMPTION/.test(text)) return { state: 'PREEMPTED', reason: 'preempted' };
  if (/DUE TO NODE FAIL/.test(text)) return { state: 'NODE_FAIL', reason: 'node failure' };
  if (/CANCELLED AT/.test(text)) return { state: 'CANCELLED', reason: 'cancelled (scancel)' };
  return undefined;
}

/**
 * A finished job told by its own record and log, for a cluster without accounting. Without a
 * record, a job that left a log was killed outright (SIGKILL: no trap runs); one that left
 * nothing never started, which after a failed dependency is Slurm's dependency cancellation.
 */
export function finalFromRecord(
  jobId: string,
  e: EndEvidence,
  requestedGpus: number,
  dependencyFailed: boolean,
): FinalState {
  const v = slurmVerdict(e.slurm);
  const r = e.record;
  if (r) {
    const elapsedSeconds = Math.max(0, r.end - r.start);
    const state = v?.state ?? (r.exit_code === 0 && r.signal === 0 ? 'COMPLETED' : 'FAILED');
    // A plain failure needs no reason beyond its exit code or signal, which are shown anyway.
    const reason = v?.reason;
    return {
      jobId,
      state,
      reason,
      elapsed: formatSlurmDuration(elapsedSeconds),
      node: r.node_list || undefined,
      end: {
        source: 'record',
        exitCode: r.exit_code,
        signal: r.signal,
        start: new Date(r.start * 1000).toISOString(),
        end: new Date(r.end * 1000).toISOString(),
        elapsedSeconds,
        gpus: r.gpus_on_node ? r.gpus_on_node * r.nodes : requestedGpus,
      },
    };
  }
  const none = { source: 'none' as const, elapsedSeconds: 0, gpus: requestedGpus };
  if (e.hasLog)
    return {
      jobId,
      state: v?.state ?? 'FAILED',
      reason:
        v?.reason ??
        'killed without recording its end (SIGKILL: out of memory or node failure?); the cluster has no accounting to say which',
      elapsed: '',
      end: none,
    };
  if (dependencyFailed)
    return { jobId, state: 'CANCELLED', reason: 'DependencyNeverSatisfied', elapsed: '', end: none };
  return { jobId, state: 'CANCELLED', reason: 'ended before it started', elapsed: '', end: none };
}
