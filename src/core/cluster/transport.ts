import type { ConnectionState, ExecOptions, ExecResult } from './connection';

/** What a stat of a file on the cluster tells (the shape of ssh2's Stats, which the SFTP side passes through). */
export interface FileStat {
  readonly size: number;
  /** Seconds since the epoch, as SFTP carries it. */
  readonly mtime: number;
  readonly mode: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface DirEntry {
  readonly filename: string;
  readonly attrs: FileStat;
}

/** An open file for ranged reads: an SFTP handle, or a local descriptor. */
export type FileHandle = Buffer | number;

/**
 * The cluster's files, over SFTP or directly on this machine. Relative paths are relative to the
 * user's home directory on the cluster, as SFTP resolves them. A missing file fails with an error
 * whose `code` is SFTP_NO_SUCH_FILE on both sides; every error names its path.
 */
export interface RemoteFiles {
  stat(path: string): Promise<FileStat>;
  open(path: string): Promise<FileHandle>;
  /** Reads into `into` from `position`; the count read, 0 at the end of the file. */
  read(handle: FileHandle, into: Buffer, position: number): Promise<number>;
  close(handle: FileHandle): Promise<void>;
  readdir(path: string): Promise<DirEntry[]>;
  realpath(path: string): Promise<string>;
  mkdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  /** A temporary sibling, then a rename over `path`: a reader sees the old file or the new one, never half. */
  writeAtomic(path: string, data: Buffer | string, mode: number): Promise<void>;
  /** Copies a file of the cluster to this machine, through a `.part` sibling and a rename. */
  download(remotePath: string, localPath: string): Promise<void>;
}

/** Channels in use and waiting, and follows running and waiting: for the status bar. */
export interface TransportLoad {
  readonly inUse: number;
  readonly queued: number;
  readonly follows: number;
  readonly followsQueued: number;
}

/**
 * How the core reaches a cluster: commands from argument vectors and the cluster's files. The SSH
 * connection (ClusterConnection) and the local runner (LocalTransport, for a workspace on the login
 * node) both implement it, so templates, the registry, the Jobs view, counts and fetch need not know which.
 */
export interface ClusterTransport {
  readonly name: string;
  readonly kind: 'ssh' | 'local';
  readonly state: ConnectionState;
  readonly load: TransportLoad;
  readonly lastError: Error | undefined;
  /** The failure that stops all attempts until the user acts, if any (never, locally). */
  readonly blockedBy: Error | undefined;
  /** Runs argv (each argument quoted where a shell is involved) and collects its output. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Runs a command line built only from shellCommand/shellAnd pieces (a pipeline). */
  execLine(line: string, options?: ExecOptions): Promise<ExecResult>;
  files(): Promise<RemoteFiles>;
  /** The user asks to try again: lifts a block, skips any backoff. */
  retry(): Promise<unknown>;
  /** Resolves when the user retries (or the transport closes). */
  whenRetried(): Promise<void>;
  on(event: 'state', listener: (s: ConnectionState) => void): this;
  dispose(): void;
}
