import { stat } from 'node:fs/promises';
import { readIndexedDataset } from '../megatron/indexedDataset';
import { describeFsError } from '../regularFile';
import { clusterPrefix } from './blend';
import { CountCache, type FileStamp } from './countCache';
import type { RecipeDocument } from './model';
import { failedRecipe, parseRecipe } from './parse';
import { datasetPath, datasetPaths, type IndexCount, type RecipeSet, resolveRecipes } from './resolve';

/** Where the recipes' datasets live on the cluster: `corpusLab.dataCluster` and `dataRoot`. */
interface DataCluster {
  readonly cluster: string;
  readonly dataRoot: string;
}

type Stamps = { idx: FileStamp; bin?: FileStamp } | { missing: string; absent: boolean };

/**
 * The recipes of a workspace, kept parsed per file and re-resolved as a set when any changes. Token
 * counts of indexed datasets are cached per prefix until the `.idx` or `.bin` changes size or
 * mtime, so editing a recipe never re-reads a multi-gigabyte index; with a count cache, exact counts
 * (local, and those read on the cluster) outlive the window.
 */
export class RecipeCatalog {
  private readonly docs = new Map<string, RecipeDocument>();
  private readonly counts = new Map<string, { stamp: string; count: IndexCount }>();
  /** Counts read on the cluster in this window, by local prefix; used where the dataset is not on this machine. */
  private remote = new Map<string, IndexCount>();
  private dataCluster: DataCluster | undefined;

  constructor(readonly cache = new CountCache()) {}

  update(file: string, text: string): void {
    this.docs.set(file, parseRecipe(file, text));
  }

  /** A file that could not be read (permissions, a FIFO, not UTF-8): its one diagnostic, the others unaffected. */
  fail(file: string, reason: string, line?: number): void {
    this.docs.set(file, failedRecipe(file, reason, line));
  }

  delete(file: string): boolean {
    return this.docs.delete(file);
  }

  get files(): string[] {
    return [...this.docs.keys()];
  }

  /**
   * The cluster whose cached counts stand in for datasets not on this machine (until a count in this
   * window replaces them); `undefined` for none.
   */
  setDataCluster(where: DataCluster | undefined): void {
    this.dataCluster = where;
  }

  async resolve(): Promise<RecipeSet> {
    const docs = [...this.docs.values()];
    const remotePaths = this.dataCluster
      ? new Map(this.remoteDatasets(this.dataCluster.dataRoot).map((d) => [d.local, d.remote]))
      : undefined;
    const counts = new Map(
      await Promise.all(
        datasetPaths(docs).map(async (p) => {
          const local = await this.count(p);
          if (local.ok) return [p, local] as const;
          const here = this.remote.get(p);
          if (here) return [p, here] as const;
          const remote = remotePaths?.get(p);
          const kept = remote && this.dataCluster && this.cache.clusterCount(this.dataCluster.cluster, remote);
          if (local.absent && kept)
            return [
              p,
              { ok: true, tokens: kept.tokens, onCluster: this.dataCluster!.cluster, countedAt: kept.countedAt },
            ] as const;
          return [p, local] as const;
        }),
      ),
    );
    return resolveRecipes(docs, counts);
  }

  /** Where each dataset of the recipes lives on the cluster: relative prefixes under `dataRoot`. */
  remoteDatasets(dataRoot: string): { local: string; remote: string }[] {
    const seen = new Map<string, string>();
    for (const d of this.docs.values()) {
      for (const s of d.sources) {
        if (!s.megatron) continue;
        const local = datasetPath(d.file, s.megatron);
        if (!seen.has(local)) seen.set(local, clusterPrefix(s.megatron, dataRoot));
      }
    }
    return [...seen].map(([local, remote]) => ({ local, remote }));
  }

  /** Replaces the cluster's counts (keyed by local prefix); the next resolve uses them. */
  setRemoteCounts(counts: ReadonlyMap<string, IndexCount>) {
    this.remote = new Map(counts);
  }

  private async count(prefix: string): Promise<IndexCount> {
    const stamps = await stampsOf(prefix);
    const stamp = 'missing' in stamps ? `missing:${stamps.missing}` : JSON.stringify(stamps);
    const held = this.counts.get(prefix);
    if (held && held.stamp === stamp) return held.count;
    let count: IndexCount;
    if ('missing' in stamps && stamps.absent) count = { ok: false, message: stamps.missing, absent: true };
    else {
      const kept = 'idx' in stamps && stamps.bin && this.cache.localTokens(prefix, stamps.idx, stamps.bin);
      if (typeof kept === 'number') count = { ok: true, tokens: kept };
      else {
        try {
          count = { ok: true, tokens: (await readIndexedDataset(prefix)).tokens };
          if ('idx' in stamps && stamps.bin) this.cache.setLocal(prefix, stamps.idx, stamps.bin, count.tokens);
        } catch (e) {
          count = { ok: false, message: (e as Error).message };
        }
      }
    }
    this.counts.set(prefix, { stamp, count });
    return count;
  }
}

/** The stamps of a local dataset's files; an `.idx` that is not there (or a path through a non-directory) is absent. */
async function stampsOf(prefix: string): Promise<Stamps> {
  const of = (file: string) => stat(file).then((s): FileStamp => ({ size: s.size, mtimeMs: s.mtimeMs }));
  try {
    const idx = await of(`${prefix}.idx`);
    return { idx, bin: await of(`${prefix}.bin`).catch(() => undefined) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      missing: `${prefix}.idx: ${describeFsError(e)}`,
      absent: code === 'ENOENT' || code === 'ENOTDIR',
    };
  }
}
