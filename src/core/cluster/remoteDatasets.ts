import * as path from 'node:path';
import { abortable } from '../cancellation';
import {
  HEADER_BYTES,
  IndexedDatasetError,
  type IndexedDatasetInfo,
  indexTailRanges,
  parseIndexHeader,
  tokensFromIndexTail,
} from '../megatron/indexedDataset';
import { Semaphore } from './semaphore';
import { SFTP_NO_SUCH_FILE, sftpCall } from './sftp';
import type { RemoteFiles } from './transport';

/** Datasets counted at once: enough to fill the pipe, few enough for the server's open-handle limit. */
const IN_FLIGHT = 128;

/** A file's size and modification time on the cluster (SFTP gives whole seconds). */
interface RemoteStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

export type RemoteCount =
  | {
      readonly prefix: string;
      readonly ok: true;
      readonly info: IndexedDatasetInfo;
      /** What the count was read from: a later count of files with the same stamps gives the same number. */
      readonly idx: RemoteStamp;
      readonly bin: RemoteStamp;
    }
  | { readonly prefix: string; readonly ok: false; readonly error: string };

export const stampOf = (st: { size: number; mtime: number }): RemoteStamp => ({
  size: st.size,
  mtimeMs: st.mtime * 1000,
});

/**
 * Token counts of Megatron datasets on the cluster, over one SFTP session. Every request of every
 * dataset is in flight at once (up to `inFlight` datasets), so 1,000 shards cost a few round
 * trips, not 1,000 commands. Per dataset: stat both files, read the header, then the three tail
 * fields — 33 + 20 bytes, whatever the dataset's size.
 */
export async function countRemoteDatasets(
  sftp: RemoteFiles,
  prefixes: readonly string[],
  options: { inFlight?: number; signal?: AbortSignal } = {},
): Promise<RemoteCount[]> {
  const { inFlight = IN_FLIGHT, signal } = options;
  const gate = new Semaphore(inFlight);
  // Aborted: the datasets still queued never start, and the few in flight (53 bytes each) are dropped.
  return abortable(Promise.all(prefixes.map((prefix) => gate.with(() => countOne(sftp, prefix), { signal }))), signal);
}

async function countOne(sftp: RemoteFiles, prefix: string): Promise<RemoteCount> {
  const files = { prefix, idx: `${prefix}.idx`, bin: `${prefix}.bin` };
  try {
    const [idxStat, binStat, handle] = await Promise.all([
      sftpCall.stat(sftp, files.idx).catch((e) => Promise.reject(missing(e, files.idx))),
      sftpCall.stat(sftp, files.bin).catch((e) => Promise.reject(missing(e, files.bin))),
      sftpCall.open(sftp, files.idx).catch((e) => Promise.reject(missing(e, files.idx))),
    ]);
    try {
      const header = parseIndexHeader(
        await sftpCall.read(sftp, handle, 0, Math.min(HEADER_BYTES, idxStat.size)),
        files.idx,
      );
      const at = indexTailRanges(header);
      const fits = idxStat.size >= at.lastDocumentIndex + 8;
      const [len, ptr, doc] = fits
        ? await Promise.all([
            header.sequences > 0 ? sftpCall.read(sftp, handle, at.lastLength, 4) : Promise.resolve(Buffer.alloc(4)),
            header.sequences > 0 ? sftpCall.read(sftp, handle, at.lastPointer, 8) : Promise.resolve(Buffer.alloc(8)),
            sftpCall.read(sftp, handle, at.lastDocumentIndex, 8),
          ])
        : [Buffer.alloc(4), Buffer.alloc(8), Buffer.alloc(8)];
      const info = tokensFromIndexTail(
        header,
        { idx: idxStat.size, bin: binStat.size },
        {
          lastLength: len.readInt32LE(0),
          lastPointer: ptr.readBigInt64LE(0),
          lastDocumentIndex: doc.readBigInt64LE(0),
        },
        files,
      );
      return { prefix, ok: true, info, idx: stampOf(idxStat), bin: stampOf(binStat) };
    } finally {
      await sftpCall.close(sftp, handle).catch(() => undefined);
    }
  } catch (e) {
    return { prefix, ok: false, error: e instanceof IndexedDatasetError ? e.message : (e as Error).message };
  }
}

/**
 * The stamps of each dataset's `.idx` and `.bin` on the cluster, all stats in flight at once on one
 * session (up to `inFlight` datasets); `undefined` where either cannot be stat'ed (it is then counted,
 * and the count names why).
 */
export async function statRemoteDatasets(
  sftp: RemoteFiles,
  prefixes: readonly string[],
  inFlight = 128,
): Promise<({ idx: RemoteStamp; bin: RemoteStamp } | undefined)[]> {
  const gate = new Semaphore(inFlight);
  return Promise.all(
    prefixes.map((prefix) =>
      gate.with(async () => {
        try {
          const [idx, bin] = await Promise.all([
            sftpCall.stat(sftp, `${prefix}.idx`),
            sftpCall.stat(sftp, `${prefix}.bin`),
          ]);
          return idx.isFile() && bin.isFile() ? { idx: stampOf(idx), bin: stampOf(bin) } : undefined;
        } catch {
          return undefined;
        }
      }),
    ),
  );
}

function missing(e: Error & { code?: number }, file: string): Error {
  return e.code === SFTP_NO_SUCH_FILE ? new IndexedDatasetError(file, 'no such file on the cluster') : e;
}

/** Every dataset prefix under a remote directory (recursively), sorted. */
export async function findRemoteDatasets(sftp: RemoteFiles, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await sftpCall.readdir(sftp, d);
    await Promise.all(
      entries.map(async (e) => {
        const p = path.posix.join(d, e.filename);
        if (e.attrs.isDirectory()) await walk(p);
        else if (e.attrs.isFile() && e.filename.endsWith('.idx')) out.push(p.slice(0, -4));
      }),
    );
  };
  await walk(dir);
  return out.sort();
}
