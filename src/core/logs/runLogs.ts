import { readRemoteFile } from '../cluster/sftp';
import type { ClusterTransport, RemoteFiles } from '../cluster/transport';
import type { FollowerEvents } from './logFollower';
import { LogLineSplitter } from './megatronLog';
import { mergePoints, type Run, type RunKind, type RunPoint, runPoints, seqLengthOfScript } from './runComparison';
import type { FollowView, SharedFollowers } from './sharedFollowers';

/** A job as Compare Runs needs it: where its script and log are, and what its end said. */
export interface RunFiles {
  readonly id: string;
  readonly study: string;
  readonly recipe: string;
  readonly kind: RunKind;
  readonly script: string;
  readonly log: string;
  readonly wallSeconds?: number;
  readonly gpuHours?: number;
}

async function seqLengthOf(files: RemoteFiles, script: string): Promise<number | undefined> {
  return seqLengthOfScript((await readRemoteFile(files, script)).toString('utf8'));
}

function described(files: RunFiles, seqLength: number | undefined, points: RunPoint[]): Run {
  const { script: _s, log: _l, ...run } = files;
  return { ...run, seqLength, points };
}

/**
 * A finished run read once over SFTP (its log is not followed): the points of its log and the
 * sequence length its script passed. `\r` ends a line as `\n` does, so NeMo's progress bar gives
 * one line per rewrite.
 */
export async function readRun(conn: Pick<ClusterTransport, 'files'>, files: RunFiles): Promise<Run> {
  const sftp = await conn.files();
  // Both read straight away, the script first: a run missing both is reported by its script.
  const [script, log] = await Promise.all([readRemoteFile(sftp, files.script), readRemoteFile(sftp, files.log)]);
  const splitter = new LogLineSplitter();
  const lines = splitter.push(log);
  lines.push(splitter.pending);
  return described(files, seqLengthOfScript(script.toString('utf8')), runPoints(files.kind, lines));
}

/**
 * A run still training: its log followed through the shared followers (the channel its log
 * document or training chart already holds, if open), its points kept merged; `added` gets each
 * batch of new or rewritten points as it arrives, for a page that appends rather than redraws.
 */
export class LiveRun {
  private points: RunPoint[] = [];
  private readonly view: FollowView;

  private constructor(
    private readonly files: RunFiles,
    private readonly seqLength: number | undefined,
    followers: SharedFollowers,
    cluster: string,
    added: (points: RunPoint[]) => void,
  ) {
    this.view = followers.follow(cluster, files.log, 'all');
    this.view.on('lines', (lines) => {
      const batch = runPoints(files.kind, lines);
      if (batch.length === 0) return;
      this.points = mergePoints(this.points, batch);
      added(batch);
    });
  }

  /** Reads the job's script (its sequence length) once, then follows its log from the first byte. */
  static async start(
    conn: Pick<ClusterTransport, 'files'>,
    followers: SharedFollowers,
    cluster: string,
    files: RunFiles,
    added: (points: RunPoint[]) => void,
  ): Promise<LiveRun> {
    return new LiveRun(files, await seqLengthOf(await conn.files(), files.script), followers, cluster, added);
  }

  /** The run as it stands, with what its end said once it ended. */
  run(end: Pick<RunFiles, 'wallSeconds' | 'gpuHours'> = {}): Run {
    return described({ ...this.files, ...end }, this.seqLength, this.points);
  }

  /** The follower's troubles and states, for the page's status line. */
  on<K extends 'problem' | 'state'>(event: K, listener: (...args: FollowerEvents[K]) => void): this {
    this.view.on(event, listener as never);
    return this;
  }

  stop() {
    this.view.stop();
  }
}
