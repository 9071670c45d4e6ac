import { z } from 'zod';
import { shellCommand } from './shellQuote';

/**
 * What a cluster can run now: its partitions' nodes and GPUs (idle, allocated, unavailable), and
 * the jobs waiting in its queue with Slurm's reason and estimated start. One remote command per
 * poll: `id -un`, `sinfo` and `squeue --start`, chained, each section after a marker line.
 * Formats as Slurm 22.05 (Debian 12) prints them, captured on the loopback cluster.
 */

/** The field delimiter: a control character that no partition, node, state or job name carries. */
const SEP = '\x1f';
const MARKER = '--corpus-lab-capacity--';

/** sinfo, one line per node per partition; Reason last, as the one free-text field. */
export const SINFO_FIELDS = ['PartitionName', 'Available', 'NodeList', 'StateLong', 'Gres', 'GresUsed', 'Reason'];
/** squeue: id, user, partition, state, reason, estimated start, GRES per node, nodes, submitted; name last. */
const SQUEUE_FORMAT = ['%i', '%u', '%P', '%T', '%r', '%S', '%b', '%D', '%V', '%j'].join(SEP);

export function sinfoArgv(): string[] {
  // `:0` sizes each field to its value (no padding); the suffix after the size is our delimiter.
  const format = SINFO_FIELDS.map((f, i) => (i < SINFO_FIELDS.length - 1 ? `${f}:0${SEP}` : `${f}:0`)).join(',');
  return ['sinfo', '--noheader', '--Node', `--Format=${format}`];
}

/** Every pending job, everyone's, in the order of their estimated start. */
export function squeueStartArgv(): string[] {
  return ['squeue', '--noheader', '--start', `--format=${SQUEUE_FORMAT}`];
}

/** The one command of a poll: who we are, then sinfo, then squeue, each section after a marker line. */
export function capacityCommand(): string {
  const marker = shellCommand(['echo', MARKER]);
  return [shellCommand(['id', '-un']), marker, shellCommand(sinfoArgv()), marker, shellCommand(squeueStartArgv())].join(
    ' && ',
  );
}

export interface Counts {
  idle: number;
  allocated: number;
  /** Down, drained, draining, failing, not responding…: what the scheduler will not start a job on. */
  down: number;
  total: number;
}

export interface NodeCounts extends Counts {
  /** Nodes with some of their CPUs or GPUs allocated and some free. */
  mixed: number;
}

export interface UnavailableNode {
  readonly node: string;
  readonly state: string;
  readonly reason: string;
  /** GPUs its running jobs still hold (a draining node). */
  readonly gpusAllocated: number;
  readonly gpus: number;
}

export interface PartitionCapacity {
  readonly name: string;
  /** Slurm's partition availability: up, down, drain, inact. */
  readonly available: string;
  readonly nodes: NodeCounts;
  readonly gpus: Counts;
  readonly unavailable: UnavailableNode[];
}

export interface PendingJob {
  readonly jobId: string;
  readonly user: string;
  /** Submitted by the user the cluster's connection logs in as. */
  readonly mine: boolean;
  readonly partition: string;
  readonly reason: string;
  /** The scheduler's estimate (the cluster's local time, as printed), when it has made one. */
  readonly estimatedStart?: string;
  readonly gpus: number;
  readonly nodes: number;
  readonly submitted: string;
  readonly name: string;
}

export interface Capacity {
  readonly user: string;
  readonly partitions: PartitionCapacity[];
  readonly pending: PendingJob[];
  /** Lines that did not parse, each naming the command, the line and the field. */
  readonly problems: string[];
}

// Node states as sinfo's StateLong prints them, without the flags appended to them.
const BUSY = new Set(['allocated', 'completing']);
const FREE = new Set(['idle', 'planned', 'reserved']);
const UNAVAILABLE = new Set([
  'down',
  'drained',
  'draining',
  'drain',
  'fail',
  'failing',
  'maint',
  'future',
  'inval',
  'unknown',
  'reboot_issued',
  'reboot_requested',
  'powering_down',
  'power_down',
  'powered_down',
]);
/** `*` not responding; `~` powered off; `#` powering up; `!` `%` powering down; `$` maintenance; `@` `^` reboot; `-` planned. */
const STATE = /^([a-z_]+)([*~#!%$@^-]*)$/;

const sinfoLine = z.object({
  partition: z.string().min(1, 'empty partition'),
  available: z.string().regex(/^[a-z]+$/, 'not a partition availability'),
  node: z.string().min(1, 'empty node name'),
  state: z.string().regex(STATE, 'not a node state'),
  gres: z.string(),
  gresUsed: z.string(),
  reason: z.string(),
});

/**
 * Splits a GRES list at its top-level commas: `gpu:a100:2(IDX:0,3),mps:200` has a comma inside
 * the index list.
 */
function gresItems(s: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ',' && depth === 0) {
      items.push(s.slice(start, i));
      start = i + 1;
    }
  }
  items.push(s.slice(start));
  return items.filter((x) => x !== '');
}

/**
 * GPUs in a GRES string as sinfo (`gpu:8`, `gpu:a100:4(S:0-1)`, `gpu:a100:2(IDX:0,3)`) or squeue
 * (`gres:gpu:8`, `gres/gpu:8`) print it; typed entries are summed; `(null)` and `N/A` are none.
 * Undefined when a GPU entry's count is not a number.
 */
export function gpusInGres(s: string): number | undefined {
  if (s === '' || s === '(null)' || s === 'N/A') return 0;
  let n = 0;
  for (const raw of gresItems(s)) {
    const item = raw.replace(/\(.*\)$/, '').replace(/^(gres|tres-per-node)[:/]/, '');
    const parts = item.split(':');
    if (parts[0] !== 'gpu') continue;
    if (parts.length === 1) {
      n += 1;
      continue;
    }
    const last = parts[parts.length - 1];
    // `gpu:a100` with no count is one GPU of that type; a count is a number.
    if (/^\d+$/.test(last)) n += Number(last);
    else if (parts.length === 2 && /^[A-Za-z]/.test(last)) n += 1;
    else return undefined;
  }
  return n;
}

function problem(command: string, line: number, issues: z.ZodIssue[], text: string): string {
  const what = issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
  return `${command} line ${line}: ${what}: ${JSON.stringify(text.slice(0, 120))}`;
}

function emptyNodes(): NodeCounts {
  return { idle: 0, mixed: 0, allocated: 0, down: 0, total: 0 };
}

/** Parses the sinfo section; `firstLine` numbers lines as in the whole output. */
export function parseSinfo(text: string, firstLine = 1): { partitions: PartitionCapacity[]; problems: string[] } {
  const byName = new Map<string, PartitionCapacity>();
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split(SEP);
    const r = sinfoLine.safeParse({
      partition: f[0],
      available: f[1],
      node: f[2],
      state: f[3],
      gres: f[4],
      gresUsed: f[5],
      reason: f.slice(6).join(SEP),
    });
    if (!r.success) {
      problems.push(problem('sinfo', firstLine + i, r.error.issues, line));
      return;
    }
    const d = r.data;
    const gpus = gpusInGres(d.gres);
    const used = gpusInGres(d.gresUsed);
    if (gpus === undefined || used === undefined) {
      problems.push(
        `sinfo line ${firstLine + i}: ${gpus === undefined ? 'Gres' : 'GresUsed'}: no GPU count in ${JSON.stringify(gpus === undefined ? d.gres : d.gresUsed)}`,
      );
      return;
    }
    let p = byName.get(d.partition);
    if (!p) {
      p = {
        name: d.partition,
        available: d.available,
        nodes: emptyNodes(),
        gpus: { idle: 0, allocated: 0, down: 0, total: 0 },
        unavailable: [],
      };
      byName.set(d.partition, p);
    }
    const [, base, flags] = STATE.exec(d.state)!;
    const known = BUSY.has(base) || FREE.has(base) || UNAVAILABLE.has(base) || base === 'mixed';
    if (!known)
      problems.push(`sinfo line ${firstLine + i}: node ${d.node}: unknown state "${d.state}", counted as down`);
    // Not responding, or a partition that takes no jobs: nothing starts there, whatever the node says.
    const down = !known || UNAVAILABLE.has(base) || flags.includes('*') || flags.includes('$') || d.available !== 'up';
    const allocated = Math.min(used, gpus);
    p.nodes.total++;
    p.gpus.total += gpus;
    p.gpus.allocated += allocated;
    if (down) {
      p.nodes.down++;
      p.gpus.down += gpus - allocated;
      p.unavailable.push({
        node: d.node,
        state: d.state,
        reason: d.reason === 'none' ? '' : d.reason,
        gpusAllocated: allocated,
        gpus,
      });
    } else {
      if (base === 'mixed') p.nodes.mixed++;
      else if (BUSY.has(base)) p.nodes.allocated++;
      else p.nodes.idle++;
      p.gpus.idle += gpus - allocated;
    }
  });
  return { partitions: [...byName.values()], problems };
}

const JOB_ID = /^\d+(_(\d+|\[[^\]]+\]))?(\+\d+)?$/;

const squeueLine = z.object({
  jobId: z.string().regex(JOB_ID, 'not a job id'),
  user: z.string().min(1, 'empty user'),
  partition: z.string(),
  state: z.string().regex(/^[A-Z_]+$/, 'not a job state'),
  reason: z.string(),
  start: z.string(),
  gres: z.string(),
  nodes: z.string().regex(/^\d+$/, 'not a node count').transform(Number),
  submitted: z.string(),
  name: z.string(),
});

/** Parses the squeue section: pending jobs; `user` marks the user's own. */
export function parsePending(text: string, user: string, firstLine = 1): { pending: PendingJob[]; problems: string[] } {
  const pending: PendingJob[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.split(SEP);
    const r = squeueLine.safeParse({
      jobId: f[0],
      user: f[1],
      partition: f[2],
      state: f[3],
      reason: f[4],
      start: f[5],
      gres: f[6],
      nodes: f[7],
      submitted: f[8],
      name: f.slice(9).join(SEP),
    });
    if (!r.success) {
      problems.push(problem('squeue', firstLine + i, r.error.issues, line));
      return;
    }
    const d = r.data;
    // squeue --start lists pending jobs only; a job that started meanwhile is not waiting.
    if (d.state !== 'PENDING') return;
    const perNode = gpusInGres(d.gres);
    if (perNode === undefined) {
      problems.push(`squeue line ${firstLine + i}: tres_per_node: no GPU count in ${JSON.stringify(d.gres)}`);
      return;
    }
    pending.push({
      jobId: d.jobId,
      user: d.user,
      mine: d.user === user,
      partition: d.partition,
      reason: d.reason === 'None' ? '' : d.reason,
      estimatedStart: d.start === 'N/A' || d.start === 'Unknown' || d.start === '' ? undefined : d.start,
      gpus: perNode * d.nodes,
      nodes: d.nodes,
      submitted: d.submitted,
      name: d.name,
    });
  });
  return { pending, problems };
}

/** Parses the output of capacityCommand(); a missing section is an error, a bad line a problem. */
export function parseCapacity(stdout: string): Capacity {
  const lines = stdout.split('\n');
  const marks = lines.flatMap((l, i) => (l === MARKER ? [i] : []));
  if (marks.length !== 2)
    throw new Error(
      `the capacity command printed ${marks.length} of its 2 section markers: ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  const user = lines.slice(0, marks[0]).join('\n').trim();
  if (!/^[^\s]+$/.test(user)) throw new Error(`id -un printed no user name: ${JSON.stringify(user.slice(0, 100))}`);
  const sinfo = parseSinfo(lines.slice(marks[0] + 1, marks[1]).join('\n'), marks[0] + 2);
  const squeue = parsePending(lines.slice(marks[1] + 1).join('\n'), user, marks[1] + 2);
  return {
    user,
    partitions: sinfo.partitions,
    pending: squeue.pending,
    problems: [...sinfo.problems, ...squeue.problems],
  };
}

/** What one poll of the cluster needs from the connection. */
export interface CapacitySource {
  execLine(line: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Polls a cluster's capacity: one command; a failing one is an error with the cluster's words. */
export async function readCapacity(cluster: CapacitySource): Promise<Capacity> {
  const r = await cluster.execLine(capacityCommand());
  if (r.code !== 0)
    throw new Error(`sinfo/squeue failed (exit ${r.code ?? 'none'}): ${r.stderr.trim().slice(0, 300) || 'no message'}`);
  return parseCapacity(r.stdout);
}
