import { z } from 'zod';
import { describeFsError, readTextFile } from '../regularFile';
import { writeFileAtomic } from '../report/exportFile';
import { describeIssue } from '../validation';

/**
 * Exact token counts kept with what they were read from, so a window reload does not fall back to
 * declared counts (and a launch to other blend weights). A count holds while the `.idx` and `.bin`
 * it was read from keep their sizes and modification times; a changed file is read again.
 */

const Stamp = z.object({ size: z.number().int().nonnegative(), mtimeMs: z.number().nonnegative() }).strict();
export type FileStamp = z.infer<typeof Stamp>;

const Tokens = z.number().int().nonnegative();
const CountedAt = z.string().datetime();

const LocalEntry = z
  .object({ where: z.literal('local'), prefix: z.string().min(1), idx: Stamp, bin: Stamp, tokens: Tokens })
  .strict();
const ClusterEntry = z
  .object({
    where: z.literal('cluster'),
    cluster: z.string().min(1),
    remote: z.string().min(1),
    idx: Stamp,
    bin: Stamp,
    tokens: Tokens,
    countedAt: CountedAt,
  })
  .strict();
const Entry = z.discriminatedUnion('where', [LocalEntry, ClusterEntry]);
type CacheEntry = z.infer<typeof Entry>;

const COUNT_CACHE_VERSION = 1;
const CacheFile = z.object({ version: z.literal(COUNT_CACHE_VERSION), entries: z.array(Entry) }).strict();

/** A count read on a cluster, as the cache keeps it. */
interface ClusterCount {
  readonly tokens: number;
  readonly countedAt: string;
  readonly idx: FileStamp;
  readonly bin: FileStamp;
}

const sameStamp = (a: FileStamp, b: FileStamp) => a.size === b.size && a.mtimeMs === b.mtimeMs;
const clusterKey = (cluster: string, remote: string) => `${cluster}\0${remote}`;

export class CountCache {
  private readonly local = new Map<string, z.infer<typeof LocalEntry>>();
  private readonly cluster = new Map<string, z.infer<typeof ClusterEntry>>();
  /** True once an entry was added or replaced since the last `serialize`. */
  changed = false;

  constructor(entries: readonly CacheEntry[] = []) {
    for (const e of entries) {
      if (e.where === 'local') this.local.set(e.prefix, e);
      else this.cluster.set(clusterKey(e.cluster, e.remote), e);
    }
  }

  /** The count of a local dataset, if it was read from files with exactly these stamps. */
  localTokens(prefix: string, idx: FileStamp, bin: FileStamp): number | undefined {
    const e = this.local.get(prefix);
    return e && sameStamp(e.idx, idx) && sameStamp(e.bin, bin) ? e.tokens : undefined;
  }

  setLocal(prefix: string, idx: FileStamp, bin: FileStamp, tokens: number): void {
    this.local.set(prefix, { where: 'local', prefix, idx, bin, tokens });
    this.changed = true;
  }

  /** The last count read on `cluster` at `remote`, whatever its files are now (the caller re-stats when it can). */
  clusterCount(cluster: string, remote: string): ClusterCount | undefined {
    return this.cluster.get(clusterKey(cluster, remote));
  }

  /** The count on `cluster` at `remote`, if its files still have these stamps. */
  clusterTokens(cluster: string, remote: string, idx: FileStamp, bin: FileStamp): number | undefined {
    const e = this.clusterCount(cluster, remote);
    return e && sameStamp(e.idx, idx) && sameStamp(e.bin, bin) ? e.tokens : undefined;
  }

  setCluster(cluster: string, remote: string, count: ClusterCount): void {
    const { tokens, countedAt, idx, bin } = count;
    this.cluster.set(clusterKey(cluster, remote), { where: 'cluster', cluster, remote, idx, bin, tokens, countedAt });
    this.changed = true;
  }

  /** The cluster of the most recent count, for a workspace that names no data cluster (it was picked when counting). */
  latestCluster(): string | undefined {
    let latest: { cluster: string; countedAt: string } | undefined;
    for (const e of this.cluster.values()) if (!latest || e.countedAt > latest.countedAt) latest = e;
    return latest?.cluster;
  }

  get size(): number {
    return this.local.size + this.cluster.size;
  }

  serialize(): string {
    this.changed = false;
    const entries = [...this.local.values(), ...this.cluster.values()];
    return `${JSON.stringify({ version: COUNT_CACHE_VERSION, entries }, null, 1)}\n`;
  }

  /**
   * A cache file's text. What is not a valid cache (bad JSON, an unknown version, a field of the
   * wrong type) gives an empty cache and a problem naming the file and the field: counts are then
   * read again, which costs time but never a wrong number.
   */
  static parse(text: string, file: string): { cache: CountCache; problem?: string } {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return { cache: new CountCache(), problem: `${file}: not JSON (${(e as Error).message}); ignored` };
    }
    const parsed = CacheFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const value = issue.path.reduce<unknown>(
        (v, k) => (v as Record<string | number, unknown> | undefined)?.[k],
        json,
      );
      return {
        cache: new CountCache(),
        problem: `${file}: not a token count cache (${describeIssue(issue, value)}); ignored`,
      };
    }
    return { cache: new CountCache(parsed.data.entries) };
  }
}

/** The cache kept in `file`; a missing file is an empty cache, an unreadable or invalid one a problem and an empty cache. */
export async function loadCountCache(file: string): Promise<{ cache: CountCache; problem?: string }> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (e) {
    if (describeFsError(e) === 'no such file') return { cache: new CountCache() };
    return { cache: new CountCache(), problem: `${file}: ${describeFsError(e)}; ignored` };
  }
  return CountCache.parse(text, file);
}

/** Writes the cache atomically (a reload while it is written finds the old file or the new one). */
export async function saveCountCache(file: string, cache: CountCache): Promise<void> {
  await writeFileAtomic(file, cache.serialize());
}
