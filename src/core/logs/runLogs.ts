import { readRemoteFile } from '../cluster/sftp';
import type { ClusterTransport } from '../cluster/transport';
import { LogLineSplitter } from './megatronLog';
import { type Run, type RunKind, runPoints, seqLengthOfScript } from './runComparison';

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

/**
 * A finished run read once over SFTP (its log is not followed): the points of its log and the
 * sequence length its script passed. `\r` ends a line as `\n` does, so NeMo's progress bar gives
 * one line per rewrite.
 */
export async function readRun(conn: Pick<ClusterTransport, 'files'>, files: RunFiles): Promise<Run> {
  const sftp = await conn.files();
  const [script, log] = await Promise.all([readRemoteFile(sftp, files.script), readRemoteFile(sftp, files.log)]);
  const splitter = new LogLineSplitter();
  const lines = splitter.push(log);
  lines.push(splitter.pending);
  const { script: _s, log: _l, ...run } = files;
  return { ...run, seqLength: seqLengthOfScript(script.toString('utf8')), points: runPoints(files.kind, lines) };
}
