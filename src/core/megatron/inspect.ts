import { mulberry32 } from '../analysis/correlation';
import {
  expectedIndexBytes,
  HEADER_BYTES,
  IndexedDatasetError,
  type IndexHeader,
  parseIndexHeader,
} from './indexedDataset';
import type { RangeReader } from './rangeReader';

/**
 * What is inside a Megatron indexed dataset: the distribution of its document lengths, read from
 * the `.idx` alone, and single documents' tokens, read from the `.bin` by their byte ranges.
 *
 * A document is the run of sequences between two consecutive document indices; its length is the
 * sum of their lengths. Only the lengths and the document indices are streamed (the pointers, the
 * other 8 bytes per sequence, are not needed for lengths), in windows of fixed size, so memory does
 * not grow with the dataset.
 */

/** Sequences per window of the lengths stream and documents per window of the document indices. */
const WINDOW = 1 << 17;
/** Windows read ahead while one is summed: keeps SFTP requests in flight across a window's end. */
const READ_AHEAD = 6;
/** Lengths below this are counted exactly; above, in geometric bins 1 + 2⁻¹⁰ wide (percentiles within 0.1 %). */
export const EXACT_LENGTHS = 1 << 16;
const GEOMETRIC_STEP = Math.log1p(1 / 1024);
/** The histogram shown: four bins per doubling of the length. */
export const BINS_PER_OCTAVE = 4;
export const PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99] as const;
const EXTREMES = 5;

export interface HistogramBin {
  /** Lengths in [lower, upper); the first bin is the empty documents, [0, 1). */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

export interface Percentile {
  readonly p: number;
  readonly tokens: number;
  /** False above `EXACT_LENGTHS`: then `tokens` is the lower edge of a bin 0.1 % wide. */
  readonly exact: boolean;
}

export interface DocumentLength {
  readonly document: number;
  readonly tokens: number;
}

export interface LengthDistribution {
  readonly documents: number;
  readonly sequences: number;
  readonly tokens: number;
  readonly dtype: string;
  readonly meanTokens: number | null;
  readonly histogram: readonly HistogramBin[];
  readonly percentiles: readonly Percentile[];
  readonly shortest: readonly DocumentLength[];
  readonly longest: readonly DocumentLength[];
}

export async function readHeader(idx: RangeReader): Promise<IndexHeader> {
  const header = parseIndexHeader(await idx.read(0, Math.min(HEADER_BYTES, idx.size)), idx.file);
  const expected = expectedIndexBytes(header);
  if (idx.size !== expected)
    throw new IndexedDatasetError(
      idx.file,
      `size ${idx.size} bytes, but its header describes ${expected} (${header.sequences} sequences, ${header.documentCount} document indices)`,
    );
  return header;
}

/** Byte offsets of the three arrays that follow the header. */
export function arrayOffsets(h: IndexHeader): { lengths: number; pointers: number; documents: number } {
  const lengths = HEADER_BYTES;
  const pointers = lengths + 4 * h.sequences;
  return { lengths, pointers, documents: pointers + 8 * h.sequences };
}

/**
 * Fixed-size windows of an array in a file, read ahead so the next is arriving while one is used.
 * A window's buffer is reused once the caller asks for the next one, so READ_AHEAD + 1 buffers serve
 * the whole array.
 */
async function* windows(
  r: RangeReader,
  start: number,
  count: number,
  itemBytes: number,
): AsyncGenerator<{ first: number; data: Buffer }> {
  const free: Buffer[] = [];
  const pending: { first: number; into: Buffer; data: Promise<Buffer> }[] = [];
  let next = 0;
  const ask = () => {
    const n = Math.min(WINDOW, count - next);
    const into = free.pop() ?? Buffer.allocUnsafe(WINDOW * itemBytes);
    pending.push({ first: next, into, data: r.read(start + next * itemBytes, n * itemBytes, into) });
    next += n;
  };
  try {
    while (next < count && pending.length < READ_AHEAD) ask();
    while (pending.length > 0) {
      const w = pending.shift()!;
      const data = await w.data;
      if (next < count) ask();
      yield { first: w.first, data };
      free.push(w.into);
    }
  } finally {
    // Reads already asked for settle on their own; their errors are not this caller's any more.
    for (const p of pending) p.data.catch(() => undefined);
  }
}

class Tally {
  readonly exact = new Float64Array(EXACT_LENGTHS);
  readonly geometric = new Map<number, number>();
  /** Histogram bins of the lengths counted geometrically; those below EXACT_LENGTHS are binned from `exact` at the end. */
  readonly longBins = new Map<number, number>();
  readonly shortest: DocumentLength[] = [];
  readonly longest: DocumentLength[] = [];
  documents = 0;
  tokens = 0;

  add(document: number, len: number) {
    this.documents++;
    this.tokens += len;
    if (len < EXACT_LENGTHS) this.exact[len]++;
    else {
      const g = Math.floor(Math.log(len) / GEOMETRIC_STEP);
      this.geometric.set(g, (this.geometric.get(g) ?? 0) + 1);
      const bin = Math.floor(BINS_PER_OCTAVE * Math.log2(len));
      this.longBins.set(bin, (this.longBins.get(bin) ?? 0) + 1);
    }
    // Ties keep the earliest document: a later one replaces only a strictly shorter or longer one.
    if (this.shortest.length < EXTREMES || len < this.shortest[this.shortest.length - 1].tokens)
      insert(this.shortest, { document, tokens: len }, (a, b) => a.tokens - b.tokens || a.document - b.document);
    if (this.longest.length < EXTREMES || len > this.longest[this.longest.length - 1].tokens)
      insert(this.longest, { document, tokens: len }, (a, b) => b.tokens - a.tokens || a.document - b.document);
  }

  percentile(p: number): Percentile {
    const rank = Math.max(1, Math.ceil((p / 100) * this.documents));
    let seen = 0;
    for (let v = 0; v < EXACT_LENGTHS; v++) {
      seen += this.exact[v];
      if (seen >= rank) return { p, tokens: v, exact: true };
    }
    for (const g of [...this.geometric.keys()].sort((a, b) => a - b)) {
      seen += this.geometric.get(g)!;
      if (seen >= rank)
        return { p, tokens: Math.max(EXACT_LENGTHS, Math.ceil(Math.exp(g * GEOMETRIC_STEP))), exact: false };
    }
    throw new Error('unreachable: rank beyond the documents counted');
  }

  histogram(): HistogramBin[] {
    const bins = new Map(this.longBins);
    for (let v = 0; v < EXACT_LENGTHS; v++) {
      if (this.exact[v] === 0) continue;
      const b = v === 0 ? -1 : Math.floor(BINS_PER_OCTAVE * Math.log2(v));
      bins.set(b, (bins.get(b) ?? 0) + this.exact[v]);
    }
    return [...bins.keys()]
      .sort((a, b) => a - b)
      .map((b) =>
        b < 0
          ? { lower: 0, upper: 1, count: bins.get(b)! }
          : {
              lower: Math.ceil(2 ** (b / BINS_PER_OCTAVE)),
              upper: Math.ceil(2 ** ((b + 1) / BINS_PER_OCTAVE)),
              count: bins.get(b)!,
            },
      );
  }
}

function insert(list: DocumentLength[], item: DocumentLength, order: (a: DocumentLength, b: DocumentLength) => number) {
  let i = list.length;
  while (i > 0 && order(item, list[i - 1]) < 0) i--;
  list.splice(i, 0, item);
  if (list.length > EXTREMES) list.pop();
}

/**
 * The length distribution of every document, from the index. `binSize` is the `.bin`'s size, which
 * must hold exactly the tokens the lengths add up to.
 */
export async function lengthDistribution(
  idx: RangeReader,
  binSize: number,
  binFile: string,
): Promise<LengthDistribution> {
  const h = await readHeader(idx);
  const at = arrayOffsets(h);
  const tally = new Tally();
  const lengths = windows(idx, at.lengths, h.sequences, 4);
  let lenWin: { first: number; data: Buffer } | undefined;
  let lenView: DataView | undefined;
  let seq = 0;
  let previous = -1;
  for await (const w of windows(idx, at.documents, h.documentCount, 8)) {
    const view = new DataView(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    const n = w.data.byteLength / 8;
    for (let i = 0; i < n; i++) {
      const k = w.first + i;
      const lo = view.getUint32(8 * i, true);
      const hi = view.getInt32(8 * i + 4, true);
      if (hi < 0 || hi >= 1 << 21)
        throw new IndexedDatasetError(idx.file, `document index ${k} is ${hi < 0 ? 'negative' : 'implausibly large'}`);
      const boundary = hi * 2 ** 32 + lo;
      if (k === 0) {
        if (boundary !== 0)
          throw new IndexedDatasetError(idx.file, `the first document index is ${boundary}, expected 0`);
        previous = 0;
        continue;
      }
      if (boundary < previous)
        throw new IndexedDatasetError(
          idx.file,
          `document index ${k} is ${boundary}, below the previous one (${previous})`,
        );
      if (boundary > h.sequences)
        throw new IndexedDatasetError(
          idx.file,
          `document index ${k} is ${boundary}, beyond the ${h.sequences} sequences`,
        );
      let sum = 0;
      while (seq < boundary) {
        if (!lenWin || seq >= lenWin.first + lenWin.data.byteLength / 4) {
          const r = await lengths.next();
          if (r.done) throw new IndexedDatasetError(idx.file, 'the sequence lengths ended early');
          lenWin = r.value;
          lenView = new DataView(lenWin.data.buffer, lenWin.data.byteOffset, lenWin.data.byteLength);
        }
        const len = lenView!.getInt32(4 * (seq - lenWin.first), true);
        if (len < 0) throw new IndexedDatasetError(idx.file, `sequence ${seq} has a negative length ${len}`);
        sum += len;
        seq++;
      }
      tally.add(k - 1, sum);
      previous = boundary;
    }
  }
  await lengths.return(undefined);
  if (previous !== h.sequences)
    throw new IndexedDatasetError(
      idx.file,
      `last document index is ${previous}, expected the sequence count ${h.sequences}`,
    );
  if (binSize !== tally.tokens * h.itemSize) {
    throw new IndexedDatasetError(
      binFile,
      `size ${binSize} bytes disagrees with the index: ${tally.tokens} tokens × ${h.itemSize} bytes (${h.dtype}) = ${tally.tokens * h.itemSize}`,
    );
  }
  return {
    documents: tally.documents,
    sequences: h.sequences,
    tokens: tally.tokens,
    dtype: h.dtype,
    meanTokens: tally.documents > 0 ? tally.tokens / tally.documents : null,
    histogram: tally.histogram(),
    percentiles: tally.documents > 0 ? PERCENTILES.map((p) => tally.percentile(p)) : [],
    shortest: tally.shortest,
    longest: tally.longest,
  };
}

export interface DocumentTokens {
  readonly document: number;
  /** Token ids in file order. */
  readonly ids: readonly number[];
  /** Byte range in the `.bin`: [start, end). */
  readonly byteStart: number;
  readonly byteEnd: number;
}

/** The tokens of one document: its sequences' lengths and first pointer from the index, then its bytes from the `.bin`. */
export async function readDocument(
  idx: RangeReader,
  h: IndexHeader,
  bin: RangeReader,
  document: number,
): Promise<DocumentTokens> {
  const documents = h.documentCount - 1;
  if (!Number.isInteger(document) || document < 0 || document >= documents)
    throw new IndexedDatasetError(
      idx.file,
      `document ${document} does not exist (the dataset has ${documents}, numbered 0–${documents - 1})`,
    );
  const at = arrayOffsets(h);
  const bounds = await idx.read(at.documents + 8 * document, 16);
  const first = Number(bounds.readBigInt64LE(0));
  const last = Number(bounds.readBigInt64LE(8));
  if (first < 0 || last < first || last > h.sequences)
    throw new IndexedDatasetError(
      idx.file,
      `document ${document} spans sequences ${first}–${last}, outside 0–${h.sequences}`,
    );
  let tokens = 0;
  let byteStart = 0;
  if (last > first) {
    const [lens, pointer] = await Promise.all([
      idx.read(at.lengths + 4 * first, 4 * (last - first)),
      idx.read(at.pointers + 8 * first, 8),
    ]);
    for (let i = 0; i < last - first; i++) {
      const len = lens.readInt32LE(4 * i);
      if (len < 0) throw new IndexedDatasetError(idx.file, `sequence ${first + i} has a negative length ${len}`);
      tokens += len;
    }
    byteStart = Number(pointer.readBigInt64LE(0));
  }
  const byteEnd = byteStart + tokens * h.itemSize;
  if (byteStart < 0 || byteEnd > bin.size)
    throw new IndexedDatasetError(
      bin.file,
      `document ${document} lies at bytes ${byteStart}–${byteEnd}, beyond the file's ${bin.size} bytes`,
    );
  const bytes = tokens > 0 ? await bin.read(byteStart, byteEnd - byteStart) : Buffer.alloc(0);
  return { document, ids: tokenIds(bytes, h.dtypeCode), byteStart, byteEnd };
}

function tokenIds(b: Buffer, dtypeCode: number): number[] {
  const out: number[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const step = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 8, 7: 4, 8: 2 }[dtypeCode]!;
  for (let o = 0; o < b.byteLength; o += step) {
    switch (dtypeCode) {
      case 1:
        out.push(view.getUint8(o));
        break;
      case 2:
        out.push(view.getInt8(o));
        break;
      case 3:
        out.push(view.getInt16(o, true));
        break;
      case 4:
        out.push(view.getInt32(o, true));
        break;
      case 5:
        out.push(Number(view.getBigInt64(o, true)));
        break;
      case 6:
        out.push(view.getFloat64(o, true));
        break;
      case 7:
        out.push(view.getFloat32(o, true));
        break;
      case 8:
        out.push(view.getUint16(o, true));
        break;
    }
  }
  return out;
}

export type SampleChoice =
  | { readonly kind: 'indices'; readonly indices: readonly number[] }
  | { readonly kind: 'first' | 'last'; readonly count: number }
  | { readonly kind: 'random'; readonly count: number; readonly seed: number };

/** The document numbers a choice names, ascending; a random sample is drawn without replacement (Floyd's algorithm) from the seed. */
export function sampleDocuments(choice: SampleChoice, documents: number): number[] {
  switch (choice.kind) {
    case 'indices':
      return [...new Set(choice.indices)].sort((a, b) => a - b);
    case 'first':
      return Array.from({ length: Math.min(choice.count, documents) }, (_, i) => i);
    case 'last': {
      const n = Math.min(choice.count, documents);
      return Array.from({ length: n }, (_, i) => documents - n + i);
    }
    case 'random': {
      const n = Math.min(choice.count, documents);
      const next = mulberry32(choice.seed);
      const picked = new Set<number>();
      for (let j = documents - n; j < documents; j++) {
        const t = Math.floor(next() * (j + 1));
        picked.add(picked.has(t) ? j : t);
      }
      return [...picked].sort((a, b) => a - b);
    }
  }
}
