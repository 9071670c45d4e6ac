import { describeFsError, openRegular } from '../regularFile';
import { IndexedDatasetError } from './indexedDataset';

/**
 * Ranged reads of one file, local or on the cluster. The inspector reads an index through this
 * alone, so the length distribution of a local dataset and of one read over SFTP is the same code.
 */
export interface RangeReader {
  /** The file's name for error messages. */
  readonly file: string;
  readonly size: number;
  /**
   * Exactly `length` bytes at `offset`; a short read is an error naming the file. With `into`, the
   * bytes land there (streams reuse their buffers, so memory stays flat over a 200 MB index).
   */
  read(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

/** A local regular file (a FIFO or device is refused by `openRegular`, as everywhere else). */
export async function openLocalRange(file: string): Promise<RangeReader> {
  let handle;
  try {
    handle = await openRegular(file);
  } catch (e) {
    throw new IndexedDatasetError(file, describeFsError(e));
  }
  const { size } = await handle.stat();
  return {
    file,
    size,
    async read(offset, length, into) {
      const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new IndexedDatasetError(
            file,
            `short read: ${done} of ${length} bytes at offset ${offset} (the file shrank?)`,
          );
        done += bytesRead;
      }
      return buf;
    },
    close: () => handle.close(),
  };
}
