import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  END_RECORD,
  endRecordsArgv,
  finalFromRecord,
  finalFromSacct,
  formatSlurmDuration,
  gpusInTres,
  parseEndRecords,
  parseSacct,
  parseSlurmDuration,
  sacctArgv,
  withEndRecord,
  withLogVerdict,
  withoutEndRecord,
} from '../../src/core/jobs/accounting';
import {
  endReason,
  formatGpuHours,
  gpuHours,
  groupJobs,
  JobEndWatch,
  jobDescription,
  jobGpuHours,
  needsPoll,
  studySummary,
} from '../../src/core/jobs/present';
import type { JobRecord } from '../../src/core/jobs/registry';
import { requestedGpus } from '../../src/core/jobs/resources';

const S = '\x1f';
const row = (...f: string[]) => f.join(S);

// Lines as sacct 22.05 printed them on the loopback cluster (a completed 2-GPU job, a failed one, a
// dependency-cancelled one, a cancelled one, a memory kill), with the fields of SACCT_FIELDS.
const SACCT = `${[
  row(
    '2',
    'COMPLETED',
    '0:0',
    '4',
    '00:00:04',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:05',
    'vm',
    'billing=1,cpu=1,gres/gpu=2,mem=1000M,node=1',
    '',
    'None',
    '/home/u/runs/cl-done',
    'study/done',
  ),
  row(
    '2.batch',
    'COMPLETED',
    '0:0',
    '4',
    '00:00:04',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:05',
    'vm',
    'cpu=1,gres/gpu=2,mem=1000M,node=1',
    '3232K',
    '',
    '',
    'batch',
  ),
  row(
    '2.extern',
    'COMPLETED',
    '0:0',
    '4',
    '00:00:04',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:05',
    'vm',
    'billing=1,cpu=1,gres/gpu=2,mem=1000M,node=1',
    '1.5M',
    '',
    '',
    'extern',
  ),
  row(
    '3',
    'FAILED',
    '3:0',
    '1',
    '00:00:01',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:02',
    'vm',
    'billing=1,cpu=1,gres/gpu=1,node=1',
    '',
    'None',
    '/home/u/runs/cl-failed',
    'study/failed',
  ),
  row(
    '4',
    'CANCELLED',
    '0:0',
    '0',
    '00:00:00',
    '2026-11-26T21:20:02',
    '2026-11-26T21:20:02',
    'None assigned',
    '',
    '',
    'Dependency',
    '/home/u/runs/cl-dep',
    'study/dep',
  ),
  row(
    '5',
    'CANCELLED by 1001',
    '0:0',
    '7',
    '00:00:07',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:08',
    'vm',
    'billing=1,cpu=1,gres/gpu:a100=1,gres/gpu:h100=2,node=1',
    '',
    'None',
    '/home/u/runs/cl-cancel',
    `a|b${S}c`,
  ),
  row(
    '6',
    'FAILED',
    '0:9',
    '1',
    '00:00:01',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:02',
    'vm',
    'billing=1,cpu=1,mem=50M,node=1',
    '',
    'None',
    '/home/u/runs/cl-oom',
    'study/oom',
  ),
  row(
    '6.batch',
    'CANCELLED by 0',
    '0:9',
    '1',
    '00:00:01',
    '2026-11-26T21:20:01',
    '2026-11-26T21:20:02',
    'vm',
    'cpu=1,mem=50M,node=1',
    '316772K',
    '',
    '',
    'batch',
  ),
].join('\n')}\n`;

test('sacct: explicit fields, parsable, our own delimiter, ids given (steps kept for MaxRSS)', () => {
  assert.deepEqual(sacctArgv(['12', '13']), [
    'sacct',
    '--parsable2',
    '--noheader',
    `--delimiter=${S}`,
    '--jobs=12,13',
    '--format=JobID,State,ExitCode,ElapsedRaw,Elapsed,Start,End,NodeList,AllocTRES,MaxRSS,Reason,WorkDir,JobName',
  ]);
  assert.throws(() => sacctArgv([]), /no job ids/);
});

test('sacct output: one entry per allocation, steps folded in, every field exactly', () => {
  const { jobs, problems } = parseSacct(SACCT);
  assert.deepEqual(problems, []);
  assert.deepEqual([...jobs.keys()], ['2', '3', '4', '5', '6']);
  assert.deepEqual(jobs.get('2'), {
    jobId: '2',
    state: 'COMPLETED',
    reason: undefined,
    exitCode: 0,
    signal: 0,
    elapsedSeconds: 4,
    elapsed: '00:00:04',
    start: '2026-11-26T21:20:01',
    end: '2026-11-26T21:20:05',
    nodes: 'vm',
    gpus: 2,
    maxRssBytes: 3232 * 1024,
    workDir: '/home/u/runs/cl-done',
    name: 'study/done',
  });
  assert.equal(jobs.get('3')!.exitCode, 3);
  assert.equal(jobs.get('4')!.nodes, undefined);
  assert.equal(jobs.get('4')!.gpus, undefined);
  assert.deepEqual(
    [jobs.get('5')!.state, jobs.get('5')!.reason, jobs.get('5')!.gpus, jobs.get('5')!.name],
    ['CANCELLED', 'cancelled by uid 1001', 3, `a|b${S}c`],
  );
  // A memory kill (OverMemoryKill) is FAILED with signal 9 in sacct; MaxRSS from its batch step.
  assert.deepEqual(
    [jobs.get('6')!.state, jobs.get('6')!.signal, jobs.get('6')!.maxRssBytes],
    ['FAILED', 9, 316772 * 1024],
  );
});

test('sacct output that is not sacct’s: each bad line named with its number and field, the rest kept', () => {
  const { jobs, problems } = parseSacct(
    [row('7', 'COMPLETED', '0:0', 'x', '', '', '', '', '', '', '', '', 'n'), 'garbage', SACCT.split('\n')[3]].join(
      '\n',
    ),
  );
  assert.deepEqual([...jobs.keys()], ['3']);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /^sacct line 1: elapsedRaw: not whole seconds: /);
  assert.match(problems[1], /^sacct line 2: jobId: not a job id; state: Required/);
});

test('final states from sacct: elapsed as squeue prints it, GPUs from AllocTRES or the request, dependency named as squeue names it', () => {
  const { jobs } = parseSacct(SACCT);
  assert.deepEqual(finalFromSacct(jobs.get('2')!, 8), {
    jobId: '2',
    state: 'COMPLETED',
    reason: undefined,
    elapsed: '0:04',
    node: 'vm',
    end: {
      source: 'sacct',
      exitCode: 0,
      signal: 0,
      start: '2026-11-26T21:20:01',
      end: '2026-11-26T21:20:05',
      elapsedSeconds: 4,
      gpus: 2,
      maxRssBytes: 3232 * 1024,
    },
  });
  assert.equal(finalFromSacct(jobs.get('6')!, 4).end.gpus, 4, 'no gres/gpu in AllocTRES: the GPUs asked for');
  assert.equal(finalFromSacct(jobs.get('4')!, 1).reason, 'DependencyNeverSatisfied');
  const oom = withLogVerdict(finalFromSacct(jobs.get('6')!, 0), {
    hasLog: true,
    slurm: ['slurmstepd-vm: error: StepId=6.batch exceeded memory limit (324374528 > 52428800), being killed'],
  });
  assert.deepEqual([oom.state, oom.reason], ['OUT_OF_MEMORY', 'killed for exceeding its memory limit']);
  assert.equal(withLogVerdict(finalFromSacct(jobs.get('3')!, 0), { hasLog: true, slurm: [] }).state, 'FAILED');
});

test('GPUs in AllocTRES', () => {
  assert.equal(gpusInTres('billing=1,cpu=1,gres/gpu=4,node=1'), 4);
  assert.equal(gpusInTres('gres/gpu:a100=2,gres/gpu:h100=1'), 3);
  assert.equal(gpusInTres('gres/gpu=2,gres/gpu:a100=2'), 2);
  assert.equal(gpusInTres('cpu=1,node=1'), undefined);
  assert.equal(gpusInTres(''), undefined);
});

test('Slurm durations both ways', () => {
  for (const [s, n] of [
    ['0:04', 4],
    ['00:00:04', 4],
    ['1:02:03', 3723],
    ['2-03:04:05', 183845],
    ['10:00', 600],
    ['1', 60],
    ['1-02', 93600],
    ['1-02:03', 93780],
  ] as const)
    assert.equal(parseSlurmDuration(s), n, s);
  assert.equal(parseSlurmDuration('UNLIMITED'), undefined);
  assert.deepEqual([4, 600, 3723, 183845].map(formatSlurmDuration), ['0:04', '10:00', '1:02:03', '2-03:04:05']);
});

function runWrapped(
  body: string,
  env: Record<string, string>,
  signal?: NodeJS.Signals,
): Promise<{ dir: string; code: number | null; record: Record<string, string> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'corpus-lab-end-'));
  const file = path.join(dir, 'job.sbatch');
  writeFileSync(file, withEndRecord(`#!/bin/bash\nset -euo pipefail\n${body}\n`, dir), { mode: 0o755 });
  return new Promise((resolve) => {
    const p = spawn(file, [], { env: { PATH: process.env.PATH!, ...env }, stdio: 'ignore' });
    if (signal) setTimeout(() => p.kill(signal), 500);
    p.on('exit', (code) => {
      const text = readFileSync(path.join(dir, END_RECORD), 'utf8');
      resolve({
        dir,
        code,
        record: Object.fromEntries(
          text
            .trim()
            .split('\n')
            .map((l) => l.split('=')),
        ),
      });
    });
  });
}

test('the end record: a preamble after the shebang, once, whatever the script; bash writes it on exit and on SIGTERM', async () => {
  const script = '#!/bin/bash\n#SBATCH --comment=x\necho hi\n';
  const wrapped = withEndRecord(script, '/runs/it’s here');
  assert.ok(wrapped.startsWith('#!/bin/bash\n# >>> corpus-lab'));
  assert.ok(wrapped.endsWith('# <<< corpus-lab\n#SBATCH --comment=x\necho hi\n'));
  assert.ok(
    wrapped.includes(
      `> '/runs/it’s here/corpus-lab-end'.$$ && mv -f '/runs/it’s here/corpus-lab-end'.$$ '/runs/it’s here/corpus-lab-end'`,
    ),
  );
  assert.equal(withEndRecord(wrapped, '/runs/it’s here'), wrapped, 'wrapping twice is wrapping once');
  assert.equal(withoutEndRecord(wrapped), script);
  assert.ok(withEndRecord('echo no shebang\n', '/r').startsWith('#!/bin/bash\n# >>> corpus-lab'));

  const failed = await runWrapped('exit 3', {
    SLURM_JOB_ID: '41',
    SLURM_JOB_NUM_NODES: '2',
    SLURM_GPUS_ON_NODE: '4',
    SLURM_JOB_NODELIST: 'gpu[01-02]',
  });
  assert.equal(failed.code, 3);
  assert.deepEqual(
    { ...failed.record, start: undefined, end: undefined },
    {
      job_id: '41',
      exit_code: '3',
      signal: '0',
      start: undefined,
      end: undefined,
      nodes: '2',
      gpus_on_node: '4',
      node_list: 'gpu[01-02]',
    },
  );
  assert.ok(Number(failed.record.end) >= Number(failed.record.start));
  const unset = await runWrapped('false', {});
  assert.deepEqual(
    [unset.code, unset.record.exit_code, unset.record.job_id, unset.record.gpus_on_node],
    [1, '1', '', '0'],
  );
  const killed = await runWrapped('sleep 30 & wait', { SLURM_JOB_ID: '42' }, 'SIGTERM');
  assert.deepEqual([killed.code, killed.record.exit_code, killed.record.signal], [143, '143', '15']);
  for (const d of [failed.dir, unset.dir, killed.dir]) rmSync(d, { recursive: true });
});

test('end records read in one command: record, log and Slurm’s lines per run directory', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'corpus-lab-ends-'));
  const dirs = ['done', 'timeout', 'oom', 'never', 'bad; $(rm -rf x)'].map((d) => path.join(root, d));
  spawnSync('mkdir', ['-p', ...dirs]);
  writeFileSync(
    path.join(dirs[0], END_RECORD),
    'job_id=7\nexit_code=0\nsignal=0\nstart=1000\nend=1090\nnodes=2\ngpus_on_node=4\nnode_list=n[1-2]\n',
  );
  writeFileSync(path.join(dirs[0], 'slurm.log'), 'iteration 1\n');
  writeFileSync(
    path.join(dirs[1], END_RECORD),
    'job_id=8\nexit_code=143\nsignal=15\nstart=1000\nend=1061\nnodes=1\ngpus_on_node=0\nnode_list=n1\n',
  );
  writeFileSync(
    path.join(dirs[1], 'slurm.log'),
    'x\nslurmstepd: error: *** JOB 8 ON n1 CANCELLED AT 2026-11-26T21:00:00 DUE TO TIME LIMIT ***\n',
  );
  writeFileSync(
    path.join(dirs[2], 'slurm.log'),
    'slurmstepd-vm: error: StepId=9.batch exceeded memory limit (324374528 > 52428800), being killed\nslurmstepd-vm: error: *** JOB 9 ON vm CANCELLED AT 2026-11-26T21:08:29 ***\n',
  );
  writeFileSync(path.join(dirs[4], END_RECORD), 'job_id=x\nexit_code=0\n');
  const argv = endRecordsArgv(dirs.map((d) => ({ runDir: d, log: path.join(d, 'slurm.log') })));
  const out = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const ev = parseEndRecords(out.stdout);
  assert.deepEqual([...ev.keys()], dirs);
  assert.deepEqual(finalFromRecord('7', ev.get(dirs[0])!, 1, false), {
    jobId: '7',
    state: 'COMPLETED',
    reason: undefined,
    elapsed: '1:30',
    node: 'n[1-2]',
    end: {
      source: 'record',
      exitCode: 0,
      signal: 0,
      start: '1970-01-01T00:16:40.000Z',
      end: '1970-01-01T00:18:10.000Z',
      elapsedSeconds: 90,
      gpus: 8,
    },
  });
  const timeout = finalFromRecord('8', ev.get(dirs[1])!, 2, false);
  assert.deepEqual(
    [timeout.state, timeout.reason, timeout.end.gpus, timeout.end.signal],
    ['TIMEOUT', 'time limit reached', 2, 15],
  );
  assert.deepEqual(finalFromRecord('9', ev.get(dirs[2])!, 1, false), {
    jobId: '9',
    state: 'OUT_OF_MEMORY',
    reason: 'killed for exceeding its memory limit',
    elapsed: '',
    end: { source: 'none', elapsedSeconds: 0, gpus: 1 },
  });
  assert.deepEqual(
    [finalFromRecord('10', ev.get(dirs[3])!, 1, true).state, finalFromRecord('10', ev.get(dirs[3])!, 1, true).reason],
    ['CANCELLED', 'DependencyNeverSatisfied'],
  );
  assert.equal(finalFromRecord('10', ev.get(dirs[3])!, 1, false).reason, 'ended before it started');
  assert.equal(ev.get(dirs[4])!.record, undefined);
  assert.match(ev.get(dirs[4])!.recordProblem!, /bad; \$\(rm -rf x\)\/corpus-lab-end: job_id: not a job id; signal: /);
  rmSync(root, { recursive: true });
});

const base: JobRecord = {
  tag: 't',
  cluster: 'c',
  study: 's',
  stage: 'cpt',
  model: 'm',
  name: 's/cpt/m',
  runDir: '/r',
  script: '/r/job.sbatch',
  log: '/r/slurm.log',
  dependsOn: [],
  state: 'PENDING',
  submittedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  resources: { nodes: 2, gpusPerNode: 4 },
  sbatch: ['sbatch', '--nodes=2', '--gres=gpu:4', '/r/job.sbatch'],
};
const job = (p: Partial<JobRecord>): JobRecord => ({ ...base, ...p });

test('GPU-hours: a finished job’s from its end, a running one’s so far from the request; summed per stage and study', () => {
  assert.equal(requestedGpus(base.resources), 8);
  assert.equal(requestedGpus({ gpusPerNode: 2 }), 2);
  assert.equal(requestedGpus({}), 0);
  const running = job({ state: 'RUNNING', elapsed: '1:30:00' });
  assert.equal(jobGpuHours(running), 12);
  const done = job({
    tag: 'd',
    state: 'COMPLETED',
    elapsed: '2:00:00',
    end: { source: 'sacct', exitCode: 0, signal: 0, elapsedSeconds: 7200, gpus: 4 },
  });
  assert.equal(jobGpuHours(done), 8);
  assert.equal(jobGpuHours(job({ state: 'PENDING', elapsed: '0:00' })), 0);
  assert.equal(gpuHours([running, done]), 20);
  assert.deepEqual(
    [3412.4, 12.5, 0.25, 0.001234, 0].map((h) => formatGpuHours(h)),
    ['3,412 GPU-hours', '13 GPU-hours', '0.25 GPU-hours', '0.0012 GPU-hours', '0.00 GPU-hours'],
  );
  assert.equal(formatGpuHours(2, true), '2.00 GPU-h');
});

test('a finished job reads with its exit code and GPU-hours; a summary counts the study', () => {
  const failed = job({
    jobId: '12',
    state: 'FAILED',
    elapsed: '0:30',
    limit: '10:00',
    end: { source: 'record', exitCode: 3, signal: 0, elapsedSeconds: 30, gpus: 8 },
  });
  assert.equal(jobDescription(failed), '#12 · FAILED · 0:30 / 10:00 · exit 3 · 0.07 GPU-h');
  assert.equal(endReason(failed), 'failed (exit 3)');
  // A job that failed before a poll saw it run keeps the reason it waited with; that says nothing of its end.
  const waited = job({ ...failed, reason: 'Dependency' });
  assert.equal(endReason(waited), 'failed (exit 3)');
  assert.equal(jobDescription(waited), '#12 · FAILED · 0:30 / 10:00 · exit 3 · 0.07 GPU-h');
  assert.equal(
    jobDescription(job({ jobId: '14', state: 'PENDING', reason: 'Dependency' })),
    '#14 · PENDING · (Dependency)',
  );
  const dep = job({
    jobId: '13',
    state: 'CANCELLED',
    reason: 'DependencyNeverSatisfied',
    end: { source: 'sacct', exitCode: 0, signal: 0, elapsedSeconds: 0, gpus: 1 },
  });
  assert.equal(jobDescription(dep), '#13 · CANCELLED · (DependencyNeverSatisfied)');
  const oom = job({
    state: 'OUT_OF_MEMORY',
    reason: 'killed for exceeding its memory limit',
    end: { source: 'sacct', exitCode: 0, signal: 9, elapsedSeconds: 1, gpus: 0 },
  });
  assert.equal(endReason(oom), 'was killed: out of memory (signal 9, killed for exceeding its memory limit)');
  const jobs = [
    ...Array.from({ length: 12 }, (_, i) =>
      job({
        tag: `c${i}`,
        state: 'COMPLETED',
        end: { source: 'sacct', exitCode: 0, signal: 0, elapsedSeconds: 3600, gpus: 284 },
      }),
    ),
    job({ tag: 'f', state: 'FAILED', end: { source: 'sacct', exitCode: 1, signal: 0, elapsedSeconds: 360, gpus: 40 } }),
  ];
  assert.equal(studySummary(jobs), '12 completed, 1 failed, 3,412 GPU-hours');
  assert.equal(
    studySummary([...jobs, job({ tag: 'x', state: 'CANCELLED' }), job({ tag: 'y', state: 'RUNNING' })]),
    '12 completed, 1 failed, 1 cancelled, 1 not finished, 3,412 GPU-hours',
  );
});

test('which ends are announced: only jobs this window saw alive; dependency cancellations counted, not announced', () => {
  const w = new JobEndWatch();
  const a = job({ tag: 'a', state: 'RUNNING' });
  const old = job({ tag: 'old', state: 'FAILED', study: 'last-week' });
  assert.deepEqual(w.update([a, old], 'c'), { failures: [], studies: [] });
  const b = job({ tag: 'b', state: 'PENDING' });
  w.watch(['b']);
  const end = { source: 'sacct' as const, exitCode: 1, signal: 0, elapsedSeconds: 5, gpus: 1 };
  const aFailed = { ...a, state: 'FAILED' as const, jobId: '1', end };
  const bDep = { ...b, state: 'CANCELLED' as const, reason: 'DependencyNeverSatisfied', jobId: '2', end };
  assert.deepEqual(
    w.update([{ ...aFailed, end: undefined }, b, old], 'c'),
    { failures: [], studies: [] },
    'FAILED in squeue, its end not read yet',
  );
  assert.deepEqual(
    w.update([aFailed, { ...b, cluster: 'other' }, old], 'c'),
    { failures: [aFailed], studies: [] },
    'b is on another cluster, not polled',
  );
  assert.deepEqual(w.update([aFailed, bDep, old], 'c'), { failures: [], studies: ['s'] });
  assert.deepEqual(w.update([aFailed, bDep, old], 'c'), { failures: [], studies: [] }, 'announced once');
});

test('a finished job is polled until its end is read; stages beyond the three known keep their place', () => {
  assert.equal(needsPoll(job({ state: 'COMPLETED', jobId: '1' })), true);
  assert.equal(
    needsPoll(job({ state: 'COMPLETED', jobId: '1', end: { source: 'none', elapsedSeconds: 0, gpus: 0 } })),
    false,
  );
  assert.equal(needsPoll(job({ state: 'UNSUBMITTED' })), false);
  const g = groupJobs([
    job({ tag: '1', stage: 'eval' }),
    job({ tag: '2', stage: 'convert' as JobRecord['stage'], submittedAt: '2025-12-31T00:00:00Z' }),
    job({ tag: '3', stage: 'cpt' }),
  ]);
  assert.deepEqual(
    g[0].stages.map((s) => s.stage),
    ['cpt', 'eval', 'convert'],
  );
});
