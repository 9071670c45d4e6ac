import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { abortable, isCancelled, throwIfAborted } from '../cancellation';
import { downloadAtomic, sftpCall } from '../cluster/sftp';
import type { ClusterTransport, RemoteFiles } from '../cluster/transport';
import { labelProblem } from '../jobs/labels';
import type { JobRecord } from '../jobs/registry';
import { hasUnsafeChars, printable } from '../printable';

export interface FetchOptions {
  /** Aborted: no further file is started, the one in transit is dropped, and the call rejects with the reason. */
  readonly signal?: AbortSignal;
  /** Each result file once it is in place (fetched, unchanged or its old version kept). */
  readonly onFile?: (file: string) => void;
}

export interface FetchReport {
  readonly fetched: string[];
  readonly unchanged: string[];
  /** Older local files that differed, kept under a new name rather than overwritten. */
  readonly kept: string[];
  readonly problems: string[];
}

/** A file's SHA-256, read as a stream: result files can be large, and only their identity matters. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Whether a directory entry the cluster listed is a result file to take: a plain `*.csv` name, not
 * hidden, no path separator, no control characters. The names come from the server; `../x.csv`
 * from a hostile or broken one must not become a path here.
 */
export function isPlainCsvName(name: string): boolean {
  return /^[^./\\][^/\\]*\.csv$/.test(name) && !hasUnsafeChars(name) && name !== '..';
}

/** Whether `target` lies strictly inside `folder` (both resolved, no `..` escaping it). */
export function isInside(folder: string, target: string): boolean {
  const rel = path.relative(path.resolve(folder), path.resolve(target));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Where a job's results go locally: `<localDir>/<model>/<shots>-shot`, the last two parts of its results directory. */
export function localResultsDir(job: Pick<JobRecord, 'resultsDir' | 'name'>, localDir: string): string {
  const dir = job.resultsDir!;
  const parts = [path.posix.basename(path.posix.dirname(dir)), path.posix.basename(dir)];
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..' || hasUnsafeChars(p) || p.includes('\\'))
      throw new Error(`${job.name}: results directory ${printable(dir)} does not end in <model>/<shots>-shot`);
  }
  const target = path.join(localDir, ...parts);
  if (!isInside(localDir, target))
    throw new Error(`${job.name}: ${printable(dir)} would be fetched outside ${localDir}`);
  return target;
}

/**
 * Copies the result CSVs of a study's completed evaluation jobs into `localDir`
 * (`<model>/<shots>-shot/<file>.csv`, mirroring the cluster). Downloads are atomic; a local file
 * that differs from the new one is kept as `<file>.<timestamp>.bak`, never overwritten. Every
 * target is checked to stay inside `localDir`, after symbolic links, before anything is written.
 * Aborted, it stops between files and rejects with the signal's reason: each file is then either
 * its old self or wholly the new one, and no temporary file is left.
 */
export async function fetchStudyResults(
  connection: ClusterTransport,
  jobs: readonly JobRecord[],
  localDir: string,
  options: FetchOptions = {},
): Promise<FetchReport> {
  const { signal } = options;
  const report: FetchReport = { fetched: [], unchanged: [], kept: [], problems: [] };
  throwIfAborted(signal);
  const sftp = await abortable(connection.files(), signal);
  for (const job of jobs) {
    throwIfAborted(signal);
    if (job.stage !== 'eval' || !job.resultsDir) continue;
    if (job.state !== 'COMPLETED') {
      report.problems.push(`${job.name}: ${job.state}${job.reason ? ` (${job.reason})` : ''}; no results fetched`);
      continue;
    }
    const studyProblem = labelProblem(job.study);
    if (studyProblem) {
      report.problems.push(`${job.name}: study ${studyProblem}; no results fetched`);
      continue;
    }
    let dir: string;
    try {
      dir = localResultsDir(job, localDir);
    } catch (e) {
      report.problems.push((e as Error).message);
      continue;
    }
    const list = await abortable(
      sftpCall.readdir(sftp, job.resultsDir).catch(() => []),
      signal,
    );
    const names = list.map((x) => x.filename);
    for (const n of names.filter((f) => f.endsWith('.csv') && !isPlainCsvName(f)).sort())
      report.problems.push(`${job.name}: skipped "${printable(n)}": not a plain file name`);
    const csvs = names.filter(isPlainCsvName).sort();
    if (csvs.length === 0) {
      report.problems.push(`${job.name}: no result CSVs in ${job.resultsDir}`);
      continue;
    }
    // A symbolic link in the workspace (results/<study>/<model> → ~/.ssh) must not carry the files elsewhere.
    const link = await linkOnTheWay(localDir, dir);
    if (link) {
      report.problems.push(`${job.name}: ${link} is a symbolic link or not a directory; no results fetched through it`);
      continue;
    }
    await mkdir(dir, { recursive: true });
    for (const f of csvs) {
      throwIfAborted(signal);
      try {
        await fetchOne(sftp, path.posix.join(job.resultsDir, f), path.join(dir, f), report, signal);
        options.onFile?.(path.join(dir, f));
      } catch (e) {
        if (isCancelled(e)) throw e;
        report.problems.push(`${job.name}: ${f}: ${(e as Error).message}`);
      }
    }
  }
  return report;
}

/** The first existing path from `folder` down to `dir` that is a symbolic link or not a directory. */
async function linkOnTheWay(folder: string, dir: string): Promise<string | undefined> {
  let at = folder;
  for (const part of path.relative(folder, dir).split(path.sep)) {
    at = path.join(at, part);
    const s = await lstat(at).catch(() => undefined);
    if (!s) return undefined;
    if (!s.isDirectory()) return at;
  }
  return undefined;
}

async function fetchOne(
  sftp: RemoteFiles,
  remote: string,
  target: string,
  report: FetchReport,
  signal: AbortSignal | undefined,
) {
  const old = await lstat(target).catch(() => undefined);
  if (old && !old.isFile()) throw new Error(`${target} exists and is not a regular file; left alone`);
  const incoming = `${target}.incoming`;
  const transfer = downloadAtomic(sftp, remote, incoming);
  try {
    await abortable(transfer, signal);
  } catch (e) {
    // SFTP cannot stop a transfer: the caller stops waiting now, and the file it leaves goes when it ends.
    if (isCancelled(e)) void transfer.then(() => unlink(incoming)).catch(() => undefined);
    throw e;
  }
  if (old && (await hashFile(target)) === (await hashFile(incoming))) {
    await rename(incoming, target);
    report.unchanged.push(target);
    return;
  }
  if (old) {
    const kept = `${target}.${new Date(old.mtimeMs).toISOString().replace(/[:.]/g, '-')}.bak`;
    try {
      await rename(target, kept);
    } catch (e) {
      await unlink(incoming).catch(() => undefined);
      throw e;
    }
    report.kept.push(kept);
  }
  await rename(incoming, target);
  report.fetched.push(target);
}
