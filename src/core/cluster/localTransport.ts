import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { close, constants, createReadStream, createWriteStream, open, read } from 'node:fs';
import {
  access,
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { COMMAND_TIMEOUT_MS, CommandTimeoutError } from './connection';
import { abortError } from './semaphore';
import { SFTP_NO_SUCH_FILE, SFTP_REQUEST_TIMEOUT_MS } from './sftp';
import { shellQuote } from './shellQuote';
import {
  type ClusterTransport,
  type ConnectionState,
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  type FileHandle,
  type FileStat,
  type RemoteFiles,
  seconds,
  type TransportLoad,
} from './transport';

/** What a shell says for a program it cannot find; callers read exit codes as they would over SSH. */
const COMMAND_NOT_FOUND = 127;

export interface LocalTransportOptions {
  /** The directory relative paths and commands start from, as a login's home (default: the user's home). */
  readonly home?: string;
  /** Added to this process's environment for every command (SLURM_CONF on a test machine, say). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long one file operation may take (default LOCAL_FILE_TIMEOUT_MS). */
  readonly fileTimeoutMs?: number;
}

/**
 * How long one file operation may go without progress, as one SFTP request over SSH: a FIFO, or a
 * path on a hung NFS mount of the login node, would block it for ever.
 */
export const LOCAL_FILE_TIMEOUT_MS = SFTP_REQUEST_TIMEOUT_MS;

/**
 * The cluster as the machine this runs on: for a workspace opened on the login node (VS Code
 * Remote-SSH, or the CLI in a terminal there), where `sbatch` and the datasets are local. Commands
 * are child processes from argument vectors, without a shell (execLine alone uses `sh -c`, on a line
 * built by the same quoting as over SSH), each in its own process group: a timeout or an abort kills
 * the whole group as sshd's signal does, and a Ctrl-C in the terminal reaches the CLI, which decides,
 * not a half-run sbatch. Files are read and written directly, atomically as over SFTP.
 */
export class LocalTransport extends EventEmitter implements ClusterTransport {
  readonly kind = 'local';
  readonly lastError = undefined;
  readonly blockedBy = undefined;
  private readonly home: string;
  private readonly running = new Set<ChildProcess>();
  private followsRunning = 0;
  private disposed = false;

  constructor(
    readonly name: string,
    private readonly options: LocalTransportOptions = {},
  ) {
    super();
    this.home = options.home ?? homedir();
  }

  get state(): ConnectionState {
    return this.disposed ? 'closed' : 'connected';
  }

  get load(): TransportLoad {
    return { inUse: this.running.size, queued: 0, follows: this.followsRunning, followsQueued: 0 };
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new Error('empty command'));
    // The same refusal as over SSH: a NUL byte cannot be an argument (spawn would cut it short).
    try {
      for (const [i, a] of argv.entries()) shellQuote(a, i);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.run(argv[0], argv.slice(1), `"${argv.join(' ').slice(0, 80)}"`, options);
  }

  execLine(line: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.run('/bin/sh', ['-c', line], `"${line.length > 80 ? `${line.slice(0, 80)}…` : line}"`, options);
  }

  private run(program: string, args: string[], what: string, options: ExecOptions): Promise<ExecResult> {
    if (this.disposed) return Promise.reject(new Error(`${this.name}: the transport is closed`));
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    const limitMs = options.follow ? options.timeoutMs : (options.timeoutMs ?? COMMAND_TIMEOUT_MS);
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(program, args, {
        cwd: this.home,
        env: { ...process.env, ...this.options.env },
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.running.add(child);
      if (options.follow) this.followsRunning++;
      let timedOut = false;
      let spawnError: NodeJS.ErrnoException | undefined;
      const kill = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer =
        limitMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              kill();
              reject(new CommandTimeoutError(what, limitMs));
            }, limitMs);
      options.signal?.addEventListener('abort', kill, { once: true });
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => {
        if (options.onStdout) options.onStdout(b);
        else out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => errs.push(b));
      // A program that exits without reading its stdin closes the pipe: nothing to report.
      child.stdin.on('error', () => undefined);
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = e;
      });
      child.on('spawn', () => options.onStart?.());
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', kill);
        this.running.delete(child);
        if (options.follow) this.followsRunning--;
        if (timedOut) return;
        if (spawnError)
          return spawnError.code === 'ENOENT'
            ? resolve({ code: COMMAND_NOT_FOUND, stdout: '', stderr: `${program}: command not found\n` })
            : reject(new Error(`${this.name}: cannot run ${what}: ${spawnError.message}`));
        resolve({
          code,
          signal: signal ?? undefined,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(errs).toString('utf8'),
        });
      });
      if (options.stdin !== undefined) child.stdin.end(options.stdin);
      else child.stdin.end();
    });
  }

  async files(): Promise<RemoteFiles> {
    return new LocalFiles(this.home, this.options.fileTimeoutMs ?? LOCAL_FILE_TIMEOUT_MS);
  }

  /** Nothing to retry: there is no connection. */
  async retry(): Promise<void> {}

  async whenRetried(): Promise<void> {}

  /** Stops every command still running (follows included). */
  dispose() {
    this.disposed = true;
    for (const child of this.running)
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    this.emit('state', 'closed');
  }
}

/** Where `program` would be found on PATH (an executable file), or undefined: whether Slurm is here. */
export async function onPath(program: string, pathVar = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, program);
    const ok = await stat(candidate)
      .then(
        (st) => st.isFile() && access(candidate, constants.X_OK).then(() => true),
        () => false,
      )
      .catch(() => false);
    if (ok) return candidate;
  }
  return undefined;
}

/**
 * Where Slurm's sbatch is, when a `local` profile is worth offering: the window is remote (VS Code
 * Remote-SSH on a login node: `remoteName` set), no profile is `local` yet, the user has not declined
 * for good, and sbatch is on the path here. Otherwise undefined.
 */
export async function localProfileOffer(
  remoteName: string | undefined,
  profiles: readonly { readonly kind: string }[],
  declined: boolean,
  pathVar = process.env.PATH ?? '',
): Promise<string | undefined> {
  if (!remoteName || declined || profiles.some((p) => p.kind === 'local')) return undefined;
  return onPath('sbatch', pathVar);
}

/** The offered profile's name: `login-node`, or the first `login-node-N` no profile has. */
export function localProfileName(profiles: readonly { readonly name: string }[]): string {
  const taken = new Set(profiles.map((p) => p.name));
  let name = 'login-node';
  for (let i = 2; taken.has(name); i++) name = `login-node-${i}`;
  return name;
}

const fdOpen = promisify(open);
const fdRead = promisify(read);
const fdClose = promisify(close);

/** Errors as SFTP's: the path named, a missing file with SFTP's "no such file" code. */
function fsError(e: NodeJS.ErrnoException, p: string): Error {
  const err = new Error(`${p}: ${e.code === 'ENOENT' ? 'No such file' : e.message}`) as Error & { code?: unknown };
  err.code = e.code === 'ENOENT' ? SFTP_NO_SUCH_FILE : e.code;
  return err;
}

function fileStat(st: import('node:fs').Stats): FileStat {
  return {
    size: st.size,
    mtime: Math.floor(st.mtimeMs / 1000),
    mode: st.mode,
    isFile: () => st.isFile(),
    isDirectory: () => st.isDirectory(),
  };
}

/**
 * This machine's files, with relative paths taken from `home` as SFTP takes them from the login's
 * home. Each operation has a deadline, as each SFTP request has: past it the caller gets an error
 * naming the operation and the path, and goes on. The system call itself cannot be stopped (it holds
 * one of libuv's threads until the file system answers); a descriptor it opens late is closed then.
 */
export class LocalFiles implements RemoteFiles {
  /** The path of each descriptor open here, for errors of reads. */
  private readonly paths = new Map<number, string>();

  constructor(
    private readonly home: string,
    private readonly timeoutMs: number,
  ) {}

  private abs(p: string): string {
    return path.resolve(this.home, p);
  }

  /**
   * Runs `start` with a deadline, re-armed by `touch` on progress; a failure becomes an error naming
   * `p`. What finishes after the deadline is handed to `late` (to close a descriptor).
   */
  private timed<T>(
    what: string,
    p: string,
    start: (touch: () => void, signal: AbortSignal) => Promise<T>,
    late?: (value: T) => void,
    ms = this.timeoutMs,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let finished = false;
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          finished = true;
          abort.abort();
          const err = new Error(
            `${what} ${p}: no answer from the file system within ${seconds(ms)} s (is it a FIFO, or on a hung file system?)`,
          ) as Error & { code?: string };
          err.code = 'ETIMEDOUT';
          reject(err);
        }, ms);
      };
      arm();
      start(() => finished || arm(), abort.signal).then(
        (v) => {
          if (finished) return late?.(v);
          finished = true;
          clearTimeout(timer);
          resolve(v);
        },
        (e: NodeJS.ErrnoException) => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          reject(fsError(e, p));
        },
      );
    });
  }

  stat(p: string): Promise<FileStat> {
    return this.timed('stat', p, () => stat(this.abs(p)).then(fileStat));
  }

  async open(p: string): Promise<FileHandle> {
    const fd = await this.timed(
      'open',
      p,
      () => fdOpen(this.abs(p), 'r'),
      (late) => void fdClose(late).catch(() => undefined),
    );
    this.paths.set(fd, p);
    return fd;
  }

  read(handle: FileHandle, into: Buffer, position: number): Promise<number> {
    const fd = handle as number;
    return this.timed(`read of ${into.length} bytes at ${position} of`, this.paths.get(fd) ?? `descriptor ${fd}`, () =>
      fdRead(fd, into, 0, into.length, position).then((r) => r.bytesRead),
    );
  }

  close(handle: FileHandle): Promise<void> {
    const fd = handle as number;
    const p = this.paths.get(fd) ?? `descriptor ${fd}`;
    this.paths.delete(fd);
    return this.timed('close', p, () => fdClose(fd));
  }

  /** Entries with their own attributes (a link is a link), as sftp-server lists them. */
  readdir(p: string): Promise<DirEntry[]> {
    const dir = this.abs(p);
    return this.timed('list', p, () =>
      readdir(dir).then((names) =>
        Promise.all(
          names.sort().map(async (filename) => ({ filename, attrs: fileStat(await lstat(path.join(dir, filename))) })),
        ),
      ),
    );
  }

  realpath(p: string): Promise<string> {
    return this.timed('realpath', p, () => realpath(this.abs(p)));
  }

  mkdir(p: string): Promise<void> {
    return this.timed('mkdir', p, () => mkdir(this.abs(p)));
  }

  unlink(p: string): Promise<void> {
    return this.timed('unlink', p, () => unlink(this.abs(p)));
  }

  readFile(p: string): Promise<Buffer> {
    return this.timed('read', p, (_touch, signal) => readFile(this.abs(p), { signal }));
  }

  async writeAtomic(p: string, data: Buffer | string, mode: number): Promise<void> {
    const target = this.abs(p);
    const dir = path.dirname(target);
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    await this.timed('mkdir', path.dirname(p), () => mkdir(dir, { recursive: true }));
    try {
      // As over SFTP, the limit grows with the size (a second per MiB on top).
      await this.timed(
        'write',
        tmp,
        (_touch, signal) => writeFile(tmp, data, { mode, flag: 'wx', signal }),
        undefined,
        this.timeoutMs + Buffer.byteLength(data) / 1024,
      );
      // The mode exactly, whatever the umask (a job script must be executable).
      await this.timed('chmod', tmp, () => chmod(tmp, mode));
      await this.timed('rename', p, () => rename(tmp, target));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  /** Timed from the last chunk copied, so a big file may take as long as it needs while it moves. */
  async download(remotePath: string, localPath: string): Promise<void> {
    await mkdir(path.dirname(localPath), { recursive: true });
    const tmp = `${localPath}.${randomBytes(6).toString('hex')}.part`;
    try {
      await this.timed('download', remotePath, (touch, signal) =>
        pipeline(createReadStream(this.abs(remotePath)).on('data', touch), createWriteStream(tmp, { flags: 'wx' }), {
          signal,
        }),
      );
      await rename(tmp, localPath);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}
