import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { ConnectionLostError } from '../cluster/connection';
import { readRemoteFile, sftpCall, uploadAtomic } from '../cluster/sftp';
import type { ClusterTransport } from '../cluster/transport';
import {
  accountingDisabled,
  endRecordsArgv,
  type FinalState,
  finalFromRecord,
  finalFromSacct,
  killedOutright,
  parseEndRecords,
  parseSacct,
  sacctArgv,
  sacctSinceArgv,
  withEndRecord,
  withLogVerdict,
} from './accounting';
import { isFinished, type JobState } from './jobState';
import type { JobRecord, JobRegistry } from './registry';
import { requestedGpus, type SlurmResources } from './resources';
import { parseSbatchOutput, parseSqueue, type SbatchOptions, sbatchArgv, squeueArgv } from './slurm';
import type { Stage } from './templates';

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

const safe = (s: string) =>
  s
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'x';

/** Reconnects a read-only command may ride out before its caller hears that the connection is lost. */
const READ_ONLY_RETRIES = 3;

/** Runs a read-only command, again after a reconnect if the connection dropped under it. */
async function readOnly(conn: ClusterTransport, argv: string[]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await conn.exec(argv);
    } catch (e) {
      if (!(e instanceof ConnectionLostError) || attempt >= READ_ONLY_RETRIES) throw e;
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
  /** Clusters found without accounting: sacct is not asked again. */
  private readonly noAccounting = new Set<string>();
  /**
   * Tags this service is submitting now. A poll leaves them to their submission: recovering one
   * whose sbatch has not answered yet would find no such job and write UNSUBMITTED over it.
   */
  private readonly submitting = new Set<string>();

  constructor(
    readonly registry: JobRegistry,
    private readonly connection: (cluster: string) => ClusterTransport,
    private readonly options: JobServiceOptions,
  ) {}

  /** The cluster's root for runs and results, absolute (the home directory is asked once per cluster). */
  async remoteRoot(cluster: string): Promise<string> {
    const root = this.options.remoteRoot(cluster);
    return path.posix.isAbsolute(root) ? root : path.posix.join(await this.home(cluster), root);
  }

  /** The user's home directory on the cluster, asked once. */
  async home(cluster: string): Promise<string> {
    let home = this.homes.get(cluster);
    if (!home) {
      home = await sftpCall.realpath(await this.connection(cluster).files(), '.');
      this.homes.set(cluster, home);
    }
    return home;
  }

  /** Where a job lives and the sbatch call that submits it (or, with testOnly, only checks it). */
  private async plan(
    spec: JobSpec,
    tag: string,
    afterOk: string[],
    testOnly = false,
  ): Promise<{ runDir: string; scriptPath: string; argv: string[] }> {
    const runDir = path.posix.join(await this.remoteRoot(spec.cluster), 'runs', tag);
    const scriptPath = path.posix.join(runDir, 'job.sbatch');
    const argv = sbatchArgv(scriptPath, this.sbatchOptions(spec, tag, runDir, afterOk, testOnly));
    if (this.options.sbatch) argv[0] = this.options.sbatch;
    return { runDir, scriptPath, argv };
  }

  private sbatchOptions(
    spec: Pick<JobSpec, 'name' | 'resources'>,
    tag: string,
    runDir: string,
    afterOk: string[],
    testOnly = false,
  ): SbatchOptions {
    return {
      jobName: spec.name,
      tag,
      output: path.posix.join(runDir, 'slurm.log'),
      chdir: runDir,
      afterOk,
      testOnly,
      resources: spec.resources,
    };
  }

  private dependencyIds(spec: JobSpec): string[] {
    return (spec.dependsOn ?? []).map((t) => {
      const dep = this.registry.get(t);
      if (!dep?.jobId)
        throw new Error(
          `${spec.name}: dependency ${t} has no job id (state ${dep?.state ?? 'unknown'}); submit it first`,
        );
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
    const sftp = await conn.files();
    const tag = spec.tag ?? newTag(spec.study, spec.stage, spec.model);
    if (this.registry.get(tag)) throw new Error(`${spec.name}: a job with tag ${tag} was already submitted`);
    const { runDir, scriptPath, argv } = await this.plan(spec, tag, this.dependencyIds(spec));
    const now = new Date().toISOString();
    const record: JobRecord = {
      tag,
      cluster: spec.cluster,
      study: spec.study,
      stage: spec.stage,
      model: spec.model,
      name: spec.name,
      runDir,
      script: scriptPath,
      log: path.posix.join(runDir, 'slurm.log'),
      dependsOn: [...(spec.dependsOn ?? [])],
      state: 'SUBMITTING',
      submittedAt: now,
      updatedAt: now,
      resultsDir: spec.resultsDir?.(runDir),
      resources: spec.resources,
      sbatch: argv,
    };
    this.submitting.add(tag);
    try {
      await this.registry.put(record);
      try {
        await uploadAtomic(sftp, withEndRecord(spec.script(runDir), runDir), scriptPath, 0o755);
      } catch (e) {
        await this.registry.update(tag, { state: 'UNSUBMITTED', reason: `upload failed: ${(e as Error).message}` });
        throw e;
      }
      return await this.runSbatch(tag, argv);
    } finally {
      this.submitting.delete(tag);
    }
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
    if (found)
      return this.registry.update(tag, {
        jobId: found.jobId,
        state: found.state,
        slurmState: found.slurmState,
        reason: found.reason || undefined,
      });
    // squeue forgets a job MinJobAge after it ends; accounting, or the job's own end record, still knows it.
    const conn = this.connection(rec.cluster);
    if (!this.noAccounting.has(rec.cluster)) {
      const since = new Date(Date.parse(rec.submittedAt) - 86_400_000).toISOString().slice(0, 19);
      const r = await readOnly(conn, sacctSinceArgv(rec.name, since));
      if (r.code !== 0 && accountingDisabled(r.stderr)) this.noAccounting.add(rec.cluster);
      const hit =
        r.code === 0 ? [...parseSacct(r.stdout).jobs.values()].find((j) => j.workDir === rec.runDir) : undefined;
      if (hit && isFinished(hit.state)) {
        const f = finalFromSacct(hit, requestedGpus(rec.resources));
        return this.registry.update(tag, {
          jobId: f.jobId,
          state: f.state,
          slurmState: f.slurmState,
          reason: f.reason,
          elapsed: f.elapsed,
          node: f.node,
          end: f.end,
        });
      }
      if (hit)
        return this.registry.update(tag, {
          jobId: hit.jobId,
          state: hit.state,
          slurmState: hit.slurmState,
          reason: hit.reason,
        });
    }
    const ev = await readOnly(conn, endRecordsArgv([rec]));
    const record = ev.code === 0 ? parseEndRecords(ev.stdout).get(rec.runDir) : undefined;
    if (record?.record?.job_id) {
      const f = finalFromRecord(record.record.job_id, record, requestedGpus(rec.resources), false);
      return this.registry.update(tag, {
        jobId: f.jobId,
        state: f.state,
        reason: f.reason,
        elapsed: f.elapsed,
        node: f.node,
        end: f.end,
      });
    }
    return this.registry.update(tag, {
      state: 'UNSUBMITTED',
      reason: 'the connection was lost before sbatch replied, and the cluster has no job with this tag',
    });
  }

  /** `sbatch --test-only`: Slurm's own check of the script and resources, nothing submitted. */
  async validate(spec: JobSpec): Promise<{ ok: boolean; message: string }> {
    const conn = this.connection(spec.cluster);
    const sftp = await conn.files();
    const tag = newTag(spec.study, spec.stage, `${spec.model}-check`);
    const deps = (spec.dependsOn ?? [])
      .map((t) => this.registry.get(t)?.jobId)
      .filter((x): x is string => x !== undefined);
    const { runDir, scriptPath, argv } = await this.plan(spec, tag, deps, true);
    try {
      await uploadAtomic(sftp, withEndRecord(spec.script(runDir), runDir), scriptPath, 0o755);
      const r = await conn.exec(argv);
      return { ok: r.code === 0, message: (r.stderr || r.stdout).trim() };
    } finally {
      // The check's run directory goes whatever happened: it never held a job.
      await conn.exec(['rm', '-rf', '--', runDir]).catch(() => undefined);
    }
  }

  /**
   * One squeue for all of a cluster's jobs; records follow what Slurm says. Jobs that squeue no
   * longer lists (it forgets them MinJobAge after they end), and finished ones whose end is not yet
   * known, are read with one sacct for all of them; where the cluster has no accounting, or sacct
   * does not know a job, from the end records the jobs wrote themselves (one command for all).
   * `ended` holds the jobs this poll saw finish.
   */
  async poll(cluster: string): Promise<{ changed: JobRecord[]; ended: JobRecord[]; problems: string[] }> {
    const conn = this.connection(cluster);
    const sq = await readOnly(conn, squeueArgv());
    // An empty listing from a failed squeue must not read as "every job has ended".
    if (sq.code !== 0) throw new Error(`squeue exited with ${sq.code}: ${sq.stderr.trim().slice(0, 300)}`);
    const { rows, problems } = parseSqueue(sq.stdout);
    const byId = new Map(rows.map((r) => [r.jobId, r]));
    const changed = new Set<string>();
    const ended = new Set<string>();
    const unresolved: JobRecord[] = [];
    for (const { tag } of this.registry.all().filter((j) => j.cluster === cluster)) {
      // Read at its turn: a submission that was running when the poll began may have settled since.
      const rec = this.registry.get(tag);
      if (!rec) continue;
      if (rec.state === 'SUBMITTING') {
        if (!this.submitting.has(tag)) changed.add((await this.recover(tag)).tag);
        continue;
      }
      if (!rec.jobId || rec.state === 'UNSUBMITTED' || rec.end) continue;
      const row = byId.get(rec.jobId);
      if (row) {
        const patch = {
          state: row.state,
          slurmState: row.slurmState,
          reason: row.reason || undefined,
          elapsed: row.elapsed,
          limit: row.limit,
          node: row.nodes || undefined,
        };
        if (
          patch.state !== rec.state ||
          patch.slurmState !== rec.slurmState ||
          patch.limit !== rec.limit ||
          patch.reason !== rec.reason ||
          patch.elapsed !== rec.elapsed ||
          patch.node !== rec.node
        ) {
          await this.registry.update(rec.tag, patch);
          changed.add(rec.tag);
        }
        if (isFinished(row.state)) unresolved.push(this.registry.get(rec.tag)!);
      } else {
        unresolved.push(rec);
      }
      if (!isFinished(rec.state) && isFinished(this.registry.get(rec.tag)!.state)) ended.add(rec.tag);
    }
    if (unresolved.length > 0) {
      const finals = await this.finalStates(cluster, unresolved, byId, problems);
      for (const rec of unresolved) {
        const f = finals.get(rec.tag);
        if (!f) continue;
        // squeue's reason for a job it listed as finished (DependencyNeverSatisfied…) stands where
        // sacct has none; NonZeroExitCode says no more than the exit code now shown beside it.
        const listedReason = isFinished(rec.state) && rec.reason !== 'NonZeroExitCode' ? rec.reason : undefined;
        await this.registry.update(rec.tag, {
          state: f.state,
          slurmState: f.slurmState,
          reason: f.reason ?? listedReason,
          elapsed: f.elapsed || rec.elapsed,
          node: f.node ?? rec.node,
          end: f.end,
        });
        changed.add(rec.tag);
        if (!isFinished(rec.state)) ended.add(rec.tag);
      }
    }
    const records = (tags: Set<string>) => [...tags].map((t) => this.registry.get(t)!);
    return { changed: records(changed), ended: records(ended), problems };
  }

  /** Final states of jobs that ended (or that squeue no longer lists), by tag; a job still unsure is left out. */
  private async finalStates(
    cluster: string,
    jobs: JobRecord[],
    squeue: Map<string, { state: JobState }>,
    problems: string[],
  ): Promise<Map<string, FinalState>> {
    const conn = this.connection(cluster);
    const finals = new Map<string, FinalState>();
    let pending = jobs;
    let sacctFailed = false;
    if (!this.noAccounting.has(cluster)) {
      const r = await readOnly(conn, sacctArgv(jobs.map((j) => j.jobId!)));
      if (r.code !== 0 && accountingDisabled(r.stderr)) this.noAccounting.add(cluster);
      else if (r.code !== 0) {
        sacctFailed = true;
        problems.push(`sacct exited with ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
      } else {
        const { jobs: acct, problems: p } = parseSacct(r.stdout);
        problems.push(...p);
        pending = [];
        for (const j of jobs) {
          const a = acct.get(j.jobId!);
          if (a && isFinished(a.state)) finals.set(j.tag, finalFromSacct(a, requestedGpus(j.resources)));
          // sacct still says PENDING/RUNNING: slurmdbd has not heard of the end yet; next poll.
          else if (a && !squeue.has(j.jobId!) && !isFinished(a.state)) continue;
          else pending.push(j);
        }
      }
    }
    const killed = jobs.filter((j) => finals.has(j.tag) && killedOutright(finals.get(j.tag)!));
    if (pending.length === 0 && killed.length === 0) return finals;
    const r = await readOnly(conn, endRecordsArgv([...pending, ...killed]));
    if (r.code !== 0) {
      problems.push(`reading end records failed (${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      return finals;
    }
    const evidence = parseEndRecords(r.stdout);
    for (const j of killed) {
      const e = evidence.get(j.runDir);
      if (e) finals.set(j.tag, withLogVerdict(finals.get(j.tag)!, e));
    }
    // Oldest first, so that a dependency's final state is known before its dependants are judged.
    const stateOf = (tag: string) => finals.get(tag)?.state ?? this.registry.get(tag)?.state;
    for (const j of [...pending].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt))) {
      const e = evidence.get(j.runDir);
      if (!e) continue;
      if (e.recordProblem) problems.push(e.recordProblem);
      // Still listed by squeue and no record yet: squeue's state stands until the record is there.
      // Accounting that failed this once may know better next poll than a missing record can say.
      if ((squeue.has(j.jobId!) || sacctFailed) && !e.record) continue;
      const depFailed = j.dependsOn.some((t) => {
        const s = stateOf(t);
        return s !== undefined && isFinished(s) && s !== 'COMPLETED';
      });
      finals.set(j.tag, finalFromRecord(j.jobId!, e, requestedGpus(j.resources), depFailed));
    }
    return finals;
  }

  async cancel(tag: string): Promise<void> {
    const rec = this.registry.get(tag);
    if (!rec?.jobId) throw new Error(`job ${tag} has no id to cancel`);
    const r = await this.connection(rec.cluster).exec(['scancel', rec.jobId]);
    if (r.code !== 0) throw new Error(`scancel ${rec.jobId}: ${r.stderr.trim()}`);
  }

  /** Cancels every live job of a study, one scancel per cluster; the jobs it cancelled. */
  async cancelStudy(study: string): Promise<JobRecord[]> {
    const live = this.registry
      .all()
      .filter(
        (j) =>
          j.study === study && j.jobId && !isFinished(j.state) && j.state !== 'UNSUBMITTED' && j.state !== 'SUBMITTING',
      );
    for (const cluster of new Set(live.map((j) => j.cluster))) {
      const ids = live.filter((j) => j.cluster === cluster).map((j) => j.jobId!);
      const r = await this.connection(cluster).exec(['scancel', ...ids]);
      if (r.code !== 0) throw new Error(`scancel ${ids.join(' ')}: ${r.stderr.trim()}`);
    }
    return live;
  }

  /** Submits the same script again under a new tag (its dependencies must still have ids). */
  async resubmit(
    tag: string,
    moved: ReadonlyMap<string, string> = new Map(),
    retagged: ReadonlyMap<string, string> = new Map(),
  ): Promise<JobRecord> {
    const old = this.registry.get(tag);
    if (!old) throw new Error(`no job with tag ${tag}`);
    const script = (await readRemoteFile(await this.connection(old.cluster).files(), old.script)).toString('utf8');
    // Inputs made by jobs resubmitted before this one now live in their new run directories.
    const relocated = [...moved].reduce((text, [from, to]) => text.split(from).join(to), script);
    return this.submit({
      cluster: old.cluster,
      study: old.study,
      stage: old.stage,
      model: old.model,
      name: old.name,
      script: (runDir) => relocated.split(old.runDir).join(runDir),
      resources: old.resources,
      dependsOn: old.dependsOn
        .map((t) => retagged.get(t) ?? t)
        .filter((t) => {
          const d = this.registry.get(t);
          return d?.jobId && !isFinished(d.state);
        }),
      resultsDir: old.resultsDir ? (runDir) => old.resultsDir!.split(old.runDir).join(runDir) : undefined,
    });
  }

  /**
   * The jobs that would run again with `tag`: its dependants (transitively) that did not complete and
   * are no longer queued — the ones Slurm cancelled because the job failed. Dependants still queued
   * or running are not among them (they wait on the old job, and are left as they are).
   */
  dependantsToRerun(tag: string): { rerun: JobRecord[]; leftAlone: JobRecord[] } {
    const rerun: JobRecord[] = [];
    const leftAlone: JobRecord[] = [];
    const chain = new Set([tag]);
    // Registry order is submission order: a dependant always comes after what it depends on.
    for (const j of this.registry.all()) {
      if (chain.has(j.tag) || !j.dependsOn.some((t) => chain.has(t))) continue;
      if (j.state === 'COMPLETED') continue;
      if (!isFinished(j.state) && j.state !== 'UNSUBMITTED') {
        leftAlone.push(j);
        continue;
      }
      chain.add(j.tag);
      rerun.push(j);
    }
    return { rerun, leftAlone };
  }

  /**
   * Resubmits a job and, re-chained behind it, its dependants that Slurm cancelled: each again under a
   * new tag and run directory, its afterok on the new ids, and the paths of inputs made by the
   * resubmitted jobs moved to their new run directories.
   */
  async resubmitWithDependants(tag: string): Promise<{ jobs: JobRecord[]; leftAlone: JobRecord[] }> {
    const { rerun, leftAlone } = this.dependantsToRerun(tag);
    const moved = new Map<string, string>();
    const retagged = new Map<string, string>();
    const jobs: JobRecord[] = [];
    for (const old of [this.registry.get(tag)!, ...rerun]) {
      const rec = await this.resubmit(old.tag, moved, retagged);
      moved.set(old.runDir, rec.runDir);
      retagged.set(old.tag, rec.tag);
      jobs.push(rec);
    }
    return { jobs, leftAlone };
  }
}
