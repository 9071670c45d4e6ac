import type { IndexCount } from '../recipe/resolve';
import { countRemoteDatasets } from './remoteDatasets';
import type { ClusterTransport } from './transport';

/**
 * Counts, on the cluster, the datasets that recipes name: each `{local, remote}` pair maps the
 * prefix as the recipes resolve it to its path on the cluster. Returns counts keyed by local prefix
 * (for RecipeCatalog.setRemoteCounts) and the problems, each naming its dataset.
 */
export async function countDatasetsOnCluster(
  connection: ClusterTransport,
  datasets: readonly { local: string; remote: string }[],
): Promise<{ counts: Map<string, IndexCount>; problems: string[] }> {
  const sftp = await connection.files();
  const results = await countRemoteDatasets(
    sftp,
    datasets.map((d) => d.remote),
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
