import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseSacct } from '../../src/core/jobs/accounting';
import { isFinished, jobState, readSlurmState, stateText } from '../../src/core/jobs/jobState';
import { jobDescription, jobIcon, NO_LIMIT, timeLimitText } from '../../src/core/jobs/present';
import { type JobRecord, JobRegistry } from '../../src/core/jobs/registry';
import { resourceArgs, resourcesOfOldSbatch, slurmResources } from '../../src/core/jobs/resources';
import { parseSqueue } from '../../src/core/jobs/slurm';
import { jobSettingsSchema } from '../../src/core/jobs/studyLaunch';
import { tempDir } from './helpers';

const S = '\x1f';

test('a state Slurm prints that this version does not know is UNKNOWN, with Slurm’s word kept and shown', () => {
  assert.deepEqual(readSlurmState('RUNNING'), { state: 'RUNNING' });
  assert.deepEqual(readSlurmState('REQUEUE_HOLD'), { state: 'REQUEUE_HOLD' });
  assert.deepEqual(readSlurmState('RECONFIG_FAIL'), { state: 'UNKNOWN', slurmState: 'RECONFIG_FAIL' });
  // Our own states are never Slurm's word for anything.
  assert.deepEqual(readSlurmState('SUBMITTING'), { state: 'UNKNOWN', slurmState: 'SUBMITTING' });
  const { rows, problems } = parseSqueue(['17', 'cl-x', 'LAUNCH_FAILED', 'None', '0:03', '10:00', 'vm', 'n'].join(S));
  assert.deepEqual(problems, []);
  assert.equal(rows[0].state, 'UNKNOWN');
  assert.equal(rows[0].slurmState, 'LAUNCH_FAILED');
  const acct = parseSacct(
    [
      '5',
      'POWER_UP_NODE',
      '0:0',
      '0',
      '00:00:00',
      'Unknown',
      'Unknown',
      'None assigned',
      '',
      '',
      'None',
      '/r',
      'n',
    ].join(S),
  );
  assert.deepEqual(acct.problems, []);
  assert.equal(acct.jobs.get('5')!.state, 'UNKNOWN');
  assert.equal(acct.jobs.get('5')!.slurmState, 'POWER_UP_NODE');
  const j = { state: 'UNKNOWN' as const, slurmState: 'LAUNCH_FAILED' };
  assert.equal(stateText(j), 'UNKNOWN (Slurm: LAUNCH_FAILED)');
  assert.equal(stateText({ state: 'RUNNING' }), 'RUNNING');
  // Not finished: it is polled until Slurm says something known.
  assert.equal(isFinished('UNKNOWN'), false);
  assert.equal(jobIcon('UNKNOWN'), 'unknown');
  assert.equal(jobIcon('REQUEUE_HOLD'), 'pending');
  assert.equal(jobIcon('STAGE_OUT'), 'running');
  // A finished job never shows as waiting or running, and only UNKNOWN shows as unknown.
  for (const s of jobState.options) {
    if (isFinished(s)) assert.ok(['done', 'failed', 'cancelled'].includes(jobIcon(s)), s);
    assert.equal(jobIcon(s) === 'unknown', s === 'UNKNOWN', s);
  }
});

const OLD_RECORD = {
  tag: 'cl-s1-cpt-A-0001',
  cluster: 'loopback',
  study: 's1',
  stage: 'cpt',
  model: 'A',
  name: 's1/cpt/A',
  runDir: '/home/u/corpus-lab/runs/cl-s1-cpt-A-0001',
  script: '/home/u/corpus-lab/runs/cl-s1-cpt-A-0001/job.sbatch',
  log: '/home/u/corpus-lab/runs/cl-s1-cpt-A-0001/slurm.log',
  dependsOn: [],
  jobId: '41',
  state: 'RUNNING',
  elapsed: '1:00:00',
  submittedAt: '2026-11-20T10:00:00.000Z',
  updatedAt: '2026-11-20T10:00:00.000Z',
  sbatch: [
    'sbatch',
    '--parsable',
    '--job-name=s1/cpt/A',
    '--comment=cl-s1-cpt-A-0001',
    '--output=/home/u/corpus-lab/runs/cl-s1-cpt-A-0001/slurm.log',
    '--chdir=/home/u/corpus-lab/runs/cl-s1-cpt-A-0001',
    '--partition=gpu',
    '--nodes=2',
    '--gres=gpu:4',
    '--ntasks-per-node=4',
    '--time=7-00:00:00',
    '/home/u/corpus-lab/runs/cl-s1-cpt-A-0001/job.sbatch',
  ],
};

test('a registry written before resources were recorded loads: resources from its sbatch line, written back', async () => {
  const file = path.join(tempDir(), '.corpus-lab', 'jobs.json');
  mkdirSync(path.dirname(file));
  const unknownState = { ...OLD_RECORD, tag: 'cl-s1-cpt-B-0002', state: 'RECONFIG_FAIL' };
  unknownState.runDir = unknownState.runDir.replace('A-0001', 'B-0002');
  unknownState.script = `${unknownState.runDir}/job.sbatch`;
  unknownState.log = `${unknownState.runDir}/slurm.log`;
  writeFileSync(file, JSON.stringify({ version: 1, jobs: [OLD_RECORD, unknownState] }));
  const reg = new JobRegistry(file);
  assert.deepEqual(await reg.load(), { skipped: [], readOnly: undefined });
  const a = reg.get(OLD_RECORD.tag)!;
  assert.deepEqual(a.resources, {
    partition: 'gpu',
    nodes: 2,
    gpusPerNode: 4,
    ntasksPerNode: 4,
    timeLimit: '7-00:00:00',
  });
  assert.equal(a.state, 'RUNNING');
  assert.equal(jobDescription(a), '#41 · RUNNING · 1:00:00 · 8.00 GPU-h');
  const b = reg.get(unknownState.tag)!;
  assert.equal(b.state, 'UNKNOWN');
  assert.equal(b.slurmState, 'RECONFIG_FAIL');
  await reg.save();
  const written = JSON.parse(readFileSync(file, 'utf8')).jobs as JobRecord[];
  assert.deepEqual(written[0].resources, a.resources);
  assert.deepEqual(written[0].sbatch, OLD_RECORD.sbatch, 'the sbatch line as run is kept');
  assert.equal(written[1].state, 'UNKNOWN');
  // A state that is not even a word is refused, naming the field; the record is kept in the file.
  writeFileSync(file, JSON.stringify({ version: 1, jobs: [{ ...OLD_RECORD, state: 'rm -rf ~' }] }));
  const { skipped } = await new JobRegistry(file).load();
  assert.equal(skipped.length, 1);
  assert.match(skipped[0], /job 1 \(tag "cl-s1-cpt-A-0001"\): state: Invalid enum value/);
});

test('one resources schema: settings refuse unknown fields, sbatch options in a fixed order, old lines read back', () => {
  const r = { partition: 'gpu', nodes: 2, gpusPerNode: 4, ntasksPerNode: 4, cpusPerTask: 8, timeLimit: '30:00' };
  assert.deepEqual(resourceArgs({ ...r, memory: '64G' }), [
    '--partition=gpu',
    '--nodes=2',
    '--gres=gpu:4',
    '--ntasks-per-node=4',
    '--cpus-per-task=8',
    '--time=30:00',
    '--mem=64G',
  ]);
  assert.deepEqual(resourcesOfOldSbatch(['sbatch', ...resourceArgs(r), '/r/job.sbatch']), r);
  assert.deepEqual(resourcesOfOldSbatch(['sbatch', '--gres=gpu:a100:2', '/r/job.sbatch']), { gpusPerNode: 2 });
  assert.deepEqual(resourcesOfOldSbatch(['sbatch', '/r/job.sbatch']), {});
  const bad = slurmResources.safeParse({ timeLimit: '2 days', memory: 'lots', partition: 'gpu;rm' });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')).sort(), ['memory', 'partition', 'timeLimit']);
  const settings = jobSettingsSchema.safeParse({ resources: { cpt: { gpus: 8 } } });
  assert.equal(settings.success, false);
  assert.match(settings.error!.issues[0].message, /Unrecognized key\(s\) in object: 'gpus'/);
  assert.deepEqual(jobSettingsSchema.parse({}).resources.sft, {
    partition: 'gpu',
    nodes: 1,
    gpusPerNode: 8,
    timeLimit: '1-00:00:00',
    ntasksPerNode: 8,
  });
});

test('time limits: one rule for UNLIMITED, INFINITE and backfill’s 365 days; a limit the job asked for stands', () => {
  const noLimit = { limit: '365-00:00:00', resources: {} };
  assert.equal(timeLimitText(noLimit), NO_LIMIT);
  assert.equal(timeLimitText({ limit: 'UNLIMITED', resources: {} }), NO_LIMIT);
  assert.equal(timeLimitText({ limit: 'INFINITE', resources: { timeLimit: '10:00' } }), NO_LIMIT);
  assert.equal(timeLimitText({ limit: '365-00:00:00', resources: { timeLimit: '365-00:00:00' } }), '365-00:00:00');
  assert.equal(timeLimitText({ limit: '10:00', resources: { timeLimit: '10:00' } }), '10:00');
  assert.equal(timeLimitText({ limit: 'NOT_SET', resources: {} }), 'NOT_SET');
  assert.equal(timeLimitText({ resources: {} }), undefined);
  const base = { ...OLD_RECORD, stage: 'cpt' as const, state: 'RUNNING' as const, resources: { gpusPerNode: 1 } };
  assert.equal(
    jobDescription({ ...base, limit: '365-00:00:00', node: 'vm' }),
    '#41 · RUNNING · 1:00:00 / no limit · on vm · 1.00 GPU-h',
  );
  assert.equal(
    jobDescription({ ...base, limit: 'UNLIMITED', node: 'vm' }),
    '#41 · RUNNING · 1:00:00 / no limit · on vm · 1.00 GPU-h',
  );
});
