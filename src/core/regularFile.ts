import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Reading files the user or a workspace named. Only regular files are opened: a FIFO, socket or
 * device named as a recipe, index or table would block the read forever (and, in the extension
 * host, one of libuv's four threadpool threads with it). Errors name the file in words, never as
 * raw errno text.
 */
export class FileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`);
    this.name = 'FileError';
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** An error of the file system in words (`no such file`), without the path or errno prefix. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && FS_ERRORS[code]) return FS_ERRORS[code];
  if (e instanceof FileError) return e.reason;
  return code ?? (e as Error).message;
}

function kindOf(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (s.isDirectory()) return 'is a directory, not a file';
  if (s.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (s.isSocket()) return 'is a socket, not a regular file';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'is a device, not a regular file';
  return 'is not a regular file';
}

/**
 * Opens `file` for reading if it is a regular file (symbolic links followed). O_NONBLOCK makes the
 * open itself return at once on a FIFO, which is then refused by its fstat.
 */
export async function openRegular(file: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new FileError(file, describeFsError(e));
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new FileError(file, kindOf(s));
    return handle;
  } catch (e) {
    await handle.close();
    throw e instanceof FileError ? e : new FileError(file, describeFsError(e));
  }
}

export async function readRegularFile(file: string): Promise<Buffer> {
  const handle = await openRegular(file);
  try {
    return await handle.readFile();
  } catch (e) {
    throw new FileError(file, describeFsError(e));
  } finally {
    await handle.close();
  }
}

/** The offset of the first byte that does not belong to well-formed UTF-8, or -1. */
export function invalidUtf8At(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * UTF-8 text, strictly: a byte sequence that is not UTF-8 is an error at its line, never replaced.
 * A leading byte-order mark is dropped, as editors drop it, so that columns match what they show.
 */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
  const bad = isUtf8(bytes) ? -1 : invalidUtf8At(bytes);
  if (bad >= 0) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    throw new FileError(
      file,
      `not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad}); save the file as UTF-8`,
      line,
    );
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export async function readTextFile(file: string): Promise<string> {
  return decodeUtf8(file, await readRegularFile(file));
}
