import { readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { describeFsError, openRegular } from '../regularFile';

/**
 * Megatron-LM's indexed dataset (`MMapIndexedDataset`): a `.idx` index beside a `.bin` of tokens.
 * The index is: magic `MMIDIDX\0\0`, uint64 version (1), uint8 dtype code, uint64 sequence count,
 * uint64 document count, int32 sequence lengths, int64 sequence pointers, int64 document indices,
 * all little-endian. The document indices start with a sentinel 0, so documents = count − 1.
 */
export const INDEX_MAGIC = Buffer.from('MMIDIDX\x00\x00', 'latin1');
export const HEADER_BYTES = INDEX_MAGIC.length + 8 + 1 + 8 + 8;

export const DTYPES: Readonly<Record<number, { name: string; size: number }>> = {
  1: { name: 'uint8', size: 1 },
  2: { name: 'int8', size: 1 },
  3: { name: 'int16', size: 2 },
  4: { name: 'int32', size: 4 },
  5: { name: 'int64', size: 8 },
  6: { name: 'float64', size: 8 },
  7: { name: 'float32', size: 4 },
  8: { name: 'uint16', size: 2 },
};

export interface IndexHeader {
  readonly version: number;
  readonly dtypeCode: number;
  readonly dtype: string;
  readonly itemSize: number;
  readonly sequences: number;
  readonly documentCount: number;
}

export interface IndexedDatasetInfo {
  readonly prefix: string;
  readonly tokens: number;
  readonly documents: number;
  readonly sequences: number;
  readonly dtype: string;
}

export class IndexedDatasetError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'IndexedDatasetError';
  }
}

/** Parses the fixed-size header; `file` only names the culprit in errors. */
export function parseIndexHeader(buf: Uint8Array, file: string): IndexHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < INDEX_MAGIC.length || !b.subarray(0, INDEX_MAGIC.length).equals(INDEX_MAGIC)) {
    throw new IndexedDatasetError(
      file,
      'not a Megatron indexed dataset index (wrong magic; expected "MMIDIDX\\x00\\x00")',
    );
  }
  if (b.length < HEADER_BYTES)
    throw new IndexedDatasetError(file, `truncated header: ${b.length} of ${HEADER_BYTES} bytes`);
  let o = INDEX_MAGIC.length;
  const version = b.readBigUInt64LE(o);
  o += 8;
  if (version !== 1n)
    throw new IndexedDatasetError(file, `unsupported index version ${version} (only version 1 is known)`);
  const dtypeCode = b.readUInt8(o);
  o += 1;
  const dtype = DTYPES[dtypeCode];
  if (!dtype) throw new IndexedDatasetError(file, `unknown dtype code ${dtypeCode} (known: 1–8)`);
  const sequences = toSafe(b.readBigUInt64LE(o), file, 'sequence count');
  o += 8;
  const documentCount = toSafe(b.readBigUInt64LE(o), file, 'document count');
  if (documentCount < 1)
    throw new IndexedDatasetError(
      file,
      'document count is 0; a valid index holds at least the leading 0 document index',
    );
  return { version: 1, dtypeCode, dtype: dtype.name, itemSize: dtype.size, sequences, documentCount };
}

function toSafe(v: bigint, file: string, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new IndexedDatasetError(file, `${what} ${v} is implausibly large`);
  return Number(v);
}

/** Bytes an index with this header must have: header, lengths, pointers, document indices. */
export function expectedIndexBytes(h: IndexHeader): number {
  return HEADER_BYTES + 4 * h.sequences + 8 * h.sequences + 8 * h.documentCount;
}

/** The index's size must be exactly what its header describes. */
function checkIndexSize(h: IndexHeader, size: number, file: string) {
  const expected = expectedIndexBytes(h);
  if (size < expected)
    throw new IndexedDatasetError(
      file,
      `truncated index: ${size} bytes, expected ${expected} for ${h.sequences} sequences and ${h.documentCount} document indices`,
    );
  if (size > expected)
    throw new IndexedDatasetError(
      file,
      `index has ${size - expected} trailing bytes beyond the ${expected} its header describes`,
    );
}

/** The document indices end with the sequence count. */
function checkLastDocumentIndex(h: IndexHeader, last: number | bigint, file: string) {
  if (Number(last) !== h.sequences)
    throw new IndexedDatasetError(file, `last document index is ${last}, expected the sequence count ${h.sequences}`);
}

/** The `.bin` holds exactly the tokens the index describes. */
function checkBinSize(h: IndexHeader, tokens: number, binSize: number, file: string) {
  if (binSize !== tokens * h.itemSize) {
    throw new IndexedDatasetError(
      file,
      `size ${binSize} bytes disagrees with the index: ${tokens} tokens × ${h.itemSize} bytes (${h.dtype}) = ${tokens * h.itemSize}`,
    );
  }
}

/** Sums the int32 sequence lengths of a chunk; negative lengths are corruption. */
export function sumSequenceLengths(chunk: Uint8Array, file: string): number {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let sum = 0;
  for (let i = 0; i + 4 <= chunk.byteLength; i += 4) {
    const len = view.getInt32(i, true);
    if (len < 0) throw new IndexedDatasetError(file, `negative sequence length ${len}`);
    sum += len;
  }
  return sum;
}

const CHUNK = 1 << 22;

/**
 * Reads the token count of the dataset at `prefix` (path without `.idx`/`.bin`). Only the header and
 * the sequence lengths are read, in 4 MiB chunks, so a multi-gigabyte index costs no more memory than
 * a small one. The count is cross-checked against the `.bin` size and the last document index.
 */
export async function readIndexedDataset(prefix: string): Promise<IndexedDatasetInfo> {
  const idxFile = `${prefix}.idx`;
  const binFile = `${prefix}.bin`;
  let handle;
  try {
    handle = await openRegular(idxFile);
  } catch (e) {
    throw new IndexedDatasetError(idxFile, describeFsError(e));
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(HEADER_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const header = parseIndexHeader(head, idxFile);
    checkIndexSize(header, size, idxFile);

    let tokens = 0;
    const buf = Buffer.alloc(Math.min(CHUNK, 4 * header.sequences));
    for (let done = 0; done < 4 * header.sequences; ) {
      const want = Math.min(buf.length, 4 * header.sequences - done);
      const { bytesRead } = await handle.read(buf, 0, want, HEADER_BYTES + done);
      if (bytesRead !== want) throw new IndexedDatasetError(idxFile, 'index shrank while being read');
      tokens += sumSequenceLengths(buf.subarray(0, want), idxFile);
      done += want;
    }

    const last = Buffer.alloc(8);
    await handle.read(last, 0, 8, size - 8);
    checkLastDocumentIndex(header, last.readBigInt64LE(0), idxFile);

    let binSize: number;
    try {
      const bin = await stat(binFile);
      if (!bin.isFile()) throw new IndexedDatasetError(binFile, 'is not a regular file');
      binSize = bin.size;
    } catch (e) {
      throw e instanceof IndexedDatasetError ? e : new IndexedDatasetError(binFile, describeFsError(e));
    }
    checkBinSize(header, tokens, binSize, binFile);
    return { prefix, tokens, documents: header.documentCount - 1, sequences: header.sequences, dtype: header.dtype };
  } finally {
    await handle.close();
  }
}

/** Every dataset prefix under a directory (recursively), sorted; a prefix is an `.idx` path minus `.idx`. */
export async function findIndexedDatasets(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string) => {
    // Sharded corpora are often directories of symbolic links; a linked directory is walked once, so a loop ends.
    const real = await realpath(d).catch(() => d);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = path.join(d, e.name);
      const kind = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
      if (!kind) continue;
      if (kind.isDirectory()) await walk(p);
      else if (e.name.endsWith('.idx')) out.push(p.slice(0, -4)); // a FIFO is refused by name when read
    }
  };
  await walk(dir);
  return out.sort();
}

/** Writes a dataset in Megatron's format; used by tests, benchmarks and the demo data generator. */
export function encodeIndex(
  sequenceLengths: readonly number[],
  documentIndices: readonly number[],
  dtypeCode = 8,
): Buffer {
  const dtype = DTYPES[dtypeCode];
  if (!dtype) throw new Error(`unknown dtype code ${dtypeCode}`);
  const n = sequenceLengths.length;
  const buf = Buffer.alloc(HEADER_BYTES + 4 * n + 8 * n + 8 * documentIndices.length);
  let o = INDEX_MAGIC.copy(buf, 0);
  o = buf.writeBigUInt64LE(1n, o);
  o = buf.writeUInt8(dtypeCode, o);
  o = buf.writeBigUInt64LE(BigInt(n), o);
  o = buf.writeBigUInt64LE(BigInt(documentIndices.length), o);
  for (const len of sequenceLengths) o = buf.writeInt32LE(len, o);
  let pointer = 0;
  for (const len of sequenceLengths) {
    o = buf.writeBigInt64LE(BigInt(pointer), o);
    pointer += len * dtype.size;
  }
  for (const d of documentIndices) o = buf.writeBigInt64LE(BigInt(d), o);
  return buf;
}

/** Byte ranges of an index that `tokensFromIndexTail` needs: the header and three fixed-size fields at the end. */
export function indexTailRanges(h: IndexHeader): {
  lastLength: number;
  lastPointer: number;
  lastDocumentIndex: number;
} {
  const lengths = HEADER_BYTES;
  const pointers = lengths + 4 * h.sequences;
  const docs = pointers + 8 * h.sequences;
  return {
    lastLength: lengths + 4 * (h.sequences - 1),
    lastPointer: pointers + 8 * (h.sequences - 1),
    lastDocumentIndex: docs + 8 * (h.documentCount - 1),
  };
}

/**
 * The token count of a dataset from its header and the ends of its arrays, without reading the
 * lengths: the last sequence starts at `lastPointer` bytes and has `lastLength` tokens. Exact for a
 * well-formed index, and checked against the index size, the last document index and the `.bin`
 * size, so a corrupt one is an error rather than a wrong number. Used where reading every length
 * would cost a round trip per chunk (datasets on the cluster, read over SFTP).
 */
export function tokensFromIndexTail(
  h: IndexHeader,
  sizes: { idx: number; bin: number },
  tail: { lastLength: number; lastPointer: bigint; lastDocumentIndex: bigint },
  files: { idx: string; bin: string; prefix: string },
): IndexedDatasetInfo {
  checkIndexSize(h, sizes.idx, files.idx);
  checkLastDocumentIndex(h, tail.lastDocumentIndex, files.idx);
  let tokens = 0;
  if (h.sequences > 0) {
    if (tail.lastLength < 0) throw new IndexedDatasetError(files.idx, `negative sequence length ${tail.lastLength}`);
    const start = Number(tail.lastPointer);
    if (start < 0 || start % h.itemSize !== 0)
      throw new IndexedDatasetError(
        files.idx,
        `last sequence pointer ${start} is not a multiple of the ${h.itemSize}-byte ${h.dtype}`,
      );
    tokens = start / h.itemSize + tail.lastLength;
  }
  checkBinSize(h, tokens, sizes.bin, files.bin);
  return { prefix: files.prefix, tokens, documents: h.documentCount - 1, sequences: h.sequences, dtype: h.dtype };
}
