import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';

/** Promise forms of the SFTP calls we use; each is one request, pipelined on the session's channel. */
export const sftpCall = {
  open: (s: SFTPWrapper, p: string, flags: 'r' | 'w') => new Promise<Buffer>((res, rej) => s.open(p, flags, (e, h) => (e ? rej(withPath(e, p)) : res(h)))),
  close: (s: SFTPWrapper, h: Buffer) => new Promise<void>((res, rej) => s.close(h, (e) => (e ? rej(e) : res()))),
  stat: (s: SFTPWrapper, p: string) => new Promise<Stats>((res, rej) => s.stat(p, (e, st) => (e ? rej(withPath(e, p)) : res(st)))),
  read: (s: SFTPWrapper, h: Buffer, offset: number, length: number) =>
    new Promise<Buffer>((res, rej) => {
      const buf = Buffer.alloc(length);
      s.read(h, buf, 0, length, offset, (e, n) => (e ? rej(e) : res(buf.subarray(0, n))));
    }),
  unlink: (s: SFTPWrapper, p: string) => new Promise<void>((res, rej) => s.unlink(p, (e) => (e ? rej(withPath(e, p)) : res()))),
  readdir: (s: SFTPWrapper, p: string) => new Promise<FileEntryWithStats[]>((res, rej) => s.readdir(p, (e, list) => (e ? rej(withPath(e, p)) : res(list)))),
  realpath: (s: SFTPWrapper, p: string) => new Promise<string>((res, rej) => s.realpath(p, (e, abs) => (e ? rej(withPath(e, p)) : res(abs)))),
  mkdir: (s: SFTPWrapper, p: string) => new Promise<void>((res, rej) => s.mkdir(p, (e) => (e ? rej(withPath(e, p)) : res()))),
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
        if (!(await sftpCall.stat(sftp, cur).then((s) => s.isDirectory(), () => false))) throw err;
      });
    }
  }
}

/**
 * Writes `data` to `remotePath` atomically: a temporary sibling first, then OpenSSH's
 * posix-rename over the target, so a reader sees the old file or the new one, never half of it.
 */
export async function uploadAtomic(sftp: SFTPWrapper, data: Buffer | string, remotePath: string, mode = 0o644): Promise<void> {
  const dir = path.posix.dirname(remotePath);
  await mkdirp(sftp, dir);
  const tmp = path.posix.join(dir, `.${path.posix.basename(remotePath)}.${randomBytes(6).toString('hex')}.tmp`);
  await new Promise<void>((resolve, reject) => sftp.writeFile(tmp, data, { mode }, (e) => (e ? reject(withPath(e, tmp)) : resolve())));
  try {
    await new Promise<void>((resolve, reject) => sftp.ext_openssh_rename(tmp, remotePath, (e) => (e ? reject(withPath(e, remotePath)) : resolve())));
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
    await new Promise<void>((resolve, reject) => sftp.fastGet(remotePath, tmp, (e) => (e ? reject(withPath(e, remotePath)) : resolve())));
    await rename(tmp, localPath);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export async function readRemoteFile(sftp: SFTPWrapper, remotePath: string): Promise<Buffer> {
  return new Promise((resolve, reject) => sftp.readFile(remotePath, (e: Error | undefined, b: Buffer) => (e ? reject(withPath(e, remotePath)) : resolve(b))));
}
