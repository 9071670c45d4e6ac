/** A transport's state: a connection's over SSH; locally always `connected` until disposed. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/** What a command left: its exit code (null if killed by a signal, named then) and its output. */
export interface ExecResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** How a command runs, over SSH and locally alike. */
export interface ExecOptions {
  readonly stdin?: string | Buffer;
  /** Streamed output, as it arrives (for tails); then the result's stdout is empty, so a follow of a huge log holds nothing. */
  readonly onStdout?: (chunk: Buffer) => void;
  /** Aborting stops the remote program; while still queued, the command never starts. */
  readonly signal?: AbortSignal;
  /**
   * A command that runs until aborted (`tail -F`): it needs no time limit, and such commands share
   * MAX_FOLLOWS channels, so that short commands always find one.
   */
  readonly follow?: boolean;
  /** Called once the command's channel is open and the command started. */
  readonly onStart?: () => void;
  /** Stop the command and fail with CommandTimeoutError after this long (default COMMAND_TIMEOUT_MS; follows: none). */
  readonly timeoutMs?: number;
  /** Fail when no channel comes free within this long (default QUEUE_TIMEOUT_MS; follows wait until aborted). */
  readonly queueTimeoutMs?: number;
}

/** "0.5", "60": seconds for messages. */
export function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(1)));
}

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
