import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { close, constants, open, read } from 'node:fs';
import {
  access,
  chmod,
  copyFile,
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
import { promisify } from 'node:util';
import { COMMAND_TIMEOUT_MS, CommandTimeoutError } from './connection';
import { abortError } from './semaphore';
import { SFTP_NO_SUCH_FILE } from './sftp';
import { shellQuote } from './shellQuote';
import type {
  ClusterTransport,
  ConnectionState,
  DirEntry,
  ExecOptions,
  ExecResult,
  FileHandle,
  FileStat,
  RemoteFiles,
  TransportLoad,
} from './transport';

/** What a shell says for a program it cannot find; callers read exit codes as they would over SSH. */
const COMMAND_NOT_FOUND = 127;

export interface LocalTransportOptions {
  /** The directory relative paths and commands start from, as a login's home (default: the user's home). */
  readonly home?: string;
  /** Added to this process's environment for every command (SLURM_CONF on a test machine, say). */
  readonly env?: Readonly<Record<string, string>>;
}

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
    return new LocalFiles(this.home);
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

/** This machine's files, with relative paths taken from `home` as SFTP takes them from the login's home. */
export class LocalFiles implements RemoteFiles {
  constructor(private readonly home: string) {}

  private abs(p: string): string {
    return path.resolve(this.home, p);
  }

  private guard<T>(p: string, work: Promise<T>): Promise<T> {
    return work.catch((e: NodeJS.ErrnoException) => Promise.reject(fsError(e, p)));
  }

  stat(p: string): Promise<FileStat> {
    return this.guard(p, stat(this.abs(p)).then(fileStat));
  }

  open(p: string): Promise<FileHandle> {
    return this.guard(p, fdOpen(this.abs(p), 'r'));
  }

  read(handle: FileHandle, into: Buffer, position: number): Promise<number> {
    return fdRead(handle as number, into, 0, into.length, position).then((r) => r.bytesRead);
  }

  close(handle: FileHandle): Promise<void> {
    return fdClose(handle as number);
  }

  /** Entries with their own attributes (a link is a link), as sftp-server lists them. */
  readdir(p: string): Promise<DirEntry[]> {
    const dir = this.abs(p);
    return this.guard(
      p,
      readdir(dir).then((names) =>
        Promise.all(
          names.sort().map(async (filename) => ({ filename, attrs: fileStat(await lstat(path.join(dir, filename))) })),
        ),
      ),
    );
  }

  realpath(p: string): Promise<string> {
    return this.guard(p, realpath(this.abs(p)));
  }

  mkdir(p: string): Promise<void> {
    return this.guard(p, mkdir(this.abs(p)));
  }

  unlink(p: string): Promise<void> {
    return this.guard(p, unlink(this.abs(p)));
  }

  readFile(p: string): Promise<Buffer> {
    return this.guard(p, readFile(this.abs(p)));
  }

  async writeAtomic(p: string, data: Buffer | string, mode: number): Promise<void> {
    const target = this.abs(p);
    const dir = path.dirname(target);
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    await this.guard(p, mkdir(dir, { recursive: true }));
    try {
      await this.guard(tmp, writeFile(tmp, data, { mode, flag: 'wx' }));
      // The mode exactly, whatever the umask (a job script must be executable).
      await this.guard(tmp, chmod(tmp, mode));
      await this.guard(p, rename(tmp, target));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await mkdir(path.dirname(localPath), { recursive: true });
    const tmp = `${localPath}.${randomBytes(6).toString('hex')}.part`;
    try {
      await this.guard(remotePath, copyFile(this.abs(remotePath), tmp));
      await rename(tmp, localPath);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}
