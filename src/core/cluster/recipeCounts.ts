import { abortable, throwIfAborted } from '../cancellation';
import type { IndexCount } from '../recipe/resolve';
import type { ClusterConnection } from './connection';
import { countRemoteDatasets } from './remoteDatasets';

/**
 * Counts, on the cluster, the datasets that recipes name: each `{local, remote}` pair maps the
 * prefix as the recipes resolve it to its path on the cluster. Returns counts keyed by local prefix
 * (for RecipeCatalog.setRemoteCounts) and the problems, each naming its dataset. Aborted, it
 * rejects with the signal's reason and returns no counts at all, never some of them.
 */
export async function countDatasetsOnCluster(
  connection: ClusterConnection,
  datasets: readonly { local: string; remote: string }[],
  options: { signal?: AbortSignal } = {},
): Promise<{ counts: Map<string, IndexCount>; problems: string[] }> {
  throwIfAborted(options.signal);
  const sftp = await abortable(connection.sftp(), options.signal);
  const results = await countRemoteDatasets(
    sftp,
    datasets.map((d) => d.remote),
    { signal: options.signal },
  );
  const counts = new Map<string, IndexCount>();
  const problems: string[] = [];
  results.forEach((r, i) => {
    if (r.ok) counts.set(datasets[i].local, { ok: true, tokens: r.info.tokens, onCluster: connection.name });
    else {
      counts.set(datasets[i].local, { ok: false, message: `on ${connection.name}: ${r.error}` });
      problems.push(r.error);
    }
  });
  return { counts, problems };
}
