import { readFile, stat, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { readIndexedDataset } from '../megatron/indexedDataset';
import { RECIPE_FILE_SUFFIX, type RecipeDocument } from './model';
import { parseRecipe } from './parse';
import { datasetPaths, resolveRecipes, type IndexCount, type RecipeSet } from './resolve';

/** Recipe files under the given files and directories (recursively), sorted and without duplicates. */
export async function findRecipeFiles(inputs: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith(RECIPE_FILE_SUFFIX)) out.add(p);
    }
  };
  for (const input of inputs) {
    const abs = path.resolve(input);
    const s = await stat(abs);
    if (s.isDirectory()) await walk(abs);
    else out.add(abs);
  }
  return [...out].sort();
}

/** Counts every dataset in parallel; a failure is a value, not a throw, so one bad shard names itself. */
export async function countDatasets(prefixes: readonly string[]): Promise<Map<string, IndexCount>> {
  const entries = await Promise.all(
    prefixes.map(async (p): Promise<[string, IndexCount]> => {
      try {
        return [p, { ok: true, tokens: (await readIndexedDataset(p)).tokens }];
      } catch (e) {
        return [p, { ok: false, message: (e as Error).message }];
      }
    }),
  );
  return new Map(entries);
}

export interface LoadedRecipes {
  readonly set: RecipeSet;
  /** The files the caller asked for; siblings are read too, so that `extends` finds its parents. */
  readonly requested: readonly string[];
}

/**
 * Loads recipes from files and directories. A file's siblings in its directory are parsed as well:
 * `corpus-lab stats enja-plus.recipe.yaml` must find the EnDominant it extends.
 */
export async function loadRecipes(inputs: readonly string[]): Promise<LoadedRecipes> {
  const requested = await findRecipeFiles(inputs);
  const dirs = [...new Set(requested.map((f) => path.dirname(f)))];
  const all = await findRecipeFiles([...requested, ...dirs]);
  const docs: RecipeDocument[] = await Promise.all(all.map(async (f) => parseRecipe(f, await readFile(f, 'utf8'))));
  const counts = await countDatasets(datasetPaths(docs));
  return { set: resolveRecipes(docs, counts), requested };
}
