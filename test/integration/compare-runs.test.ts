import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import { summarize } from '../../src/core/logs/runComparison';
import { readRun } from '../../src/core/logs/runLogs';
import { connection, type LoopbackCluster, loopbackCluster } from './cluster';

/** Compare Runs reads a finished run's script and log once over the loopback cluster's SFTP. */
let c: LoopbackCluster;
let conn: ClusterConnection;
const dir = () => `${c.home}/compare-runs-${process.pid}`;

before(() => {
  c = loopbackCluster();
  conn = connection(c);
});

after(async () => {
  await conn?.exec(['rm', '-rf', dir()]);
  conn?.dispose();
});

const megatron = (it: number, loss: string) =>
  ` [2026-11-26 23:00:00] iteration ${String(it).padStart(8)}/       2 | consumed samples: ${String(it * 4).padStart(12)} | elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 180.5 | learning rate: 1.000000E-04 | global batch size:     4 | lm loss: ${loss} | loss scale: 1.0 | grad norm: 0.500 | number of skipped iterations:   0 | number of nan iterations:   0 |`;

test('a CPT run and an SFT run: points, sequence length and summary from the files on the cluster', async () => {
  const sftp = await conn.files();
  await uploadAtomic(
    sftp,
    '#!/bin/bash\npython pretrain_gpt.py \\\n  --seq-length 2048 --max-position-embeddings 2048\n',
    `${dir()}/cpt/job.sbatch`,
  );
  await uploadAtomic(
    sftp,
    ['training ...', megatron(1, '6.500000E+00'), megatron(2, '4.250000E+00')].join('\n'),
    `${dir()}/cpt/slurm.log`,
  );
  await uploadAtomic(
    sftp,
    'python megatron_gpt_finetuning.py model.data.train_ds.max_seq_length=4096\n',
    `${dir()}/sft/job.sbatch`,
  );
  // NeMo's progress bar rewrites its line with \r; the log's last line has no newline.
  const bar = (step: number, loss: string) =>
    `Epoch 0: : ${step}it [00:00, 20.00it/s, reduced_train_loss=${loss}, global_step=${step - 1}.000, consumed_samples=${step * 64}.0]`;
  await uploadAtomic(sftp, `${bar(1, '1.600')}\r${bar(1, '1.500')}\r${bar(2, '0.750')}`, `${dir()}/sft/slurm.log`);

  const cpt = await readRun(conn, {
    id: 'cpt-1',
    study: 's',
    recipe: 'EnJa-Base',
    kind: 'cpt',
    script: `${dir()}/cpt/job.sbatch`,
    log: `${dir()}/cpt/slurm.log`,
    wallSeconds: 90,
    gpuHours: 0.2,
  });
  assert.equal(cpt.seqLength, 2048);
  assert.deepEqual(summarize(cpt), {
    id: 'cpt-1',
    label: 'EnJa-Base',
    iterations: 2,
    lastLoss: 4.25,
    bestLoss: 4.25,
    bestIteration: 2,
    tokensSeen: 8 * 2048,
    tflopsPerGpu: 180.5,
    wallSeconds: 90,
    gpuHours: 0.2,
  });
  const sft = await readRun(conn, {
    id: 'sft-1',
    study: 's',
    recipe: 'EnJa-Base',
    kind: 'sft',
    script: `${dir()}/sft/job.sbatch`,
    log: `${dir()}/sft/slurm.log`,
  });
  assert.equal(sft.seqLength, 4096);
  assert.deepEqual(sft.points, [
    { iteration: 1, consumedSamples: 64, lmLoss: 1.5 },
    { iteration: 2, consumedSamples: 128, lmLoss: 0.75 },
  ]);
  await assert.rejects(
    readRun(conn, { ...sft, script: `${dir()}/none/job.sbatch`, log: `${dir()}/none/slurm.log` }),
    /none\/job\.sbatch/,
  );
});
