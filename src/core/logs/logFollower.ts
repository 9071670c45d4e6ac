import { EventEmitter } from 'node:events';
import { ConnectionLostError, type ClusterConnection } from '../cluster/connection';
import { sftpCall, SFTP_NO_SUCH_FILE } from '../cluster/sftp';
import { pathArg, shellCommand } from '../cluster/shellQuote';
import { LogLineSplitter } from './megatronLog';

export interface FollowOptions {
  /** A log bigger than this opens at its last `window` bytes, not downloaded whole. */
  readonly window?: number;
  /** Start from this byte offset (resuming an earlier follow). */
  readonly offset?: number;
}

/**
 * Follows a remote log file live: `tail -c +N -F` on one channel, counting the bytes received,
 * so that after a dropped connection it resumes at the exact byte — no line lost or repeated.
 * Emits `lines` (complete lines), `skipped` (bytes not shown at the start of a huge log),
 * `state` ('following' | 'reconnecting' | 'stopped') and `error`.
 */
export class LogFollower extends EventEmitter {
  private offsetValue: number;
  private readonly splitter = new LogLineSplitter();
  private abort: AbortController | undefined;
  private stopped = false;
  private dropFirstLine = false;

  constructor(private readonly connection: ClusterConnection, readonly path: string, private readonly options: FollowOptions = {}) {
    super();
    this.offsetValue = options.offset ?? 0;
  }

  /** Bytes of the file consumed so far. */
  get offset(): number {
    return this.offsetValue;
  }

  async start(): Promise<void> {
    const window = this.options.window ?? 1 << 20;
    if (this.options.offset === undefined) {
      const size = await this.size();
      if (size > window) {
        this.offsetValue = size - window;
        this.dropFirstLine = true; // we start mid-line: the first partial line is not shown
        this.emit('skipped', this.offsetValue);
      }
    }
    void this.loop();
  }

  private async size(): Promise<number> {
    try {
      return (await sftpCall.stat(await this.connection.sftp(), this.path)).size;
    } catch (e) {
      if ((e as { code?: number }).code === SFTP_NO_SUCH_FILE) return 0; // not written yet: tail -F waits for it
      throw e;
    }
  }

  private async loop() {
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        this.emit('state', 'following');
        // -c +N: from byte N (1-based); -F: follow by name, through rotation and late creation.
        await this.connection.exec(['tail', '-c', `+${this.offsetValue + 1}`, '-F', pathArg(this.path)], { signal: this.abort.signal, onStdout: (chunk) => this.receive(chunk) });
        if (this.stopped) break;
      } catch (e) {
        if (this.stopped) break;
        if (!(e instanceof ConnectionLostError)) {
          this.emit('error', e);
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
      }
      this.emit('state', 'reconnecting');
      await new Promise((r) => setTimeout(r, 200));
    }
    this.emit('state', 'stopped');
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

  /** The last line, not yet ended by a newline. */
  get pending(): string {
    return this.splitter.pending;
  }

  stop() {
    this.stopped = true;
    this.abort?.abort();
  }
}

/** `tail`'s command line, for logs and the docs. */
export function tailCommand(path: string, offset: number): string {
  return shellCommand(['tail', '-c', `+${offset + 1}`, '-F', pathArg(path)]);
}
