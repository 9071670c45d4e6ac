import { rename } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { hasUnsafeChars, quoted } from '../printable';
import { FileError, readTextFile } from '../regularFile';
import { writeFileAtomic } from '../report/exportFile';
import { jobEnd } from './accounting';
import { type LockOptions, LockTimeoutError, withFileLock } from './fileLock';
import { jobState } from './jobState';
import { labelProblem } from './labels';
import { STAGES } from './pipeline';
import { resourcesOfOldSbatch, slurmResources } from './resources';

/**
 * The jobs Corpus Lab submitted, persisted in the workspace (`.corpus-lab/jobs.json`, written
 * atomically). A record exists, with its tag, *before* sbatch runs: a reply lost with the
 * connection is then recovered by finding the tag on the cluster, never by submitting twice.
 *
 * The file comes with the workspace, so it is input like any other: a record is acted on (cancel,
 * resubmit, open its log, fetch its results) only once it passed the checks below, and nothing the
 * file held is ever lost by writing over it.
 */
/** What `sbatch --parsable` prints: a job id, or an array task (`123_4`); never an option such as `--me`. */
const SLURM_JOB_ID = /^\d+(_\d+)?$/;
const TAG = /^[A-Za-z0-9][\w.-]*$/;

/** A name that ends up in a path or a terminal: no `/`, no `.`/`..`, no control or bidi characters. */
const segment = z
  .string()
  .min(1)
  .refine((s) => !s.includes('/') && !s.includes('\\') && s !== '.' && s !== '..' && !hasUnsafeChars(s), {
    message: 'must be one path segment without control characters (no "/", not "." or "..")',
  });
const text = z
  .string()
  .refine((s) => !hasUnsafeChars(s), { message: 'must not contain control or bidirectional formatting characters' });
const remotePath = z.string().refine((p) => p.startsWith('/') && path.posix.normalize(p) === p && !hasUnsafeChars(p), {
  message: 'must be an absolute, normalised remote path (no "..", no "//") without control characters',
});

const recordFields = z.object({
  tag: z.string().regex(TAG, 'must be a tag of letters, digits, ".", "_" and "-" that starts with a letter or digit'),
  cluster: segment,
  study: z.string().superRefine((s, ctx) => {
    const problem = labelProblem(s);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  }),
  stage: z.enum(STAGES),
  model: segment,
  name: text,
  runDir: remotePath,
  script: remotePath,
  log: remotePath,
  /** Tags of the jobs this one runs after (afterok). */
  dependsOn: z.array(z.string().regex(TAG)).default([]),
  jobId: z.string().regex(SLURM_JOB_ID, 'must be a Slurm job id (digits, or digits_digits)').optional(),
  state: jobState,
  /** Slurm's word for a state this version does not know (`state` is then UNKNOWN). */
  slurmState: z
    .string()
    .regex(/^[A-Z_]+$/)
    .optional(),
  reason: z.string().optional(),
  elapsed: z.string().optional(),
  limit: z.string().optional(),
  node: z.string().optional(),
  /** How it ended (exit code, times, GPUs), from sacct or the job's own record. */
  end: jobEnd.optional(),
  submittedAt: z.string(),
  updatedAt: z.string(),
  /** Results this job writes (eval), for fetching them later. */
  resultsDir: remotePath.optional(),
  /** What the job asked Slurm for; a resubmission asks for the same. */
  resources: slurmResources,
  /** The sbatch line as run, for the record (resubmitting builds a new one from `resources`). */
  sbatch: z.array(z.string()),
});

/**
 * Records as earlier versions wrote them, brought up to date before they are checked: resources
 * were only in the sbatch line, and a state squeue printed was kept whatever it was.
 */
function upgraded(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  let r = raw as Record<string, unknown>;
  if (r.resources === undefined && Array.isArray(r.sbatch) && r.sbatch.every((a) => typeof a === 'string'))
    r = { ...r, resources: resourcesOfOldSbatch(r.sbatch) };
  if (typeof r.state === 'string' && !jobState.safeParse(r.state).success && /^[A-Z_]+$/.test(r.state))
    r = { ...r, state: 'UNKNOWN', slurmState: r.state };
  return r;
}

/**
 * Where a job's files may be: its run directory is `<root>/runs/<tag>`, its script and log are in
 * it, and its results under `<root>/results/<study>/`. Anything else a hand-edited or shipped
 * registry says is refused, so that Open Log cannot tail, nor Resubmit submit, an arbitrary file.
 */
export const jobRecord = z.preprocess(
  upgraded,
  recordFields.superRefine((r, ctx) => {
    const bad = (field: string, message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message });
    if (path.posix.basename(r.runDir) !== r.tag || path.posix.basename(path.posix.dirname(r.runDir)) !== 'runs')
      bad('runDir', `must be <root>/runs/${r.tag}`);
    if (r.script !== `${r.runDir}/job.sbatch`) bad('script', 'must be job.sbatch in the run directory');
    if (r.log !== `${r.runDir}/slurm.log`) bad('log', 'must be slurm.log in the run directory');
    const root = path.posix.dirname(path.posix.dirname(r.runDir));
    if (r.resultsDir !== undefined && !r.resultsDir.startsWith(`${path.posix.join(root, 'results', r.study)}/`))
      bad('resultsDir', `must be under ${path.posix.join(root, 'results', r.study)}/`);
  }),
);
export type JobRecord = z.infer<typeof jobRecord>;

export const REGISTRY_VERSION = 1;

/** What loading found besides the good records: every one of these was also kept in the file. */
export interface RegistryLoad {
  /** Records refused, each with the reason ("job 3 (tag …): jobId: …"). */
  readonly skipped: string[];
  /** Why the file will not be written (another version's file), if it will not. */
  readonly readOnly?: string;
}

export class RegistryReadOnlyError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file} is not written in this session: ${why}`);
    this.name = 'RegistryReadOnlyError';
  }
}

export class JobRegistry {
  private jobs = new Map<string, JobRecord>();
  /** Refused records exactly as read, written back unchanged so that a later version can still use them. */
  private kept: unknown[] = [];
  private saving: Promise<void> = Promise.resolve();
  /** Why writing is refused (a file that could not be read, or one of a newer version), if it is. */
  private readOnlyReason: string | undefined;
  /** Changes applied but not yet written (the write failed): applied again before the next change. */
  private unwritten: ((jobs: Map<string, JobRecord>) => unknown)[] = [];

  /**
   * `lock` tunes the wait for another process's lock (tests); the lock file is `jobs.json.lock`
   * beside the registry.
   */
  constructor(
    readonly file: string,
    private readonly lock: LockOptions = {},
  ) {}

  get readOnly(): string | undefined {
    return this.readOnlyReason;
  }

  /**
   * Reads the registry, changing nothing on disk. Bad records are skipped one by one (reported,
   * and kept in the file); a file that cannot be read or is not JSON throws, and one of another
   * version loads: both are then never written over (`readOnly` says why) until `moveAside`.
   */
  async load(): Promise<RegistryLoad> {
    let content: string | undefined;
    try {
      content = await this.read();
    } catch (e) {
      return this.refuse((e as Error).message.replace(`${this.file}: `, ''));
    }
    return this.parse(content);
  }

  /** The file's text, undefined if there is none yet. */
  private async read(): Promise<string | undefined> {
    try {
      return await readTextFile(this.file);
    } catch (e) {
      if (e instanceof FileError && e.reason === 'no such file') return undefined;
      throw e;
    }
  }

  private parse(content: string | undefined): RegistryLoad {
    if (content === undefined) {
      this.replace(new Map(), [], undefined);
      return { skipped: [] };
    }
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (e) {
      return this.refuse(`not valid JSON (${(e as Error).message}); fix it, or move it aside to start a new registry`);
    }
    const top = z.object({ version: z.number(), jobs: z.array(z.unknown()) }).safeParse(json);
    if (!top.success)
      return this.refuse(
        `expected {"version": ${REGISTRY_VERSION}, "jobs": […]}: ${top.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}`,
      );
    const jobs = new Map<string, JobRecord>();
    const kept: unknown[] = [];
    const skipped: string[] = [];
    top.data.jobs.forEach((raw, i) => {
      const r = jobRecord.safeParse(raw);
      const tag = (raw as { tag?: unknown } | null)?.tag;
      const what = `${this.file}: job ${i + 1}${typeof tag === 'string' ? ` (tag ${quoted(tag)})` : ''}`;
      if (!r.success) {
        skipped.push(
          `${what}: ${r.error.issues.map((x) => `${x.path.join('.') || 'record'}: ${x.message}`).join('; ')}`,
        );
        kept.push(raw);
      } else if (jobs.has(r.data.tag)) {
        skipped.push(`${what}: a second record with this tag`);
        kept.push(raw);
      } else jobs.set(r.data.tag, r.data);
    });
    const newer =
      top.data.version !== REGISTRY_VERSION
        ? `written by another version of Corpus Lab (version ${top.data.version}, this one writes ${REGISTRY_VERSION})`
        : undefined;
    this.replace(jobs, kept, newer);
    return { skipped, readOnly: newer };
  }

  /** Moves the file to a dated name beside it and starts an empty, writable registry; returns the new name. */
  async moveAside(): Promise<string> {
    await this.saving;
    const aside = `${this.file}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
    await withFileLock(`${this.file}.lock`, () => rename(this.file, aside), this.lock);
    this.replace(new Map(), [], undefined);
    return aside;
  }

  private replace(jobs: Map<string, JobRecord>, kept: unknown[], readOnly: string | undefined) {
    this.jobs = jobs;
    this.kept = kept;
    this.readOnlyReason = readOnly;
  }

  private refuse(why: string): never {
    this.readOnlyReason = why;
    throw new RegistryReadOnlyError(this.file, why);
  }

  all(): JobRecord[] {
    return [...this.jobs.values()];
  }

  get(tag: string): JobRecord | undefined {
    return this.jobs.get(tag);
  }

  byJobId(cluster: string, jobId: string): JobRecord | undefined {
    return this.all().find((j) => j.cluster === cluster && j.jobId === jobId);
  }

  private writable() {
    if (this.readOnlyReason !== undefined) throw new RegistryReadOnlyError(this.file, this.readOnlyReason);
  }

  /** Adds or updates a record and writes the file before returning. */
  async put(record: JobRecord): Promise<void> {
    this.writable();
    const r = jobRecord.safeParse(record);
    if (!r.success)
      throw new Error(
        `job ${record.tag}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    await this.change((jobs) => {
      jobs.set(record.tag, r.data);
    });
  }

  async update(tag: string, patch: Partial<JobRecord>): Promise<JobRecord> {
    this.writable();
    return this.change((jobs) => {
      const old = jobs.get(tag);
      if (!old) throw new Error(`${this.file}: no job with tag ${tag}`);
      const next = { ...old, ...patch, updatedAt: new Date().toISOString() };
      jobs.set(tag, next);
      return next;
    });
  }

  async remove(tag: string): Promise<void> {
    this.writable();
    await this.change((jobs) => {
      jobs.delete(tag);
    });
  }

  /**
   * Reads the file again, in turn with this process's changes, after another process (the CLI in a
   * terminal, another window) wrote it; true if it holds other records than those in memory.
   */
  refresh(): Promise<boolean> {
    const shown = () => JSON.stringify([...this.all(), ...this.kept]);
    const run = async () => {
      const before = shown();
      await this.load();
      return shown() !== before;
    };
    const next = this.saving.then(run, run);
    this.saving = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Writes the records as read (old ones brought up to date), with every other process's changes kept. */
  save(): Promise<void> {
    return this.change(() => undefined);
  }

  /**
   * Every change is a read-modify-write of the file under `jobs.json.lock`, so that the editor and
   * CLIs in terminals, each with its own copy in memory, never write over a job another one just
   * recorded: the file is read afresh inside the lock, the change applied to what it holds, and the
   * whole written atomically (temporary file, rename). Within this process changes take turns. A
   * change whose write failed (a full disk) is rejected to its caller and applied again before the
   * next change, so a submitted job id is written as soon as a write succeeds.
   */
  private change<T>(apply: (jobs: Map<string, JobRecord>) => T): Promise<T> {
    const run = () => {
      if (this.readOnlyReason !== undefined)
        return Promise.reject(new RegistryReadOnlyError(this.file, this.readOnlyReason));
      return withFileLock(
        `${this.file}.lock`,
        async () => {
          let content: string | undefined;
          try {
            content = await this.read();
          } catch (e) {
            // A file that cannot be read just now fails this change alone (it is tried again with the next).
            this.unwritten.push(apply);
            throw e;
          }
          // One that is not a registry, or another version's file, is never written over.
          this.parse(content);
          this.writable();
          for (const earlier of this.unwritten)
            try {
              earlier(this.jobs);
            } catch {
              // An update of a job the file no longer has: nothing to write.
            }
          const result = apply(this.jobs);
          this.unwritten.push(apply);
          await writeFileAtomic(
            this.file,
            `${JSON.stringify({ version: REGISTRY_VERSION, jobs: [...this.all(), ...this.kept] }, null, 2)}\n`,
          );
          this.unwritten = [];
          return result;
        },
        this.lock,
      ).catch((e: unknown) => {
        // Another process held the lock too long: this change is written with the next one.
        if (e instanceof LockTimeoutError) this.unwritten.push(apply);
        throw e;
      });
    };
    const next = this.saving.then(run, run);
    this.saving = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

/** A workspace folder's registry, `.corpus-lab/jobs.json`: the editor, the CLI and the study read this one file. */
export function workspaceRegistry(folder: string): JobRegistry {
  return new JobRegistry(path.join(folder, '.corpus-lab', 'jobs.json'));
}
