import { abortable, throwIfAborted } from '../cancellation';
import { countRemoteDatasets, statRemoteDatasets } from '../cluster/remoteDatasets';
import type { ClusterTransport } from '../cluster/transport';
import type { CountCache } from './countCache';
import type { IndexCount } from './resolve';

interface ClusterCounts {
  /** By local prefix, for RecipeCatalog.setRemoteCounts: every dataset asked about, counted or not. */
  readonly counts: Map<string, IndexCount>;
  /** One line per dataset that could not be counted, naming it and why. */
  readonly problems: string[];
  /** Remote prefixes whose counts came from the cache: their files' sizes and times had not changed. */
  readonly reused: string[];
}

/**
 * Counts, on the cluster, the datasets that recipes name: each `{local, remote}` pair maps the
 * prefix as the recipes resolve it to its path on the cluster. With a cache, one batch of stats
 * comes first and only datasets whose `.idx` or `.bin` changed since their cached count are read;
 * the cache gets every new count. Aborted, it rejects with the signal's reason and returns no
 * counts at all, never some of them.
 */
export async function countDatasetsOnCluster(
  connection: ClusterTransport,
  datasets: readonly { local: string; remote: string }[],
  options: { cache?: CountCache; signal?: AbortSignal; now?: () => Date } = {},
): Promise<ClusterCounts> {
  const { cache, signal, now = () => new Date() } = options;
  throwIfAborted(signal);
  const sftp = await abortable(connection.files(), signal);
  const cluster = connection.name;
  const counts = new Map<string, IndexCount>();
  const reused: string[] = [];
  let toRead = datasets;
  if (cache) {
    const stamps = await abortable(
      statRemoteDatasets(
        sftp,
        datasets.map((d) => d.remote),
      ),
      signal,
    );
    toRead = datasets.filter((d, i) => {
      const st = stamps[i];
      const tokens = st && cache.clusterTokens(cluster, d.remote, st.idx, st.bin);
      if (tokens === undefined) return true;
      counts.set(d.local, { ok: true, tokens, onCluster: cluster });
      reused.push(d.remote);
      return false;
    });
  }
  const results = await countRemoteDatasets(
    sftp,
    toRead.map((d) => d.remote),
    { signal },
  );
  const problems: string[] = [];
  const countedAt = now().toISOString();
  results.forEach((r, i) => {
    const d = toRead[i];
    if (r.ok) {
      counts.set(d.local, { ok: true, tokens: r.info.tokens, onCluster: cluster });
      cache?.setCluster(cluster, d.remote, { tokens: r.info.tokens, countedAt, idx: r.idx, bin: r.bin });
    } else {
      counts.set(d.local, { ok: false, message: `on ${cluster}: ${r.error}`, onCluster: cluster });
      problems.push(r.error);
    }
  });
  return { counts, problems, reused };
}
