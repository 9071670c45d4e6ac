/**
 * Counting 1,000 Megatron shards on the cluster (here the loopback cluster of test/cluster/start.sh):
 * Corpus Lab's pipelined SFTP reads of index headers, against two ways scripts usually do it —
 * one `ssh host cmd` per shard (OpenSSH client, a connection each), and one command per shard on a
 * reused connection. All three in this run.
 *   npm run cluster:start && npm run bench:remote
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { countRemoteDatasets } from '../src/core/cluster/remoteDatasets';
import { uploadAtomic } from '../src/core/cluster/sftp';
import { encodeIndex } from '../src/core/megatron/indexedDataset';
import { connection, loopbackCluster } from '../test/integration/cluster';
import { report } from './timing';

const SHARDS = 1000;
const NAIVE_SSH_SAMPLE = 100;

async function main() {
  const c = loopbackCluster();
  const conn = connection(c, 'bench');
  const dir = `${c.home}/bench-shards`;
  const sftp = await conn.files();
  const prefixes = Array.from({ length: SHARDS }, (_, i) => `${dir}/shard_${String(i).padStart(4, '0')}`);
  const lengths = (i: number) => [1000 + i, 2000, 3000 + (i % 7)];
  const exists = (await conn.exec(['sh', '-c', `ls "$1" | wc -l`, 'sh', dir])).stdout.trim();
  if (exists !== String(2 * SHARDS)) {
    await conn.exec(['rm', '-rf', '--', dir]);
    await Promise.all(
      prefixes.map(async (p, i) => {
        const l = lengths(i);
        await uploadAtomic(sftp, encodeIndex(l, [0, l.length]), `${p}.idx`);
        await uploadAtomic(sftp, Buffer.alloc(2 * l.reduce((a, b) => a + b, 0)), `${p}.bin`);
      }),
    );
  }

  let t0 = performance.now();
  const counts = await countRemoteDatasets(sftp, prefixes);
  const ours = performance.now() - t0;
  counts.forEach((r, i) => {
    const want = lengths(i).reduce((a, b) => a + b, 0);
    if (!r.ok || r.info.tokens !== want) throw new Error(`wrong count for ${r.prefix}: ${JSON.stringify(r)}`);
  });

  // One command per shard on the reused connection: the shard's .bin size via stat.
  t0 = performance.now();
  for (const p of prefixes) await conn.exec(['stat', '-c', '%s', `${p}.bin`]);
  const perCommand = performance.now() - t0;

  // One OpenSSH client invocation per shard, on a sample, scaled to all shards.
  const ssh = [
    '-q',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${c.knownHosts}`,
    '-i',
    c.key,
    '-p',
    String(c.port),
    `${c.user}@${c.host}`,
  ];
  t0 = performance.now();
  for (const p of prefixes.slice(0, NAIVE_SSH_SAMPLE)) execFileSync('ssh', [...ssh, 'stat', '-c', '%s', `${p}.bin`]);
  const perSsh = ((performance.now() - t0) / NAIVE_SSH_SAMPLE) * SHARDS;
  conn.dispose();

  report(
    `Token counts of ${SHARDS} Megatron shards on the loopback cluster`,
    [
      ['pipelined SFTP (Corpus Lab)', ours],
      ['one command per shard, reused connection', perCommand],
      [`one ssh invocation per shard (${NAIVE_SSH_SAMPLE} timed, ×${SHARDS / NAIVE_SSH_SAMPLE})`, perSsh],
    ],
    `×${(perSsh / ours).toFixed(0)} faster than ssh per shard, ×${(perCommand / ours).toFixed(0)} faster than a command per shard; target ≤ 2000 ms and ≥ 20×: ${ours <= 2000 && perSsh / ours >= 20 ? 'met' : 'MISSED'}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
