import { EventEmitter } from 'node:events';
import { ConnectError, ConnectionLostError } from '../cluster/connection';
import { SFTP_NO_SUCH_FILE, sftpCall } from '../cluster/sftp';
import { pathArg, shellCommand } from '../cluster/shellQuote';
import type { ClusterTransport } from '../cluster/transport';
import { LogLineSplitter } from './megatronLog';

export interface FollowOptions {
  /** A log bigger than this opens at its last `window` bytes, not downloaded whole. */
  readonly window?: number;
  /** Start from this byte offset (resuming an earlier follow, or 0 for the whole file). */
  readonly offset?: number;
}

/** Longest pause between tries after failures that are not the connection's (its own backoff paces those). */
const MAX_RETRY_MS = 30_000;

export type FollowState = 'waiting' | 'following' | 'reconnecting' | 'blocked' | 'stopped';

/** What a follower tells its listeners; `problem` once per distinct failure (the follower goes on). */
export interface FollowerEvents {
  lines: [lines: string[]];
  /** Bytes not shown at the start of a huge log. */
  skipped: [bytes: number];
  state: [state: FollowState];
  problem: [error: Error];
}

/**
 * Follows a remote log file live: `tail -c +N -F` on one channel, counting the bytes received,
 * so that after a dropped connection it resumes at the exact byte — no line lost or repeated.
 * Emits `lines` (complete lines), `skipped` (bytes not shown at the start of a huge log),
 * `state` (FollowState) and `problem` (an Error, once per distinct failure; the follower goes on).
 *
 * It never gives up on its own: while the cluster is unreachable it waits for the connection's
 * one scheduled reconnect (never a login of its own); after a host-key or authentication failure
 * it waits until the user retries; only `stop()` ends it.
 */
export class LogFollower extends EventEmitter<FollowerEvents> {
  private offsetValue: number;
  private readonly splitter = new LogLineSplitter();
  private readonly abort = new AbortController();
  private stopped = false;
  private running = false;
  private positioned: boolean;
  private dropFirstLine = false;
  private readonly connection: () => ClusterTransport;

  constructor(
    connection: ClusterTransport | (() => ClusterTransport),
    readonly path: string,
    private readonly options: FollowOptions = {},
  ) {
    super();
    this.connection = typeof connection === 'function' ? connection : () => connection;
    this.offsetValue = options.offset ?? 0;
    this.positioned = options.offset !== undefined;
  }

  /** Bytes of the file consumed so far. */
  get offset(): number {
    return this.offsetValue;
  }

  /** Starts following; failures (the cluster down, the file unreadable) are retried, not thrown. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.loop();
  }

  /** Where to start: a log bigger than the window opens at its tail. */
  private async position(conn: ClusterTransport) {
    const window = this.options.window ?? 1 << 20;
    let size = 0;
    try {
      size = (await sftpCall.stat(await conn.files(), this.path)).size;
    } catch (e) {
      if ((e as { code?: number }).code !== SFTP_NO_SUCH_FILE) throw e; // not written yet: tail -F waits for it
    }
    if (size > window) {
      this.offsetValue = size - window;
      this.dropFirstLine = true; // we start mid-line: the first partial line is not shown
      this.emit('skipped', this.offsetValue);
    }
    this.positioned = true;
  }

  private async loop() {
    let failures = 0;
    let reported = '';
    const problem = (e: Error) => {
      if (e.message !== reported) this.emit('problem', e);
      reported = e.message;
    };
    while (!this.stopped) {
      let conn: ClusterTransport | undefined;
      try {
        conn = this.connection();
        if (!this.positioned) await this.position(conn);
        this.emit('state', 'waiting');
        // -c +N: from byte N (1-based); -F: follow by name, through rotation and late creation.
        const r = await conn.exec(['tail', '-c', `+${this.offsetValue + 1}`, '-F', pathArg(this.path)], {
          follow: true,
          signal: this.abort.signal,
          onStdout: (chunk) => this.receive(chunk),
          onStart: () => {
            failures = 0;
            reported = '';
            this.emit('state', 'following');
          },
        });
        if (this.stopped) break;
        // tail -F ends only when killed or unable to go on.
        throw new Error(
          `tail stopped following ${this.path} (${r.code !== null ? `exit status ${r.code}` : `signal ${r.signal ?? '?'}`})${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`,
        );
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof ConnectionLostError) {
          this.emit('state', 'reconnecting');
          continue; // the next exec waits for the connection's scheduled reconnect
        }
        problem(e as Error);
        if (conn?.blockedBy) {
          this.emit('state', 'blocked');
          await conn.whenRetried();
          continue;
        }
        if (e instanceof ConnectError && conn && conn.state !== 'closed') {
          this.emit('state', 'reconnecting');
          continue; // connect() itself waits out the backoff since the last failure
        }
        failures++;
        await this.sleep(Math.min(1000 * 2 ** (failures - 1), MAX_RETRY_MS));
      }
    }
    this.emit('state', 'stopped');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private receive(chunk: Buffer) {
    this.offsetValue += chunk.length;
    let lines = this.splitter.push(chunk);
    if (this.dropFirstLine && lines.length > 0) {
      lines = lines.slice(1);
      this.dropFirstLine = false;
    }
    if (lines.length > 0) this.emit('lines', lines);
  }

  /**
   * The byte at which the next line given to listeners starts: what a view joining this follower
   * late reads up to once, so that it misses and repeats no line. Undefined until that is known
   * (a huge log not yet positioned, or its first partial line not yet dropped).
   */
  get lineStart(): number | undefined {
    return this.positioned && !this.dropFirstLine ? this.offsetValue - this.splitter.pendingBytes : undefined;
  }

  /** The last line, not yet ended by a newline. */
  get pending(): string {
    return this.splitter.pending;
  }

  /** Stops for good: a request still queued for a channel never starts, a running tail is killed. */
  stop() {
    this.stopped = true;
    this.abort.abort();
  }
}

/** `tail`'s command line, for logs and the docs. */
export function tailCommand(path: string, offset: number): string {
  return shellCommand(['tail', '-c', `+${offset + 1}`, '-F', pathArg(path)]);
}
