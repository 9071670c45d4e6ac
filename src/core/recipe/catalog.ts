import { stat } from 'node:fs/promises';
import { readIndexedDataset } from '../megatron/indexedDataset';
import type { RecipeDocument } from './model';
import { parseRecipe } from './parse';
import { datasetPaths, resolveRecipes, type IndexCount, type RecipeSet } from './resolve';

/**
 * The recipes of a workspace, kept parsed per file and re-resolved as a set when any changes. Token
 * counts of indexed datasets are cached per prefix until the `.idx` file's size or mtime changes, so
 * editing a recipe never re-reads a multi-gigabyte index.
 */
export class RecipeCatalog {
  private readonly docs = new Map<string, RecipeDocument>();
  private readonly counts = new Map<string, { stamp: string; count: IndexCount }>();

  update(file: string, text: string): void {
    this.docs.set(file, parseRecipe(file, text));
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
    const counts = new Map(await Promise.all(prefixes.map(async (p) => [p, await this.count(p)] as const)));
    return resolveRecipes(docs, counts);
  }

  private async count(prefix: string): Promise<IndexCount> {
    const stamp = await stat(`${prefix}.idx`).then((s) => `${s.size}:${s.mtimeMs}`, () => 'missing');
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
