import type { OpenedDataset } from '../megatron/datasetInspection';
import { IndexedDatasetError } from '../megatron/indexedDataset';
import type { RangeReader } from '../megatron/rangeReader';
import { SFTP_NO_SUCH_FILE, sftpCall } from './sftp';
import type { FileHandle, RemoteFiles } from './transport';

/**
 * OpenSSH's sftp-server answers at most 256 KiB per read (its limits@openssh.com max-read-length),
 * so a bigger range is asked for as several requests, all in flight at once on the session.
 */
const MAX_REQUEST = 255 * 1024;

/** A file on the cluster read by SFTP ranged reads; nothing but the ranges asked for crosses the wire. */
export async function openSftpRange(sftp: RemoteFiles, file: string): Promise<RangeReader> {
  const [st, handle] = await Promise.all([
    sftpCall.stat(sftp, file).catch((e) => Promise.reject(missing(e, file))),
    sftpCall.open(sftp, file).catch((e) => Promise.reject(missing(e, file))),
  ]);
  if (!st.isFile()) {
    await sftpCall.close(sftp, handle).catch(() => undefined);
    throw new IndexedDatasetError(file, 'is not a regular file on the cluster');
  }
  return {
    file,
    size: st.size,
    async read(offset, length, into) {
      const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      const parts: Promise<void>[] = [];
      for (let at = 0; at < length; at += MAX_REQUEST)
        parts.push(readExactly(sftp, handle, file, offset + at, buf.subarray(at, Math.min(length, at + MAX_REQUEST))));
      await Promise.all(parts);
      return buf;
    },
    close: () => sftpCall.close(sftp, handle),
  };
}

/** Fills `into` from `offset`; a server may answer a read with fewer bytes than asked, and the rest is asked for again. */
async function readExactly(
  sftp: RemoteFiles,
  handle: FileHandle,
  file: string,
  offset: number,
  into: Buffer,
): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const n = await sftp.read(handle, into.subarray(done), offset + done).catch((e: Error) => {
      throw new Error(`${file}: ${e.message}`);
    });
    if (n === 0)
      throw new IndexedDatasetError(
        file,
        `short read: ${done} of ${into.length} bytes at offset ${offset} (the file shrank?)`,
      );
    done += n;
  }
}

function missing(e: Error & { code?: number }, file: string): Error {
  return e.code === SFTP_NO_SUCH_FILE ? new IndexedDatasetError(file, 'no such file on the cluster') : e;
}

/** A dataset on the cluster, both files opened for ranged reads on one SFTP session. */
export async function openRemoteDataset(sftp: RemoteFiles, prefix: string, cluster: string): Promise<OpenedDataset> {
  const [idx, bin] = await Promise.allSettled([
    openSftpRange(sftp, `${prefix}.idx`),
    openSftpRange(sftp, `${prefix}.bin`),
  ]);
  if (idx.status === 'fulfilled' && bin.status === 'fulfilled')
    return { prefix, location: cluster, idx: idx.value, bin: bin.value };
  for (const r of [idx, bin]) if (r.status === 'fulfilled') await r.value.close().catch(() => undefined);
  throw (idx.status === 'rejected' ? idx.reason : (bin as PromiseRejectedResult).reason) as Error;
}
