import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type JobNode, JobTreeModel } from '../../src/core/jobs/jobTreeModel';
import type { JobRecord } from '../../src/core/jobs/registry';

function job(tag: string, patch: Partial<JobRecord> = {}): JobRecord {
  const runDir = `/h/corpus-lab/runs/${tag}`;
  return {
    tag,
    cluster: 'loopback',
    study: 's1',
    stage: 'cpt',
    model: tag,
    name: `s1/cpt/${tag}`,
    runDir,
    script: `${runDir}/job.sbatch`,
    log: `${runDir}/slurm.log`,
    dependsOn: [],
    jobId: '7',
    state: 'PENDING',
    reason: 'Priority',
    submittedAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    resources: { gpusPerNode: 2 },
    sbatch: [],
    ...patch,
  };
}

const ids = (nodes: readonly JobNode[]) => nodes.map((n) => n.id);
const tree = (m: JobTreeModel, node?: JobNode): unknown[] =>
  m.children(node).map((n) => (n.kind === 'job' ? n.id : { [n.id]: tree(m, n) }));

test('the Jobs tree: studies → stages → jobs with stable ids, and what each shows', () => {
  const m = new JobTreeModel();
  assert.equal(m.ready, false);
  const first = m.update([
    job('A'),
    job('B', { stage: 'eval' }),
    job('C', { study: 's0', submittedAt: '2026-11-25T10:00:00.000Z' }),
  ]);
  assert.deepEqual(first, { root: true, nodes: [] });
  assert.equal(m.ready, true);
  assert.deepEqual(tree(m), [
    { 'study:"s1"': [{ 'stage:["s1","cpt"]': ['job:A'] }, { 'stage:["s1","eval"]': ['job:B'] }] },
    { 'study:"s0"': [{ 'stage:["s0","cpt"]': ['job:C'] }] },
  ]);
  const [s1] = m.children();
  const [cpt] = m.children(s1);
  const [a] = m.children(cpt);
  assert.deepEqual(m.view(s1), {
    label: 's1',
    description: '0.00 GPU-hours',
    tooltip: ['s1: 0 completed, 2 not finished, 0.00 GPU-hours'],
    contextValue: 'study',
  });
  assert.deepEqual(m.view(cpt), {
    label: 'cpt',
    description: '0.00 GPU-hours',
    tooltip: ['0 completed, 1 not finished, 0.00 GPU-hours'],
    contextValue: 'stage',
  });
  assert.deepEqual(m.view(a), {
    label: 'A',
    description: '#7 · PENDING · (Priority)',
    tooltip: [
      '**s1/cpt/A**',
      'PENDING — Priority',
      'cluster: loopback · job 7',
      'tag: `A`',
      'log: `/h/corpus-lab/runs/A/slurm.log`',
    ],
    icon: 'pending',
    contextValue: 'job.pending.cpt',
  });
});

test('a poll redraws only what changed, on the same node objects; a job’s record is updated in place', () => {
  const m = new JobTreeModel();
  const jobs = [job('A'), job('B'), job('C', { stage: 'eval' })];
  m.update(jobs);
  const [s1] = m.children();
  const [cpt, evalStage] = m.children(s1);
  const [a, b] = m.children(cpt);
  assert.deepEqual(m.update(jobs.map((j) => ({ ...j }))), { root: false, nodes: [] }, 'nothing changed');

  // A waiting job's reason: only its own row.
  const waiting = [job('A', { reason: 'Resources' }), jobs[1], jobs[2]];
  assert.deepEqual(ids(m.update(waiting).nodes), ['job:A']);
  assert.equal(m.children(cpt)[0], a, 'the same node object');
  assert.equal(a.kind === 'job' && a.job.reason, 'Resources', 'its record replaced in place');

  // B starts running: its row, and the GPU-hours of its stage and study.
  const running = [waiting[0], job('B', { state: 'RUNNING', reason: undefined, elapsed: '1:00:00' }), jobs[2]];
  assert.deepEqual(ids(m.update(running).nodes), ['study:"s1"', 'stage:["s1","cpt"]', 'job:B']);
  assert.equal(m.view(b).description, '#7 · RUNNING · 1:00:00 · 2.00 GPU-h');
  assert.equal(m.view(s1).description, '2.00 GPU-hours');

  // A job added to a stage that exists: that stage (its children), not the whole tree.
  const added = [...running, job('D', { stage: 'eval', submittedAt: '2026-11-26T09:00:00.000Z' })];
  assert.deepEqual(ids(m.update(added).nodes), ['study:"s1"', 'stage:["s1","eval"]']);
  assert.deepEqual(ids(m.children(evalStage)), ['job:C', 'job:D']);
  assert.equal(m.children(cpt)[1], b);

  // A new study changes the top level: the whole tree, its old nodes kept.
  const withE = [...added, job('E', { study: 's2', submittedAt: '2026-11-27T10:00:00.000Z' })];
  const change = m.update(withE);
  assert.deepEqual(change, { root: true, nodes: [] });
  assert.deepEqual(ids(m.children()), ['study:"s2"', 'study:"s1"']);
  assert.equal(m.children()[1], s1);

  // A removed job leaves its stage's children; the node is gone.
  assert.deepEqual(ids(m.update(withE.filter((j) => j.tag !== 'D')).nodes), ['study:"s1"', 'stage:["s1","eval"]']);
  assert.throws(() => m.view({ kind: 'job', id: 'job:D', job: added[3] }), /no node job:D in the Jobs tree/);
});

test('a cluster that did not answer marks its live jobs stale, and only those', () => {
  const m = new JobTreeModel();
  const jobs = [
    job('A', { state: 'RUNNING', reason: undefined, elapsed: '0:10' }),
    job('B', { state: 'COMPLETED', reason: undefined }),
    job('C', { cluster: 'other', state: 'RUNNING', reason: undefined, elapsed: '0:10' }),
  ];
  m.update(jobs);
  const change = m.update(jobs, (c) => (c === 'loopback' ? 'stale since 10:00' : undefined));
  assert.deepEqual(ids(change.nodes), ['job:A']);
  const a = m.children(m.children(m.children()[0])[0])[0];
  assert.equal(m.view(a).icon, 'stale');
  assert.equal(m.view(a).description, '#7 · RUNNING · 0:10 · 0.0056 GPU-h · stale since 10:00');
  assert.equal(m.view(a).contextValue, 'job.running.cpt', 'its commands stay those of a running job');
});
