/**
 * Inspect Dataset at scale: the length distribution of a 10-million-document Megatron dataset
 * (its index: 40 MB of lengths, 80 MB of pointers, 80 MB of document indices; the lengths and
 * document indices, 120 MB, are read) locally and over SFTP from the loopback cluster, each in a
 * child process whose peak memory is reported — at 1 M, 10 M and 30 M documents, to show that it does
 * not grow with the dataset (`BENCH_INSPECT_SIZES=10000000,100000000` adds a 2 GB index). Then 100
 * sampled documents decoded with a SentencePiece model.
 *   npm run bench:inspect            (the remote rows need the loopback cluster: npm run cluster:start)
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { openRemoteDataset } from '../src/core/cluster/sftpRangeReader';
import {
  closeDataset,
  inspectDataset,
  type OpenedDataset,
  openLocalDataset,
} from '../src/core/megatron/datasetInspection';
import { HEADER_BYTES, INDEX_MAGIC } from '../src/core/megatron/indexedDataset';
import { lengthDistribution } from '../src/core/megatron/inspect';
import { loadTokenizer } from '../src/core/tokenizers/decoder';
import { CLUSTER_DIR, connection, loopbackCluster } from '../test/integration/cluster';
import { buildSentencePieceFixture, writeMegatronDataset } from '../test/unit/inspectFixture';

/** 30 M shows the peak has stopped growing; `BENCH_INSPECT_SIZES=1000000,10000000` for a shorter run. */
const SIZES = (process.env.BENCH_INSPECT_SIZES ?? '1000000,10000000,30000000').split(',').map(Number);

/** A deterministic spread of lengths from 1 to about 30,000 tokens (log-uniform-ish), as web corpora have. */
function lengthOf(i: number): number {
  const u = (Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32;
  return Math.max(1, Math.round(Math.exp(u * 10.3)));
}

/** Writes the index in 4 MiB pieces (the benchmark's own memory stays small) and a sparse .bin of the right size. */
async function writeBigDataset(prefix: string, docs: number): Promise<number> {
  if (existsSync(`${prefix}.idx`) && existsSync(`${prefix}.done`))
    return Number(readFileSync(`${prefix}.done`, 'utf8'));
  const out = createWriteStream(`${prefix}.idx`);
  const write = async (b: Buffer) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  const head = Buffer.alloc(HEADER_BYTES);
  let o = INDEX_MAGIC.copy(head, 0);
  o = head.writeBigUInt64LE(1n, o);
  o = head.writeUInt8(8, o);
  o = head.writeBigUInt64LE(BigInt(docs), o);
  head.writeBigUInt64LE(BigInt(docs + 1), o);
  await write(head);
  const CH = 1 << 20;
  let tokens = 0;
  for (let s = 0; s < docs; s += CH) {
    const n = Math.min(CH, docs - s);
    const b = Buffer.alloc(4 * n);
    for (let i = 0; i < n; i++) b.writeInt32LE(lengthOf(s + i), 4 * i);
    await write(b);
  }
  for (let s = 0; s < docs; s += CH) {
    const n = Math.min(CH, docs - s);
    const b = Buffer.alloc(8 * n);
    for (let i = 0; i < n; i++) {
      b.writeBigInt64LE(BigInt(2 * tokens), 8 * i);
      tokens += lengthOf(s + i);
    }
    await write(b);
  }
  for (let s = 0; s <= docs; s += CH) {
    const n = Math.min(CH, docs + 1 - s);
    const b = Buffer.alloc(8 * n);
    for (let i = 0; i < n; i++) b.writeBigInt64LE(BigInt(s + i), 8 * i);
    await write(b);
  }
  out.end();
  await once(out, 'finish');
  writeFileSync(`${prefix}.bin`, '');
  truncateSync(`${prefix}.bin`, 2 * tokens);
  writeFileSync(`${prefix}.done`, String(tokens));
  return tokens;
}

/**
 * This process's own peak RSS (VmHWM). Not getrusage's maxRSS: Linux carries that over from the
 * forked parent across exec, so a child of a parent that had grown (writing the 30 M index) starts
 * at the parent's peak and shows no growth at all.
 */
function peakRssKiB(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('no VmHWM in /proc/self/status');
  return Number(m[1]);
}

/**
 * The child: one distribution, its time, and the growth of its peak RSS — the connection and the
 * opening of the files apart (the SSH session and its crypto, paid once per cluster, whatever the
 * dataset), then the distribution's own growth over that. Garbage collections are counted: the
 * SFTP replies ssh2 allocates are collected when V8's external-memory limit is reached, so the peak
 * stops growing once that much has been read.
 */
async function child(where: string, prefix: string) {
  const rss0 = peakRssKiB();
  let conn;
  let d: OpenedDataset;
  if (where === 'remote') {
    conn = connection(loopbackCluster(), 'bench');
    d = await openRemoteDataset(await conn.files(), prefix, 'loopback');
  } else d = await openLocalDataset(prefix);
  const rss1 = peakRssKiB();
  let majorGcs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
  });
  gcs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const dist = await lengthDistribution(d.idx, d.bin.size, d.bin.file);
  const ms = performance.now() - t0;
  const rss2 = peakRssKiB();
  await closeDataset(d);
  conn?.dispose();
  // GC entries arrive asynchronously; let the last ones in.
  await new Promise((r) => setTimeout(r, 50));
  gcs.disconnect();
  process.stdout.write(
    JSON.stringify({
      ms,
      openMB: (rss1 - rss0) / 1024,
      rssGrowthMB: (rss2 - rss1) / 1024,
      majorGcs,
      documents: dist.documents,
      tokens: dist.tokens,
      p50: dist.percentiles.find((p) => p.p === 50)?.tokens,
    }),
  );
}

interface Row {
  ms: number;
  openMB: number;
  rssGrowthMB: number;
  majorGcs: number;
  documents: number;
  tokens: number;
  p50: number;
}

function measure(where: string, prefix: string): Row {
  return JSON.parse(
    execFileSync(process.execPath, [__filename, '--child', where, prefix], { encoding: 'utf8', maxBuffer: 1 << 20 }),
  ) as Row;
}

async function main() {
  const cluster = existsSync(`${CLUSTER_DIR}/cluster.env`) ? loopbackCluster() : undefined;
  // On the cluster user's home when there is one, so the same files are read locally and over SFTP.
  const dir = cluster ? `${cluster.home}/bench-inspect` : mkdtempSync(path.join(tmpdir(), 'corpus-lab-bench-'));
  mkdirSync(dir, { recursive: true });
  if (cluster) execFileSync('chown', ['-R', `${cluster.user}:`, dir]);
  console.log('\n## Length distribution of a Megatron dataset (child process per row; peak RSS growth over its start)');
  for (const docs of SIZES) {
    const prefix = path.join(dir, `docs_${docs}`);
    const tokens = await writeBigDataset(prefix, docs);
    if (cluster) execFileSync('chown', ['-R', `${cluster.user}:`, dir]);
    const idxMB = statSync(`${prefix}.idx`).size / 1e6;
    for (const where of cluster ? ['local', 'remote'] : ['local']) {
      const r = measure(where, prefix);
      if (r.documents !== docs || r.tokens !== tokens) throw new Error(`wrong numbers: ${JSON.stringify(r)}`);
      const target =
        where === 'remote' && docs === 10_000_000 ? `  (target ≤ 3000 ms: ${r.ms <= 3000 ? 'met' : 'MISSED'})` : '';
      console.log(
        `  ${where.padEnd(6)} ${String(docs).padStart(10)} documents, .idx ${idxMB.toFixed(0)} MB: ${r.ms.toFixed(0).padStart(6)} ms, peak RSS +${r.rssGrowthMB.toFixed(0)} MB (opening +${r.openMB.toFixed(0)} MB; ${r.majorGcs} major GCs), p50 ${r.p50} tokens${target}`,
      );
    }
  }
  if (!cluster) console.log('  (no loopback cluster: remote rows skipped; npm run cluster:start)');

  // Decoding: 100 documents drawn from 20,000 real SentencePiece-encoded ones.
  const spmDir = mkdtempSync(path.join(tmpdir(), 'corpus-lab-bench-spm-'));
  const fx = buildSentencePieceFixture(spmDir);
  const all = fx.sources.flatMap((s) => s.ids);
  const docs = Array.from({ length: 20_000 }, (_, i) => all[i % all.length]);
  const prefix = path.join(dir, 'decoded');
  writeMegatronDataset(prefix, docs);
  if (cluster) execFileSync('chown', ['-R', `${cluster.user}:`, dir]);
  const decoder = await loadTokenizer(readFileSync(fx.model), fx.model);
  console.log('\n## 100 sampled documents read and decoded (SentencePiece, WebAssembly), median of 5 seeds');
  const rows: [string, () => Promise<OpenedDataset>, () => void][] = [
    ['local', () => openLocalDataset(prefix), () => undefined],
  ];
  if (cluster) {
    const conn = connection(cluster, 'bench');
    const sftp = await conn.files();
    rows.push(['remote', () => openRemoteDataset(sftp, prefix, 'loopback'), () => conn.dispose()]);
  }
  for (const [where, open, done] of rows) {
    const d = await open();
    const distribution = await lengthDistribution(d.idx, d.bin.size, d.bin.file);
    const times: number[] = [];
    for (let seed = 0; seed < 6; seed++) {
      const t0 = performance.now();
      const r = await inspectDataset(d, { choice: { kind: 'random', count: 100, seed }, decoder, distribution });
      if (seed > 0) times.push(performance.now() - t0); // seed 0 warms up
      if (r.samples.length !== 100 || r.samples.some((s) => !s.text)) throw new Error('not all decoded');
    }
    await closeDataset(d);
    done();
    times.sort((a, b) => a - b);
    console.log(
      `  ${where.padEnd(6)} ${times[2].toFixed(1).padStart(7)} ms (runs ${times.map((t) => t.toFixed(0)).join(', ')}; target ≤ 200 ms: ${times[2] <= 200 ? 'met' : 'MISSED'})`,
    );
  }
  rmSync(spmDir, { recursive: true, force: true });
}

if (process.argv[2] === '--child')
  child(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
