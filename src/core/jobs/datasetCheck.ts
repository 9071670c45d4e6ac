import * as path from 'node:path';
import { stampOf } from '../cluster/remoteDatasets';
import { SFTP_NO_SUCH_FILE, sftpCall } from '../cluster/sftp';
import type { RemoteFiles } from '../cluster/transport';
import type { PreparedStudy, StudyLaunch } from './studyLaunch';

/**
 * Every dataset a study's blends name, looked for on the cluster before anything is submitted:
 * Megatron opens `<prefix>.idx` and `<prefix>.bin` only after the job has waited in the queue and
 * loaded the model, so a missing one costs a day's wait and the GPUs' start-up. A relative prefix
 * is refused too: the job runs in its own run directory, where it would not resolve as meant.
 */
export async function missingDatasets(
  sftp: RemoteFiles,
  launch: Pick<StudyLaunch, 'recipes' | 'counted'>,
  prepared: PreparedStudy,
  home: string,
): Promise<string[]> {
  const problems: string[] = [];
  const checks: Promise<void>[] = [];
  for (const job of prepared.jobs) {
    if (job.planned.stage !== 'cpt') continue;
    const words = launch.recipes.find((r) => r.name === job.planned.model)?.dataPath ?? [];
    for (let i = 1; i < words.length; i += 2) {
      const prefix = words[i];
      const abs = prefix.startsWith('$HOME/')
        ? path.posix.join(home, prefix.slice(6))
        : prefix.startsWith('~/')
          ? path.posix.join(home, prefix.slice(2))
          : prefix;
      if (!path.posix.isAbsolute(abs)) {
        problems.push(
          `${job.planned.key}: the blend's dataset "${prefix}" is a relative path, which the job (run in its own directory) would not find: set corpusLab.dataRoot`,
        );
        continue;
      }
      checks.push(
        (async () => {
          const counted = launch.counted?.(prefix);
          for (const ext of ['idx', 'bin'] as const) {
            try {
              const st = await sftpCall.stat(sftp, `${abs}.${ext}`);
              if (!st.isFile()) problems.push(`${job.planned.key}: ${abs}.${ext} on the cluster is not a regular file`);
              const then = counted?.[ext];
              const now = stampOf(st);
              if (then && (then.size !== now.size || then.mtimeMs !== now.mtimeMs))
                problems.push(
                  `${job.planned.key}: ${abs}.${ext} changed on the cluster since its tokens were counted (${counted!.countedAt}: ${then.size} bytes, now ${st.size}): the blend's weights came from that count; count again (Count Dataset Tokens on Cluster)`,
                );
            } catch (e) {
              const code = (e as { code?: number }).code;
              problems.push(
                code === SFTP_NO_SUCH_FILE
                  ? `${job.planned.key}: the blend's dataset ${abs} is missing on the cluster (no ${abs}.${ext})`
                  : `${job.planned.key}: cannot check ${abs}.${ext} on the cluster: ${(e as Error).message}`,
              );
              return;
            }
          }
        })(),
      );
    }
  }
  await Promise.all(checks);
  return [...new Set(problems)].sort();
}
