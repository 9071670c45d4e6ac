/**
 * Log parsing throughput, and memory while following a 1 GB Megatron log: the log is generated
 * chunk by chunk (never held whole), fed through the same splitter and parser the live follower
 * uses. One iteration line in 20, as in a training log with NCCL and timing noise between.
 *   npm run bench:logs
 */
import { performance } from 'node:perf_hooks';
import { LogLineSplitter, MegatronMetrics } from '../src/core/logs/megatronLog';
import { report } from './timing';

const TOTAL = Number(process.env.LOG_BYTES ?? 1 << 30);
const CHUNK = 64 * 1024;

function block(start: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    const it = start + i / 20;
    if (i % 20 === 0) {
      lines.push(
        ` [2024-06-01 12:00:00] iteration ${String(it).padStart(8)}/  100000 | consumed samples: ${String(it * 1024).padStart(12)} | elapsed time per iteration (ms): 12345.6 | throughput per GPU (TFLOP/s/GPU): 180.5 | learning rate: 1.000000E-04 | global batch size:  1024 | lm loss: 2.345678E+00 | loss scale: 1.0 | grad norm: 0.567 | number of skipped iterations:   0 | number of nan iterations:   0 |`,
      );
    } else {
      lines.push(
        `[rank${i % 8}]: NCCL INFO Channel ${i % 32}/32 : 0[0] -> 1[1] via P2P/IPC/read comm 0x55d5 rank ${i % 8} nranks 8 - Init COMPLETE`,
      );
    }
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

function main() {
  const sample = block(0);
  const splitter = new LogLineSplitter();
  const metrics = new MegatronMetrics();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let bytes = 0;
  let n = 0;
  const t0 = performance.now();
  while (bytes < TOTAL) {
    const b = n === 0 ? sample : block(n * 10);
    for (let o = 0; o < b.length; o += CHUNK) metrics.add(splitter.push(b.subarray(o, Math.min(b.length, o + CHUNK))));
    bytes += b.length;
    n++;
    if (n % 256 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ms = performance.now() - t0;
  // The same bytes generated without parsing: subtracted, so only parsing is timed.
  const g0 = performance.now();
  let g = 0;
  for (let k = 0; k < n; k++) g += block(k * 10).length;
  const gen = performance.now() - g0;
  const parseMs = ms - gen;
  const mbps = bytes / 1e6 / (parseMs / 1000);
  report(
    `Megatron log parsing, ${(bytes / 1e9).toFixed(2)} GB in ${CHUNK / 1024} KiB chunks`,
    [
      ['split + parse (generation time subtracted)', parseMs],
      ['generating the log alone', gen],
    ],
    `${mbps.toFixed(0)} MB/s (target ≥ 100); ${metrics.count} iterations kept; peak RSS +${((peak - rss0) / 1e6).toFixed(0)} MB over the run (${g === bytes ? 'same bytes' : 'MISMATCH'})`,
  );
}

main();
