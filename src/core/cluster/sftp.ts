import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import { seconds } from './connection';

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

/** Promise forms of the SFTP calls we use; each is one request, pipelined on the session's channel, with a time limit. */
export const sftpCall = {
  open: (s: SFTPWrapper, p: string, flags: 'r' | 'w') =>
    sftpRequest<Buffer>(s, p, T, (done) => s.open(p, flags, (e, h) => done(e && withPath(e, p), h))),
  close: (s: SFTPWrapper, h: Buffer) => sftpRequest<void>(s, 'close', T, (done) => s.close(h, (e) => done(e))),
  stat: (s: SFTPWrapper, p: string) =>
    sftpRequest<Stats>(s, p, T, (done) => s.stat(p, (e, st) => done(e && withPath(e, p), st))),
  read: (s: SFTPWrapper, h: Buffer, offset: number, length: number) =>
    sftpRequest<Buffer>(s, `read of ${length} bytes at ${offset}`, T, (done) => {
      const buf = Buffer.alloc(length);
      s.read(h, buf, 0, length, offset, (e, n) => done(e, buf.subarray(0, n)));
    }),
  unlink: (s: SFTPWrapper, p: string) =>
    sftpRequest<void>(s, p, T, (done) => s.unlink(p, (e) => done(e && withPath(e, p)))),
  readdir: (s: SFTPWrapper, p: string) =>
    sftpRequest<FileEntryWithStats[]>(s, p, T, (done) => s.readdir(p, (e, list) => done(e && withPath(e, p), list))),
  realpath: (s: SFTPWrapper, p: string) =>
    sftpRequest<string>(s, p, T, (done) => s.realpath(p, (e, abs) => done(e && withPath(e, p), abs))),
  mkdir: (s: SFTPWrapper, p: string) =>
    sftpRequest<void>(s, p, T, (done) => s.mkdir(p, (e) => done(e && withPath(e, p)))),
};

function withPath(e: Error & { code?: number }, p: string): Error {
  const err = new Error(`${p}: ${e.message}`) as Error & { code?: number };
  err.code = e.code;
  return err;
}

/** SFTP status code for "no such file". */
export const SFTP_NO_SUCH_FILE = 2;

/** Creates a remote directory and its parents (like mkdir -p). */
export async function mkdirp(sftp: SFTPWrapper, dir: string): Promise<void> {
  const parts = dir.split('/').filter(Boolean);
  let cur = dir.startsWith('/') ? '' : '.';
  for (const part of parts) {
    cur = `${cur}/${part}`;
    try {
      const st = await sftpCall.stat(sftp, cur);
      if (!st.isDirectory()) throw new Error(`${cur} exists and is not a directory`);
    } catch (e) {
      if ((e as { code?: number }).code !== SFTP_NO_SUCH_FILE) throw e;
      await sftpCall.mkdir(sftp, cur).catch(async (err) => {
        // Another writer may have made it meanwhile.
        if (
          !(await sftpCall.stat(sftp, cur).then(
            (s) => s.isDirectory(),
            () => false,
          ))
        )
          throw err;
      });
    }
  }
}

/**
 * Writes `data` to `remotePath` atomically: a temporary sibling first, then OpenSSH's
 * posix-rename over the target, so a reader sees the old file or the new one, never half of it.
 */
export async function uploadAtomic(
  sftp: SFTPWrapper,
  data: Buffer | string,
  remotePath: string,
  mode = 0o644,
): Promise<void> {
  const dir = path.posix.dirname(remotePath);
  await mkdirp(sftp, dir);
  const tmp = path.posix.join(dir, `.${path.posix.basename(remotePath)}.${randomBytes(6).toString('hex')}.tmp`);
  // Writes are pipelined requests: the limit grows with the size (a second per MiB on top).
  await sftpRequest<void>(sftp, tmp, T + Buffer.byteLength(data) / 1024, (done) =>
    sftp.writeFile(tmp, data, { mode }, (e) => done(e && withPath(e, tmp))),
  );
  try {
    await sftpRequest<void>(sftp, remotePath, T, (done) =>
      sftp.ext_openssh_rename(tmp, remotePath, (e) => done(e && withPath(e, remotePath))),
    );
  } catch (e) {
    await sftpCall.unlink(sftp, tmp).catch(() => undefined);
    throw e;
  }
}

/** Downloads to a temporary sibling of `localPath`, then renames: never a half-written local file. */
export async function downloadAtomic(sftp: SFTPWrapper, remotePath: string, localPath: string): Promise<void> {
  await mkdir(path.dirname(localPath), { recursive: true });
  const tmp = `${localPath}.${randomBytes(6).toString('hex')}.part`;
  try {
    // Timed from the last chunk received, so a big file may take as long as it needs while it moves.
    await sftpRequest<void>(sftp, remotePath, T, (done, touch) =>
      sftp.fastGet(remotePath, tmp, { step: () => touch() }, (e) => done(e && withPath(e, remotePath))),
    );
    await rename(tmp, localPath);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export async function readRemoteFile(sftp: SFTPWrapper, remotePath: string): Promise<Buffer> {
  return sftpRequest<Buffer>(sftp, remotePath, T, (done) =>
    sftp.readFile(remotePath, (e: Error | undefined, b: Buffer) => done(e && withPath(e, remotePath), b)),
  );
}
