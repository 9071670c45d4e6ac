import { EventEmitter } from 'node:events';
import { openSftpRange } from '../cluster/sftpRangeReader';
import type { ClusterTransport } from '../cluster/transport';
import { type FollowerEvents, LogFollower } from './logFollower';
import { LogLineSplitter } from './megatronLog';

/**
 * One follower per log for every view of it (log document, training chart, Compare Runs): a job
 * whose log is open twice holds one `tail -F` channel of the cluster's follow budget, not two.
 * The first view starts the follower; a view that joins later reads what came before once (its
 * history, up to the byte the follower's next line starts at) and then gets the same live lines;
 * the last view to leave stops it.
 */

/** What a view wants of the log before now: every line, or at most this many bytes back (a huge log opens at its tail). */
export type History = 'all' | { readonly window: number };

/** How far back a log document opens: a huge log is not downloaded whole to show its end. */
export const TAIL_WINDOW = 1 << 20;

interface Shared {
  readonly follower: LogFollower;
  readonly views: Set<FollowView>;
}

/**
 * One view's follow: the follower's events (`lines`, `skipped`, `state`, `problem`), its history
 * first. `stop()` leaves; the follower stops with the last view.
 */
export class FollowView extends EventEmitter<FollowerEvents> {
  /** Lines that came live while the history was read: given after it. */
  private held: string[] | undefined;
  /** Joined before the follower could say where its next line starts: the next batch settles it. */
  private awaitingBoundary = false;
  private readHistory: ((upTo: number) => Promise<void>) | undefined;
  private stopped = false;

  constructor(
    private readonly shared: Shared,
    private readonly leave: () => void,
  ) {
    super();
  }

  /** Bytes of the file the follower has consumed. */
  get offset(): number {
    return this.shared.follower.offset;
  }

  /** The last line, not yet ended by a newline. */
  get pending(): string {
    return this.shared.follower.pending;
  }

  /** Whether this view still reads its history (live lines are held until it is given). */
  get catchingUp(): boolean {
    return this.held !== undefined || this.awaitingBoundary;
  }

  /** @internal the hub's: a late view reads its history before it gets live lines. */
  join(read: (upTo: number) => Promise<void>) {
    this.readHistory = read;
    const at = this.shared.follower.lineStart;
    if (at !== undefined) this.catchUp(at, read);
    else this.awaitingBoundary = true;
  }

  private catchUp(upTo: number, read: (upTo: number) => Promise<void>) {
    this.held = [];
    void read(upTo)
      .catch((e: Error) => {
        if (!this.stopped) this.emit('problem', e);
      })
      .finally(() => {
        const held = this.held ?? [];
        this.held = undefined;
        if (!this.stopped && held.length > 0) this.emit('lines', held);
      });
  }

  /** @internal the follower's lines, held while the history is read. */
  deliver(lines: string[]) {
    if (this.stopped) return;
    if (this.awaitingBoundary) {
      // This batch ends where the follower's next line starts: the history read covers it.
      this.awaitingBoundary = false;
      const at = this.shared.follower.lineStart;
      if (at !== undefined && this.readHistory) this.catchUp(at, this.readHistory);
      return;
    }
    if (this.held) this.held.push(...lines);
    else this.emit('lines', lines);
  }

  /** @internal history lines, given before the held ones. */
  history(lines: string[], skipped: number) {
    if (this.stopped) return;
    if (skipped > 0) this.emit('skipped', skipped);
    if (lines.length > 0) this.emit('lines', lines);
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.removeAllListeners();
    this.leave();
  }
}

export class SharedFollowers {
  private readonly shared = new Map<string, Shared>();

  /** `connection` is looked up at every try: a connection replaced by a settings change is picked up. */
  constructor(private readonly connection: (cluster: string) => ClusterTransport) {}

  /** Logs followed now (each one channel of its cluster's follow budget). */
  get size(): number {
    return this.shared.size;
  }

  /**
   * A view of `path` on `cluster`: listen to it before the next turn of the event loop (its
   * history comes asynchronously). Whole-log views start a new follower at byte 0; others at the tail.
   */
  follow(cluster: string, path: string, history: History): FollowView {
    const key = `${cluster}\0${path}`;
    let shared = this.shared.get(key);
    const late = shared !== undefined;
    if (!shared) {
      const follower = new LogFollower(
        () => this.connection(cluster),
        path,
        history === 'all' ? { offset: 0 } : { window: history.window },
      );
      const s: Shared = { follower, views: new Set() };
      follower.on('lines', (lines) => {
        for (const v of s.views) v.deliver(lines);
      });
      follower.on('skipped', (bytes) => {
        for (const v of s.views) if (!v.catchingUp) v.emit('skipped', bytes);
      });
      follower.on('state', (state) => {
        for (const v of s.views) v.emit('state', state);
      });
      follower.on('problem', (e) => {
        for (const v of s.views) v.emit('problem', e);
      });
      shared = s;
      this.shared.set(key, s);
    }
    const s = shared;
    const view = new FollowView(s, () => {
      s.views.delete(view);
      if (s.views.size > 0) return;
      s.follower.stop();
      this.shared.delete(key);
    });
    s.views.add(view);
    if (late) view.join((upTo) => this.readHistory(cluster, path, upTo, history, view));
    else s.follower.start();
    return view;
  }

  /**
   * The lines of bytes [from, upTo) of the log, read once: from 0, or from the window's start (its
   * first partial line dropped). Only those bytes are read: a document joining a chart on a
   * gigabyte log fetches its last MiB, not the log.
   */
  private async readHistory(cluster: string, path: string, upTo: number, history: History, view: FollowView) {
    if (upTo === 0) return;
    const log = await openSftpRange(await this.connection(cluster).files(), path);
    try {
      const end = Math.min(upTo, log.size);
      const from = history === 'all' ? 0 : Math.max(0, end - history.window);
      const splitter = new LogLineSplitter();
      let lines = splitter.push(await log.read(from, end - from));
      if (from > 0) lines = lines.slice(1);
      view.history(lines, from);
    } finally {
      await log.close().catch(() => undefined);
    }
  }

  dispose() {
    for (const s of this.shared.values()) s.follower.stop();
    this.shared.clear();
  }
}
