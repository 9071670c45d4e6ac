import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ConnectionLostError, type ClusterConnection } from '../cluster/connection';
import { readRemoteFile, sftpCall, uploadAtomic } from '../cluster/sftp';
import { JobRegistry, type JobRecord } from './registry';
import { FINISHED_STATES, parseSbatchOutput, parseSqueue, sbatchArgv, squeueArgv, type SbatchOptions } from './slurm';
import type { Stage } from './templates';

export interface SlurmResources {
  readonly partition?: string;
  readonly nodes?: number;
  readonly gpusPerNode?: number;
  readonly cpusPerTask?: number;
  readonly ntasksPerNode?: number;
  readonly timeLimit?: string;
  readonly extra?: readonly string[];
}

export interface JobSpec {
  readonly cluster: string;
  readonly study: string;
  readonly stage: Stage;
  /** The recipe trained (or `base`), for grouping and results. */
  readonly model: string;
  readonly name: string;
  /** A tag chosen in advance (a study renders every job before submitting any); else a new one. */
  readonly tag?: string;
  /** The rendered script; `{{runDir}}` in it has already become the job's run directory. */
  readonly script: (runDir: string) => string;
  readonly resources: SlurmResources;
  /** Tags of jobs that must complete first. */
  readonly dependsOn?: readonly string[];
  readonly resultsDir?: (runDir: string) => string;
}

export interface JobServiceOptions {
  /** The sbatch program (a setting, so sites with wrappers can use them). */
  readonly sbatch?: string;
  /** Where runs live on each cluster, relative to the home directory unless absolute. */
  readonly remoteRoot: (cluster: string) => string;
}

const safe = (s: string) => s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'x';

/** Runs a read-only command, again after a reconnect if the connection dropped under it. */
async function readOnly(conn: ClusterConnection, argv: string[]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await conn.exec(argv);
    } catch (e) {
      if (!(e instanceof ConnectionLostError) || attempt >= 3) throw e;
    }
  }
}

export function newTag(study: string, stage: string, model: string): string {
  return `cl-${safe(study)}-${stage}-${safe(model)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Submits, tracks and recovers jobs. Never a scheduler: Slurm orders the work (afterok
 * dependencies); this only hands it over and reads back what Slurm says.
 */
export class JobService {
  private readonly homes = new Map<string, string>();

  constructor(readonly registry: JobRegistry, private readonly connection: (cluster: string) => ClusterConnection, private readonly options: JobServiceOptions) {}

  /** The cluster's root for runs and results, absolute (the home directory is asked once per cluster). */
  async remoteRoot(cluster: string): Promise<string> {
    const root = this.options.remoteRoot(cluster);
    return path.posix.isAbsolute(root) ? root : path.posix.join(await this.home(cluster), root);
  }

  /** The user's home directory on the cluster, asked once. */
  async home(cluster: string): Promise<string> {
    let home = this.homes.get(cluster);
    if (!home) {
      home = await sftpCall.realpath(await this.connection(cluster).sftp(), '.');
      this.homes.set(cluster, home);
    }
    return home;
  }

  /** Where a job lives and the sbatch call that submits it (or, with testOnly, only checks it). */
  private async plan(spec: JobSpec, tag: string, afterOk: string[], testOnly = false): Promise<{ runDir: string; scriptPath: string; argv: string[] }> {
    const runDir = path.posix.join(await this.remoteRoot(spec.cluster), 'runs', tag);
    const scriptPath = path.posix.join(runDir, 'job.sbatch');
    const argv = sbatchArgv(scriptPath, this.sbatchOptions(spec, tag, runDir, afterOk, testOnly));
    if (this.options.sbatch) argv[0] = this.options.sbatch;
    return { runDir, scriptPath, argv };
  }

  private sbatchOptions(spec: Pick<JobSpec, 'name' | 'resources'>, tag: string, runDir: string, afterOk: string[], testOnly = false): SbatchOptions {
    return { jobName: spec.name, tag, output: path.posix.join(runDir, 'slurm.log'), chdir: runDir, afterOk, testOnly, ...spec.resources };
  }

  private dependencyIds(spec: JobSpec): string[] {
    return (spec.dependsOn ?? []).map((t) => {
      const dep = this.registry.get(t);
      if (!dep?.jobId) throw new Error(`${spec.name}: dependency ${t} has no job id (state ${dep?.state ?? 'unknown'}); submit it first`);
      return dep.jobId;
    });
  }

  /**
   * Records the job (state SUBMITTING) before anything reaches the cluster, uploads its script,
   * runs sbatch. If the connection drops before sbatch's reply, the tag is looked up on the
   * cluster after reconnecting: the job is either found (its id recorded) or known not to exist.
   */
  async submit(spec: JobSpec): Promise<JobRecord> {
    const conn = this.connection(spec.cluster);
    const sftp = await conn.sftp();
    const tag = spec.tag ?? newTag(spec.study, spec.stage, spec.model);
    if (this.registry.get(tag)) throw new Error(`${spec.name}: a job with tag ${tag} was already submitted`);
    const { runDir, scriptPath, argv } = await this.plan(spec, tag, this.dependencyIds(spec));
    const now = new Date().toISOString();
    const record: JobRecord = {
      tag, cluster: spec.cluster, study: spec.study, stage: spec.stage, model: spec.model, name: spec.name, runDir, script: scriptPath,
      log: path.posix.join(runDir, 'slurm.log'), dependsOn: [...(spec.dependsOn ?? [])], state: 'SUBMITTING', submittedAt: now, updatedAt: now,
      resultsDir: spec.resultsDir?.(runDir), sbatch: argv,
    };
    await this.registry.put(record);
    try {
      await uploadAtomic(sftp, spec.script(runDir), scriptPath, 0o755);
    } catch (e) {
      await this.registry.update(tag, { state: 'UNSUBMITTED', reason: `upload failed: ${(e as Error).message}` });
      throw e;
    }
    return this.runSbatch(tag, argv);
  }

  private async runSbatch(tag: string, argv: string[]): Promise<JobRecord> {
    const rec = this.registry.get(tag)!;
    const conn = this.connection(rec.cluster);
    let result;
    try {
      result = await conn.exec(argv);
    } catch (e) {
      if (e instanceof ConnectionLostError) return this.recover(tag);
      await this.registry.update(tag, { state: 'UNSUBMITTED', reason: (e as Error).message });
      throw e;
    }
    if (result.code !== 0) {
      const reason = result.stderr.trim() || `sbatch exited with ${result.code}`;
      await this.registry.update(tag, { state: 'UNSUBMITTED', reason });
      throw new Error(`${rec.name}: ${reason}`);
    }
    return this.registry.update(tag, { jobId: parseSbatchOutput(result.stdout), state: 'PENDING', reason: undefined });
  }

  /** Finds a SUBMITTING job by its tag on the cluster: submitted (id recorded) or not (UNSUBMITTED). */
  async recover(tag: string): Promise<JobRecord> {
    const rec = this.registry.get(tag);
    if (!rec) throw new Error(`no job with tag ${tag}`);
    const { rows } = parseSqueue((await readOnly(this.connection(rec.cluster), squeueArgv())).stdout);
    const found = rows.find((r) => r.comment === tag);
    if (found) return this.registry.update(tag, { jobId: found.jobId, state: found.state, reason: found.reason || undefined });
    return this.registry.update(tag, { state: 'UNSUBMITTED', reason: 'the connection was lost before sbatch replied, and the cluster has no job with this tag' });
  }

  /** `sbatch --test-only`: Slurm's own check of the script and resources, nothing submitted. */
  async validate(spec: JobSpec): Promise<{ ok: boolean; message: string }> {
    const conn = this.connection(spec.cluster);
    const sftp = await conn.sftp();
    const tag = newTag(spec.study, spec.stage, `${spec.model}-check`);
    const deps = (spec.dependsOn ?? []).map((t) => this.registry.get(t)?.jobId).filter((x): x is string => x !== undefined);
    const { runDir, scriptPath, argv } = await this.plan(spec, tag, deps, true);
    try {
      await uploadAtomic(sftp, spec.script(runDir), scriptPath, 0o755);
      const r = await conn.exec(argv);
      return { ok: r.code === 0, message: (r.stderr || r.stdout).trim() };
    } finally {
      // The check's run directory goes whatever happened: it never held a job.
      await conn.exec(['rm', '-rf', '--', runDir]).catch(() => undefined);
    }
  }

  /** One squeue for all of a cluster's jobs; records follow what Slurm says. */
  async poll(cluster: string): Promise<{ changed: JobRecord[]; problems: string[] }> {
    const conn = this.connection(cluster);
    const { rows, problems } = parseSqueue((await readOnly(conn, squeueArgv())).stdout);
    const byId = new Map(rows.map((r) => [r.jobId, r]));
    const changed: JobRecord[] = [];
    for (const rec of this.registry.all().filter((j) => j.cluster === cluster)) {
      if (rec.state === 'SUBMITTING') {
        changed.push(await this.recover(rec.tag));
        continue;
      }
      if (!rec.jobId) continue;
      const row = byId.get(rec.jobId);
      if (row) {
        const patch = { state: row.state, reason: row.reason || undefined, elapsed: row.elapsed, limit: row.limit, node: row.nodes || undefined };
        if (patch.state !== rec.state || patch.reason !== rec.reason || patch.elapsed !== rec.elapsed || patch.node !== rec.node) changed.push(await this.registry.update(rec.tag, patch));
      } else if (!FINISHED_STATES.has(rec.state) && rec.state !== 'UNKNOWN') {
        changed.push(await this.registry.update(rec.tag, { state: 'UNKNOWN', reason: 'no longer listed by squeue' }));
      }
    }
    return { changed, problems };
  }

  async cancel(tag: string): Promise<void> {
    const rec = this.registry.get(tag);
    if (!rec?.jobId) throw new Error(`job ${tag} has no id to cancel`);
    const r = await this.connection(rec.cluster).exec(['scancel', rec.jobId]);
    if (r.code !== 0) throw new Error(`scancel ${rec.jobId}: ${r.stderr.trim()}`);
  }

  /** Submits the same script again under a new tag (its dependencies must still have ids). */
  async resubmit(tag: string): Promise<JobRecord> {
    const old = this.registry.get(tag);
    if (!old) throw new Error(`no job with tag ${tag}`);
    const script = await readRemoteFile(await this.connection(old.cluster).sftp(), old.script);
    return this.submit({
      cluster: old.cluster, study: old.study, stage: old.stage, model: old.model, name: old.name,
      script: (runDir) => script.toString('utf8').split(old.runDir).join(runDir),
      resources: resourcesFromArgv(old.sbatch),
      dependsOn: old.dependsOn.filter((t) => { const d = this.registry.get(t); return d?.jobId && !FINISHED_STATES.has(d.state); }),
      resultsDir: old.resultsDir ? (runDir) => old.resultsDir!.split(old.runDir).join(runDir) : undefined,
    });
  }
}

function resourcesFromArgv(argv: readonly string[]): SlurmResources {
  const get = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const gres = get('gres');
  return {
    partition: get('partition'),
    nodes: get('nodes') ? Number(get('nodes')) : undefined,
    gpusPerNode: gres ? Number(gres.replace(/^gpu:/, '')) : undefined,
    cpusPerTask: get('cpus-per-task') ? Number(get('cpus-per-task')) : undefined,
    ntasksPerNode: get('ntasks-per-node') ? Number(get('ntasks-per-node')) : undefined,
    timeLimit: get('time'),
  };
}
