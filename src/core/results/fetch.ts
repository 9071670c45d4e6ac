import { createHash } from 'node:crypto';
import { readFile, rename, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { ClusterConnection } from '../cluster/connection';
import { downloadAtomic, sftpCall } from '../cluster/sftp';
import type { JobRecord } from '../jobs/registry';

export interface FetchReport {
  readonly fetched: string[];
  readonly unchanged: string[];
  /** Older local files that differed, kept under a new name rather than overwritten. */
  readonly kept: string[];
  readonly problems: string[];
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Copies the result CSVs of a study's completed evaluation jobs into `localDir`
 * (`<model>/<shots>-shot/<file>.csv`, mirroring the cluster). Downloads are atomic; a local file
 * that differs from the new one is kept as `<file>.<timestamp>.bak`, never overwritten.
 */
export async function fetchStudyResults(connection: ClusterConnection, jobs: readonly JobRecord[], localDir: string): Promise<FetchReport> {
  const report: FetchReport = { fetched: [], unchanged: [], kept: [], problems: [] };
  const sftp = await connection.sftp();
  for (const job of jobs) {
    if (job.stage !== 'eval' || !job.resultsDir) continue;
    if (job.state !== 'COMPLETED') {
      report.problems.push(`${job.name}: ${job.state}${job.reason ? ` (${job.reason})` : ''}; no results fetched`);
      continue;
    }
    const list = await sftpCall.readdir(sftp, job.resultsDir).catch(() => []);
    const csvs = list.map((x) => x.filename).filter((f) => f.endsWith('.csv')).sort();
    if (csvs.length === 0) report.problems.push(`${job.name}: no result CSVs in ${job.resultsDir}`);
    const rel = path.join(path.basename(path.dirname(job.resultsDir)), path.basename(job.resultsDir));
    for (const f of csvs) {
      const target = path.join(localDir, rel, f);
      const incoming = `${target}.incoming`;
      await downloadAtomic(sftp, path.posix.join(job.resultsDir, f), incoming);
      const fresh = await readFile(incoming);
      const old = await readFile(target).catch(() => undefined);
      if (old && sha(old) === sha(fresh)) {
        await rename(incoming, target);
        report.unchanged.push(target);
        continue;
      }
      if (old) {
        const stamp = new Date((await stat(target)).mtimeMs).toISOString().replace(/[:.]/g, '-');
        const kept = `${target}.${stamp}.bak`;
        await rename(target, kept);
        report.kept.push(kept);
      }
      await rename(incoming, target);
      report.fetched.push(target);
    }
  }
  return report;
}
