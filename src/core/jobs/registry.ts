import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../report/exportFile';
import { jobEnd } from './accounting';

/**
 * The jobs Corpus Lab submitted, persisted in the workspace (`.corpus-lab/jobs.json`, written
 * atomically). A record exists, with its tag, *before* sbatch runs: a reply lost with the
 * connection is then recovered by finding the tag on the cluster, never by submitting twice.
 */
export const LOCAL_STATES = ['SUBMITTING', 'UNSUBMITTED', 'UNKNOWN'] as const;

export const jobRecord = z.object({
  tag: z.string().regex(/^[\w.-]+$/),
  cluster: z.string(),
  study: z.string(),
  stage: z.enum(['cpt', 'sft', 'eval']),
  model: z.string(),
  name: z.string(),
  runDir: z.string(),
  script: z.string(),
  log: z.string(),
  /** Tags of the jobs this one runs after (afterok). */
  dependsOn: z.array(z.string()).default([]),
  jobId: z.string().optional(),
  state: z.string(),
  reason: z.string().optional(),
  elapsed: z.string().optional(),
  limit: z.string().optional(),
  node: z.string().optional(),
  /** How it ended (exit code, times, GPUs), from sacct or the job's own record. */
  end: jobEnd.optional(),
  submittedAt: z.string(),
  updatedAt: z.string(),
  /** Results this job writes (eval), for fetching them later. */
  resultsDir: z.string().optional(),
  /** What sbatch was given, to resubmit the same job. */
  sbatch: z.array(z.string()),
});
export type JobRecord = z.infer<typeof jobRecord>;

const registryFile = z.object({ version: z.literal(1), jobs: z.array(jobRecord) });

export class JobRegistry {
  private readonly jobs = new Map<string, JobRecord>();
  private saving: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Reads the registry; a damaged file is an error naming the field, never silently emptied. */
  async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    this.jobs.clear();
    if (text === undefined) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${this.file}: not valid JSON (${(e as Error).message})`);
    }
    const r = registryFile.safeParse(json);
    if (!r.success) throw new Error(`${this.file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    for (const j of r.data.jobs) this.jobs.set(j.tag, j);
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

  /** Adds or updates a record and writes the file before returning. */
  async put(record: JobRecord): Promise<void> {
    this.jobs.set(record.tag, jobRecord.parse(record));
    await this.save();
  }

  async update(tag: string, patch: Partial<JobRecord>): Promise<JobRecord> {
    const old = this.jobs.get(tag);
    if (!old) throw new Error(`no job with tag ${tag}`);
    const next = { ...old, ...patch, updatedAt: new Date().toISOString() };
    this.jobs.set(tag, next);
    await this.save();
    return next;
  }

  async remove(tag: string): Promise<void> {
    this.jobs.delete(tag);
    await this.save();
  }

  /** Writes are serialised, so two updates never interleave into a torn file. */
  save(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, jobs: this.all() }, null, 2) + '\n';
    this.saving = this.saving.then(() => writeFileAtomic(this.file, snapshot));
    return this.saving;
  }
}
