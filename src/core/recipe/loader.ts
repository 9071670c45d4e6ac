import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { readIndexedDataset } from '../megatron/indexedDataset';
import { describeFsError, FileError, readTextFile } from '../regularFile';
import { RECIPE_FILE_SUFFIX, type RecipeDocument } from './model';
import { failedRecipe, parseRecipe } from './parse';
import { datasetPaths, type IndexCount, type RecipeSet, resolveRecipes } from './resolve';

/**
 * Recipe files under the given files and directories (recursively), sorted and without duplicates.
 * Symbolic links are followed (a linked directory once, so a loop ends); a named input that does
 * not exist is an error naming it, an unreadable directory inside is skipped.
 */
export async function findRecipeFiles(inputs: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const walk = async (dir: string) => {
    const real = await realpath(dir).catch(() => dir);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      const kind = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
      if (kind?.isDirectory()) await walk(p);
      else if (e.name.endsWith(RECIPE_FILE_SUFFIX)) out.add(p); // a dangling link, FIFO or socket is reported when read, by name
    }
  };
  for (const input of inputs) {
    const abs = path.resolve(input);
    let s;
    try {
      // A dangling link is still a recipe file the user has: reported when read, not an error here.
      s = await stat(abs).catch(() => lstat(abs));
    } catch (e) {
      throw new FileError(abs, describeFsError(e));
    }
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
        // Not on this machine (it lives on the cluster): a declared count stands in without a warning.
        const absent = await stat(`${p}.idx`).then(
          () => false,
          (x: NodeJS.ErrnoException) => x.code === 'ENOENT' || x.code === 'ENOTDIR',
        );
        return [p, { ok: false, message: (e as Error).message, absent }];
      }
    }),
  );
  return new Map(entries);
}

/** One recipe file read and parsed; a file that cannot be read is that file's diagnostic, not a throw. */
export async function readRecipe(file: string): Promise<RecipeDocument> {
  try {
    return parseRecipe(file, await readTextFile(file));
  } catch (e) {
    return failedRecipe(
      file,
      e instanceof FileError ? e.reason : describeFsError(e),
      e instanceof FileError ? e.line : undefined,
    );
  }
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
  const docs: RecipeDocument[] = await Promise.all(all.map(readRecipe));
  const counts = await countDatasets(datasetPaths(docs));
  return { set: resolveRecipes(docs, counts), requested };
}
