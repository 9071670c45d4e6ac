import { pathArg } from '../cluster/shellQuote';
import type { ClusterTransport } from '../cluster/transport';
import { parseIterationLine } from '../logs/megatronLog';
import type { JobRecord } from './registry';

/** The last bytes of a log that are read: a few hundred iterations of Megatron's lines. */
const TAIL_BYTES = 1 << 20;

/**
 * The TFLOP/s per GPU that finished continued-pretraining runs sustained, from the throughput
 * Megatron logs with each iteration (`--log-throughput`): the mean over the tail of each log, for
 * the most recent runs. Runs whose logs carry no throughput are left out.
 */
export async function throughputOfRuns(
  conn: Pick<ClusterTransport, 'exec'>,
  jobs: readonly JobRecord[],
  max = 5,
): Promise<{ name: string; tflopsPerGpu: number }[]> {
  const finished = jobs
    .filter((j) => j.stage === 'cpt' && j.state === 'COMPLETED')
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    .slice(0, max);
  const out: { name: string; tflopsPerGpu: number }[] = [];
  for (const j of finished) {
    const r = await conn.exec(['tail', '-c', String(TAIL_BYTES), pathArg(j.log)]).catch(() => undefined);
    if (r?.code !== 0) continue;
    const values = r.stdout
      .split('\n')
      .map(parseIterationLine)
      .map((m) => m?.tflopsPerGpu)
      .filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
    if (values.length) out.push({ name: j.name, tflopsPerGpu: values.reduce((a, b) => a + b, 0) / values.length });
  }
  return out;
}
