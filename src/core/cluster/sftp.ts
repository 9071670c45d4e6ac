import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import { type FileHandle, type RemoteFiles, seconds } from './transport';

/** How long one SFTP request may go unanswered (a FIFO or a hung NFS mount on the cluster would block it for ever). */
export const SFTP_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Runs one SFTP request with a time limit. The server answers requests in order, so one stuck
 * request stalls the whole session: on timeout the session is given up ('stuck', then closed) and
 * the connection opens a fresh one for the next caller.
 */
export function sftpRequest<T>(
  s: SFTPWrapper,
  what: string,
  ms: number,
  start: (done: (e: Error | undefined | null, v?: T) => void, touch: () => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finished = true;
        s.emit('stuck');
        s.end();
        reject(
          new Error(
            `${what}: no answer from the cluster's SFTP server within ${seconds(ms)} s (is it a FIFO, or on a hung file system?)`,
          ),
        );
      }, ms);
    };
    arm();
    start(
      (e, v) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve(v as T);
      },
      () => {
        if (!finished) arm();
      },
    );
  });
}

const T = SFTP_REQUEST_TIMEOUT_MS;

/** SFTP status code for "no such file"; the local transport gives its missing files the same code. */
export const SFTP_NO_SUCH_FILE = 2;

function withPath(e: Error & { code?: number }, p: string): Error {
  const err = new Error(`${p}: ${e.message}`) as Error & { code?: number };
  err.code = e.code;
  return err;
}

/**
 * The cluster's files over one SFTP session: each call one request (pipelined on the session's
 * channel) with a time limit; writes are atomic both ways.
 */
export class SftpFiles implements RemoteFiles {
  constructor(private readonly s: SFTPWrapper) {}

  stat(p: string): Promise<Stats> {
    return sftpRequest<Stats>(this.s, p, T, (done) => this.s.stat(p, (e, st) => done(e && withPath(e, p), st)));
  }

  open(p: string): Promise<Buffer> {
    return sftpRequest<Buffer>(this.s, p, T, (done) => this.s.open(p, 'r', (e, h) => done(e && withPath(e, p), h)));
  }

  read(handle: FileHandle, into: Buffer, position: number): Promise<number> {
    return sftpRequest<number>(this.s, `read of ${into.length} bytes at ${position}`, T, (done) =>
      this.s.read(handle as Buffer, into, 0, into.length, position, (e, n) => done(e, n)),
    );
  }

  close(handle: FileHandle): Promise<void> {
    return sftpRequest<void>(this.s, 'close', T, (done) => this.s.close(handle as Buffer, (e) => done(e)));
  }

  readdir(p: string): Promise<FileEntryWithStats[]> {
    return sftpRequest<FileEntryWithStats[]>(this.s, p, T, (done) =>
      this.s.readdir(p, (e, list) => done(e && withPath(e, p), list)),
    );
  }

  realpath(p: string): Promise<string> {
    return sftpRequest<string>(this.s, p, T, (done) => this.s.realpath(p, (e, abs) => done(e && withPath(e, p), abs)));
  }

  mkdir(p: string): Promise<void> {
    return sftpRequest<void>(this.s, p, T, (done) => this.s.mkdir(p, (e) => done(e && withPath(e, p))));
  }

  unlink(p: string): Promise<void> {
    return sftpRequest<void>(this.s, p, T, (done) => this.s.unlink(p, (e) => done(e && withPath(e, p))));
  }

  readFile(p: string): Promise<Buffer> {
    return sftpRequest<Buffer>(this.s, p, T, (done) =>
      this.s.readFile(p, (e: Error | undefined, b: Buffer) => done(e && withPath(e, p), b)),
    );
  }

  /** A temporary sibling first, then OpenSSH's posix-rename over the target. */
  async writeAtomic(remotePath: string, data: Buffer | string, mode: number): Promise<void> {
    const dir = path.posix.dirname(remotePath);
    await mkdirp(this, dir);
    const tmp = path.posix.join(dir, `.${path.posix.basename(remotePath)}.${randomBytes(6).toString('hex')}.tmp`);
    // Writes are pipelined requests: the limit grows with the size (a second per MiB on top).
    await sftpRequest<void>(this.s, tmp, T + Buffer.byteLength(data) / 1024, (done) =>
      this.s.writeFile(tmp, data, { mode }, (e) => done(e && withPath(e, tmp))),
    );
    try {
      await sftpRequest<void>(this.s, remotePath, T, (done) =>
        this.s.ext_openssh_rename(tmp, remotePath, (e) => done(e && withPath(e, remotePath))),
      );
    } catch (e) {
      await this.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await mkdir(path.dirname(localPath), { recursive: true });
    const tmp = `${localPath}.${randomBytes(6).toString('hex')}.part`;
    try {
      // Timed from the last chunk received, so a big file may take as long as it needs while it moves.
      await sftpRequest<void>(this.s, remotePath, T, (done, touch) =>
        this.s.fastGet(remotePath, tmp, { step: () => touch() }, (e) => done(e && withPath(e, remotePath))),
      );
      await rename(tmp, localPath);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

/**
 * The file calls by their former names, over either transport's files: callers written for SFTP
 * keep their shape.
 */
export const sftpCall = {
  open: (s: RemoteFiles, p: string) => s.open(p),
  close: (s: RemoteFiles, h: FileHandle) => s.close(h),
  stat: (s: RemoteFiles, p: string) => s.stat(p),
  read: async (s: RemoteFiles, h: FileHandle, offset: number, length: number) => {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, await s.read(h, buf, offset));
  },
  unlink: (s: RemoteFiles, p: string) => s.unlink(p),
  readdir: (s: RemoteFiles, p: string) => s.readdir(p),
  realpath: (s: RemoteFiles, p: string) => s.realpath(p),
  mkdir: (s: RemoteFiles, p: string) => s.mkdir(p),
};

/** Creates a directory on the cluster and its parents (like mkdir -p). */
export async function mkdirp(files: RemoteFiles, dir: string): Promise<void> {
  const parts = dir.split('/').filter(Boolean);
  let cur = dir.startsWith('/') ? '' : '.';
  for (const part of parts) {
    cur = `${cur}/${part}`;
    try {
      const st = await files.stat(cur);
      if (!st.isDirectory()) throw new Error(`${cur} exists and is not a directory`);
    } catch (e) {
      if ((e as { code?: number }).code !== SFTP_NO_SUCH_FILE) throw e;
      await files.mkdir(cur).catch(async (err) => {
        // Another writer may have made it meanwhile.
        if (
          !(await files.stat(cur).then(
            (s) => s.isDirectory(),
            () => false,
          ))
        )
          throw err;
      });
    }
  }
}

/** Writes `data` to `remotePath` atomically: a reader sees the old file or the new one, never half of it. */
export function uploadAtomic(files: RemoteFiles, data: Buffer | string, remotePath: string, mode = 0o644) {
  return files.writeAtomic(remotePath, data, mode);
}

/** Downloads to a temporary sibling of `localPath`, then renames: never a half-written local file. */
export function downloadAtomic(files: RemoteFiles, remotePath: string, localPath: string): Promise<void> {
  return files.download(remotePath, localPath);
}

export function readRemoteFile(files: RemoteFiles, remotePath: string): Promise<Buffer> {
  return files.readFile(remotePath);
}
