import { stat } from 'node:fs/promises';
import { readIndexedDataset } from '../megatron/indexedDataset';
import { clusterPrefix } from './blend';
import type { RecipeDocument } from './model';
import { failedRecipe, parseRecipe } from './parse';
import { datasetPath, datasetPaths, type IndexCount, type RecipeSet, resolveRecipes } from './resolve';

/**
 * The recipes of a workspace, kept parsed per file and re-resolved as a set when any changes. Token
 * counts of indexed datasets are cached per prefix until the `.idx` file's size or mtime changes, so
 * editing a recipe never re-reads a multi-gigabyte index.
 */
export class RecipeCatalog {
  private readonly docs = new Map<string, RecipeDocument>();
  private readonly counts = new Map<string, { stamp: string; count: IndexCount }>();
  /** Counts read on the cluster, by local prefix; used where the dataset is not on this machine. */
  private remote = new Map<string, IndexCount>();

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

  async resolve(): Promise<RecipeSet> {
    const docs = [...this.docs.values()];
    const prefixes = datasetPaths(docs);
    const counts = new Map(
      await Promise.all(
        prefixes.map(async (p) => {
          const local = await this.count(p);
          return [p, !local.ok && this.remote.has(p) ? this.remote.get(p)! : local] as const;
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
    const stamp = await stat(`${prefix}.idx`).then(
      (s) => `${s.size}:${s.mtimeMs}`,
      () => 'missing',
    );
    const cached = this.counts.get(prefix);
    if (cached && cached.stamp === stamp) return cached.count;
    let count: IndexCount;
    try {
      count = { ok: true, tokens: (await readIndexedDataset(prefix)).tokens };
    } catch (e) {
      count = { ok: false, message: (e as Error).message };
    }
    this.counts.set(prefix, { stamp, count });
    return count;
  }
}
