/**
 * Recipe resolution at sizes no study has but a hostile or generated workspace can: one recipe of
 * 50,000 sources, and a chain of 10,000 recipes each extending the last. Parsing (the yaml
 * library's cost) is done before timing; what is timed is resolveRecipes, with the heap it keeps.
 *   npm run bench:recipes
 */
import { performance } from 'node:perf_hooks';
import type { RecipeDocument } from '../src/core/recipe/model';
import { parseRecipe } from '../src/core/recipe/parse';
import { resolveRecipes } from '../src/core/recipe/resolve';

function wide(n: number): RecipeDocument[] {
  const lines = ['name: Wide', 'tokenizer: t', 'sources:'];
  for (let i = 0; i < n; i++) lines.push(`  - {id: s${i}, language: en, origin: original, tokens: 10}`);
  return [parseRecipe('/wide.recipe.yaml', lines.join('\n'))];
}

function deep(d: number): RecipeDocument[] {
  const docs = [
    parseRecipe(
      '/r0.recipe.yaml',
      'name: R0\ntokenizer: t\nsources:\n  - {id: s0, language: en, origin: original, tokens: 1}\n',
    ),
  ];
  for (let i = 1; i < d; i++)
    docs.push(
      parseRecipe(
        `/r${i}.recipe.yaml`,
        `name: R${i}\nextends: R${i - 1}\nsources:\n  - {id: s${i}, language: ja, origin: original, tokens: 1}\n`,
      ),
    );
  return docs;
}

function measure(label: string, docs: RecipeDocument[]) {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const set = resolveRecipes(docs);
  const ms = performance.now() - t0;
  global.gc?.();
  const kept = process.memoryUsage().heapUsed - before;
  console.log(
    `${label}: ${ms.toFixed(0)} ms, ${set.recipes.size} recipes, heap kept +${(kept / 1e6).toFixed(1)} MB${global.gc ? '' : ' (run with --expose-gc for exact heap)'}`,
  );
  return set;
}

measure('50,000 sources in one recipe', wide(50_000));
measure('10,000-deep extends chain', deep(10_000));
