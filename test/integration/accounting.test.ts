import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { readRemoteFile } from '../../src/core/cluster/sftp';
import type { ClusterTransport } from '../../src/core/cluster/transport';
import { END_RECORD } from '../../src/core/jobs/accounting';
import { JobService, type JobSpec } from '../../src/core/jobs/jobService';
import { isFinished } from '../../src/core/jobs/jobState';
import {
  formatGpuHours,
  gpuHours,
  JobEndWatch,
  jobDescription,
  jobGpuHours,
  studySummary,
} from '../../src/core/jobs/present';
import { type JobRecord, JobRegistry } from '../../src/core/jobs/registry';
import { type LoopbackCluster, loopbackCluster, type TestHost, testHost } from './cluster';

/**
 * Jobs that ended longer ago than MinJobAge, so that squeue no longer lists them: read back from
 * sacct on the cluster with accounting, from the jobs' own end records on the one without
 * (run-tests.sh runs this file on both). The registry is reopened as a workspace would be a week
 * later: it last saw every job PENDING.
 */
const run = `a${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let c: LoopbackCluster;
let host: TestHost;
let conn: ClusterTransport;
let local: string;
let registry: JobRegistry;
let service: JobService;
const jobs: Record<string, JobRecord> = {};

function spec(
  model: string,
  body: string,
  o: { gpus?: number; time?: string; stage?: string; dependsOn?: string[]; mem?: string } = {},
): JobSpec {
  return {
    cluster: 'loopback',
    study: run,
    stage: (o.stage ?? 'cpt') as JobSpec['stage'],
    model,
    name: `${run}/${model}`,
    // No templates: the end record must work for any script a stage may have.
    script: () => `#!/bin/bash\nset -euo pipefail\necho "start ${model}"\n${body}\n`,
    resources: {
      partition: 'gpu',
      nodes: 1,
      gpusPerNode: o.gpus ?? 1,
      timeLimit: o.time ?? '10:00',
      memory: o.mem,
    },
    dependsOn: o.dependsOn,
  };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const listed = async (ids: string[]) => {
  const r = await conn.exec(['squeue', '--noheader', '--states=all', '--format=%i', `--jobs=${ids.join(',')}`]);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => ids.includes(l));
};

before(async () => {
  c = loopbackCluster();
  host = testHost(c);
  conn = host.transport;
  local = mkdtempSync(path.join(tmpdir(), 'corpus-lab-acct-'));
  registry = new JobRegistry(path.join(local, '.corpus-lab', 'jobs.json'));
  await registry.load();
  service = new JobService(registry, () => conn, { remoteRoot: () => `corpus-lab-${run}` });
});

after(async () => {
  await conn.exec(['scancel', '--me']).catch(() => undefined);
  host?.dispose();
  rmSync(local, { recursive: true, force: true });
});

test(`jobs that ended longer ago than MinJobAge show their final state, exit code and GPU-hours (${process.env.CORPUS_LAB_CLUSTER_ACCOUNTING === '0' ? 'no accounting: end records' : 'accounting: sacct'})`, async () => {
  assert.ok(
    c.minJobAge <= 10,
    `the test cluster must forget finished jobs quickly (MinJobAge ${c.minJobAge}); run-tests.sh sets it`,
  );
  jobs.timeout = await service.submit(spec('timeout', 'sleep 600', { time: '1' }));
  jobs.done = await service.submit(spec('done', 'sleep 3; echo done', { gpus: 2 }));
  jobs.failed = await service.submit(spec('failed', 'sleep 1; exit 3', { stage: 'sft' }));
  jobs.dependant = await service.submit(
    spec('dependant', 'echo never', { stage: 'eval', dependsOn: [jobs.failed.tag] }),
  );
  jobs.cancelled = await service.submit(spec('cancelled', 'sleep 600'));
  // 300 MB held against a 50 MB limit: Slurm's memory sampling kills it within a second or two.
  jobs.oom = await service.submit(
    spec('oom', 'python3 -c "import time; x = bytearray(300 * 1024 * 1024); time.sleep(30)"', { mem: '50M' }),
  );
  await until(
    'the job to cancel to run',
    async () =>
      (await conn.exec(['squeue', '--noheader', '--format=%T', `--jobs=${jobs.cancelled.jobId}`])).stdout.trim() ===
      'RUNNING',
    60_000,
  );
  await new Promise((r) => setTimeout(r, 1500));
  await service.cancel(jobs.cancelled.tag);
  const ids = Object.values(jobs).map((j) => j.jobId!);
  // The time limit strikes after a minute; squeue forgets a job at its next purge (every minute) after MinJobAge.
  await until('squeue to forget every job', async () => (await listed(ids)).length === 0, 240_000);

  // The workspace reopened: the registry last saw every job PENDING; one poll reconciles them all.
  const reopened = new JobRegistry(registry.file);
  await reopened.load();
  for (const j of reopened.all()) assert.equal(j.state, 'PENDING', j.name);
  const later = new JobService(reopened, () => conn, { remoteRoot: () => `corpus-lab-${run}` });
  const watch = new JobEndWatch();
  const { ended, problems } = await later.poll('loopback');
  assert.deepEqual(problems, []);
  assert.equal(ended.length, 6);
  // The two configurations really differ: without slurmdbd, sacct refuses.
  const sacct = await conn.exec(['sacct', '--noheader', `--jobs=${jobs.done.jobId}`]);
  assert.equal(sacct.code === 0, c.accounting, sacct.stderr);
  const get = (k: string) => reopened.get(jobs[k].tag)!;
  const source = c.accounting ? 'sacct' : 'record';

  assert.equal(get('done').state, 'COMPLETED');
  assert.equal(get('done').end?.source, source);
  assert.equal(get('done').end?.exitCode, 0);
  assert.equal(get('done').end?.gpus, 2);
  assert.ok(
    get('done').end!.elapsedSeconds >= 3 && get('done').end!.elapsedSeconds < 30,
    String(get('done').end!.elapsedSeconds),
  );
  assert.equal(jobGpuHours(get('done')), (get('done').end!.elapsedSeconds * 2) / 3600);

  assert.equal(get('failed').state, 'FAILED');
  assert.equal(get('failed').end?.exitCode, 3);
  assert.equal(get('failed').end?.signal, 0);
  assert.equal(get('failed').end?.gpus, 1);
  assert.match(
    jobDescription(get('failed')),
    new RegExp(`^#${jobs.failed.jobId} · FAILED · \\d+:\\d\\d · exit 3 · [\\d.]+ GPU-h`),
  );

  assert.equal(get('dependant').state, 'CANCELLED');
  assert.equal(get('dependant').reason, 'DependencyNeverSatisfied');
  assert.equal(jobGpuHours(get('dependant')), 0);

  assert.equal(get('cancelled').state, 'CANCELLED');
  // sacct records the allocation of a cancelled job as 0:0; the job's own trap saw SIGTERM.
  assert.equal(get('cancelled').end?.signal, c.accounting ? 0 : 15);
  assert.ok(get('cancelled').end!.elapsedSeconds >= 1);
  assert.equal(
    get('cancelled').reason,
    c.accounting ? `cancelled by uid ${(await conn.exec(['id', '-u'])).stdout.trim()}` : 'cancelled (scancel)',
  );

  assert.equal(get('timeout').state, 'TIMEOUT');
  assert.ok(get('timeout').end!.elapsedSeconds >= 60, String(get('timeout').end!.elapsedSeconds));
  assert.equal(get('timeout').end?.gpus, 1);

  assert.equal(get('oom').state, 'OUT_OF_MEMORY');
  assert.equal(get('oom').reason, 'killed for exceeding its memory limit');
  assert.equal(get('oom').end?.source, c.accounting ? 'sacct' : 'none');
  if (c.accounting) {
    assert.equal(get('oom').end?.signal, 9);
    // Slurm samples memory every second, so it may kill the job before all 300 MB are touched: the
    // recorded peak is above the 50 MB limit and at most what was allocated (a unit slip fails either way).
    const rss = get('oom').end!.maxRssBytes!;
    assert.ok(rss > 50 * 1024 * 1024 && rss < 400 * 1024 * 1024, String(rss));
  }

  for (const j of reopened.all()) {
    assert.ok(isFinished(j.state), `${j.name}: ${j.state}`);
    assert.doesNotMatch(jobDescription(j), /UNKNOWN/);
  }
  const total = gpuHours(reopened.all());
  // The same terms summed in another order: equal up to floating-point rounding.
  const expected = [get('done'), get('failed'), get('cancelled'), get('timeout'), get('oom')].reduce(
    (s, j) => s + (j.end!.elapsedSeconds * j.end!.gpus) / 3600,
    0,
  );
  assert.ok(Math.abs(total - expected) < 1e-12, `${total} vs ${expected}`);
  assert.equal(studySummary(reopened.all()), `1 completed, 3 failed, 2 cancelled, ${formatGpuHours(total)}`);
  // Ended before this "window" saw them alive: listed, not announced.
  assert.deepEqual(watch.update(reopened.all(), 'loopback'), { failures: [], studies: [] });

  // A second poll changes nothing: the ends are known, sacct and the records are not read again.
  const again = await later.poll('loopback');
  assert.deepEqual([again.changed.length, again.ended.length], [0, 0]);
});

test('the end record is written by the job itself, atomically, next to its log', async () => {
  const rec = (await readRemoteFile(await conn.files(), `${jobs.failed.runDir}/${END_RECORD}`)).toString('utf8');
  const kv = Object.fromEntries(
    rec
      .trim()
      .split('\n')
      .map((l) => l.split('=')),
  );
  assert.deepEqual(Object.keys(kv), [
    'job_id',
    'exit_code',
    'signal',
    'start',
    'end',
    'nodes',
    'gpus_on_node',
    'node_list',
  ]);
  assert.equal(kv.job_id, jobs.failed.jobId);
  assert.equal(kv.exit_code, '3');
  assert.equal(kv.signal, '0');
  assert.equal(kv.gpus_on_node, '1');
  const ls = (await conn.exec(['ls', '-A', jobs.failed.runDir])).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(ls, [END_RECORD, 'job.sbatch', 'slurm.log']);
});

test('a job seen running, then failing, is announced with its study’s summary; one that never ran is counted, not announced', async () => {
  const watch = new JobEndWatch();
  const live = await service.submit(spec('live', 'sleep 4; exit 4', { gpus: 3 }));
  const after = await service.submit(spec('after-live', 'echo never', { stage: 'eval', dependsOn: [live.tag] }));
  await until(
    'the job to run',
    async () => {
      await service.poll('loopback');
      return registry.get(live.tag)!.state === 'RUNNING';
    },
    60_000,
  );
  const first = watch.update(registry.all(), 'loopback');
  assert.deepEqual(first, { failures: [], studies: [] });
  let ended: string[] = [];
  await until(
    'both to end',
    async () => {
      ended = [...ended, ...(await service.poll('loopback')).ended.map((j) => j.model)];
      return [live, after].every((j) => isFinished(registry.get(j.tag)!.state) && registry.get(j.tag)!.end);
    },
    150_000,
  );
  assert.deepEqual(ended.sort(), ['after-live', 'live']);
  const { failures, studies } = watch.update(registry.all(), 'loopback');
  assert.deepEqual(
    failures.map((j) => [j.model, j.state, j.end?.exitCode]),
    [['live', 'FAILED', 4]],
  );
  assert.deepEqual(studies, [run]);
  assert.equal(registry.get(live.tag)!.end?.gpus, 3);
  assert.equal(registry.get(after.tag)!.reason, 'DependencyNeverSatisfied');
});
