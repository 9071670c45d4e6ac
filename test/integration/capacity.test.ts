import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Capacity, readCapacity } from '../../src/core/cluster/capacity';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { connection, type LoopbackCluster, loopbackCluster } from './cluster';

/** The Cluster view's one command against the loopback cluster's real Slurm, a drained node included. */
let c: LoopbackCluster;
let conn: ClusterConnection;
const NODE = hostname().split('.')[0];
const POLL_MS = 500;
const WAIT_MS = 30_000;

/** Slurm's admin side, as root on this machine (the cluster user cannot drain a node). */
const scontrol = (...args: string[]) =>
  execFileSync('scontrol', args, { encoding: 'utf8', env: { ...process.env, SLURM_CONF: c.slurmConf } });

async function sbatch(...args: string[]): Promise<string> {
  const r = await conn.exec(['sbatch', '--parsable', '--chdir=/tmp', '--output=/dev/null', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function until(what: string, ok: (cap: Capacity) => boolean): Promise<Capacity> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const cap = await readCapacity(conn);
    if (ok(cap)) return cap;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${WAIT_MS} ms: ${JSON.stringify(cap)}`);
    await sleep(POLL_MS);
  }
}

before(() => {
  c = loopbackCluster();
  conn = connection(c);
});

after(() => conn?.dispose());

test('the partition: 8 GPUs, allocations, pending jobs with reasons and estimated starts, a drained node', async () => {
  const jobs: string[] = [];
  let drainedHere = false;
  try {
    const idle = await until('an idle node', (cap) => cap.partitions[0]?.gpus.idle === 8);
    assert.equal(idle.user, c.user);
    assert.deepEqual(idle.partitions, [
      {
        name: 'gpu',
        available: 'up',
        nodes: { idle: 1, mixed: 0, allocated: 0, down: 0, total: 1 },
        gpus: { idle: 8, allocated: 0, down: 0, total: 8 },
        unavailable: [],
      },
    ]);
    assert.deepEqual(idle.problems, []);

    const running = await sbatch('--gres=gpu:3', '--time=5', '--job-name=cap-running', '--wrap=sleep 300');
    jobs.push(running);
    const mixed = await until('3 GPUs allocated', (cap) => cap.partitions[0]?.gpus.allocated === 3);
    assert.deepEqual(mixed.partitions[0].gpus, { idle: 5, allocated: 3, down: 0, total: 8 });
    assert.deepEqual(mixed.partitions[0].nodes, { idle: 0, mixed: 1, allocated: 0, down: 0, total: 1 });

    const big = await sbatch('--gres=gpu:8', '--time=10', '--job-name=cap big | 8', '--wrap=sleep 10');
    const dependent = await sbatch(
      '--gres=gpu:1',
      `--dependency=afterok:${big}`,
      '--job-name=cap-after',
      '--wrap=true',
    );
    jobs.push(big, dependent);
    // Its reason is None until the scheduler looks; the backfill scheduler (bf_interval=1) then estimates the 8-GPU job's start: when the running one's limit ends.
    const queued = await until('an estimated start', (cap) =>
      cap.pending.some((j) => j.jobId === big && j.reason === 'Resources' && j.estimatedStart),
    );
    const mine = queued.pending.filter((j) => j.mine);
    assert.deepEqual(
      mine.map((j) => [j.jobId, j.name, j.reason, j.gpus, j.partition, j.user]),
      [
        [big, 'cap big | 8', 'Resources', 8, 'gpu', c.user],
        [dependent, 'cap-after', 'Dependency', 1, 'gpu', c.user],
      ],
    );
    assert.match(mine[0].estimatedStart!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(mine[1].estimatedStart, undefined);

    scontrol('update', `NodeName=${NODE}`, 'State=DRAIN', 'Reason=corpus-lab capacity test');
    drainedHere = true;
    const draining = await until('a draining node', (cap) => cap.partitions[0]?.nodes.down === 1);
    assert.deepEqual(draining.partitions[0].gpus, { idle: 0, allocated: 3, down: 5, total: 8 });
    assert.deepEqual(draining.partitions[0].unavailable, [
      { node: NODE, state: 'draining', reason: 'corpus-lab capacity test', gpusAllocated: 3, gpus: 8 },
    ]);

    await conn.exec(['scancel', running]);
    const drained = await until('a drained node', (cap) => cap.partitions[0]?.unavailable[0]?.state === 'drained');
    assert.deepEqual(drained.partitions[0].gpus, { idle: 0, allocated: 0, down: 8, total: 8 });
    assert.deepEqual(drained.partitions[0].nodes, { idle: 0, mixed: 0, allocated: 0, down: 1, total: 1 });
    assert.deepEqual(drained.problems, []);
  } finally {
    // Slurm refuses RESUME for a node that is not drained or down.
    if (drainedHere) scontrol('update', `NodeName=${NODE}`, 'State=RESUME');
    if (jobs.length) await conn.exec(['scancel', ...jobs]);
  }
  const resumed = await until('the node back', (cap) => cap.partitions[0]?.nodes.down === 0);
  assert.equal(resumed.partitions[0].unavailable.length, 0);
});
