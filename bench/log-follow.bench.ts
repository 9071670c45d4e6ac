/**
 * Following a 1 GB Megatron log on the cluster (the loopback cluster of test/cluster/start.sh):
 * LogFollower reads it from byte 0 over one `tail -F` channel, the parser keeps the iterations,
 * and the process's peak RSS is sampled throughout. The log is written on the cluster first.
 *   npm run cluster:start && npm run bench:follow
 */
import { performance } from 'node:perf_hooks';
import { LogFollower } from '../src/core/logs/logFollower';
import { MegatronMetrics } from '../src/core/logs/megatronLog';
import { connection, loopbackCluster } from '../test/integration/cluster';
import { report } from './timing';

const BYTES = Number(process.env.LOG_BYTES ?? 1e9);

async function main() {
  const c = loopbackCluster();
  const conn = connection(c, 'bench');
  const file = `${c.home}/bench-follow.log`;
  // One iteration line in 20, as a training log with NCCL noise between.
  const make = `awk -v n=${Math.ceil(BYTES / 2450)} 'BEGIN { for (b = 0; b < n; b++) { printf " [2024-06-01 12:00:00] iteration %8d/ 1000000 | consumed samples: %12d | elapsed time per iteration (ms): 12345.6 | throughput per GPU (TFLOP/s/GPU): 180.5 | learning rate: 1.000000E-04 | global batch size:  1024 | lm loss: 2.345678E+00 | loss scale: 1.0 | grad norm: 0.567 | number of skipped iterations:   0 | number of nan iterations:   0 |\\n", b, b * 1024; for (i = 1; i < 20; i++) printf "[rank%d]: NCCL INFO Channel %02d/32 : 0[0] -> 1[1] via P2P/IPC/read comm 0x55d5 rank %d nranks 8 - Init COMPLETE\\n", i % 8, i, i % 8 } }' > "$1"`;
  await conn.exec(['sh', '-c', make, 'sh', file]);
  const size = Number((await conn.exec(['stat', '-c', '%s', file])).stdout.trim());

  const metrics = new MegatronMetrics();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const follower = new LogFollower(conn, file, { offset: 0 });
  let lines = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    follower.on('lines', (l: string[]) => {
      lines += l.length;
      metrics.add(l);
      if (follower.offset >= size) resolve();
    });
    void follower.start();
  });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  follower.stop();
  await conn.exec(['rm', '-f', file]);
  conn.dispose();
  report(
    `Following a ${(size / 1e9).toFixed(2)} GB log over SSH (tail -F on one channel) and parsing it`,
    [['whole log received and parsed', ms]],
    `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s; ${lines} lines, ${metrics.count} iterations kept; peak RSS +${((peak - rss0) / 1e6).toFixed(0)} MB`,
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
