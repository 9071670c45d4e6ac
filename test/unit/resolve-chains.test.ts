import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecipe } from '../../src/core/recipe/parse';
import { resolveRecipes } from '../../src/core/recipe/resolve';

const recipe = (file: string, text: string) => parseRecipe(file, text);

test('remove, replace and re-add along a chain: each recipe has exactly the sources its chain leaves it', () => {
  const set = resolveRecipes([
    recipe(
      '/a',
      'name: A\ntokenizer: t\nsources:\n  - {id: x, language: en, origin: original, tokens: 1}\n  - {id: y, language: ja, origin: original, tokens: 2}\n',
    ),
    recipe(
      '/b',
      'name: B\nextends: A\nremove: [x]\nsources:\n  - {id: z, language: parallel, origin: original, tokens: 4}\n',
    ),
    recipe(
      '/c',
      'name: C\nextends: B\nremove: [y]\nsources:\n  - {id: y, language: en, origin: original, tokens: 8}\n  - {id: x, language: ja, origin: original, tokens: 16}\n',
    ),
    recipe('/d', 'name: D\nextends: C\nsources:\n  - {id: x, language: ja, origin: original, tokens: 32}\n'),
    recipe('/e', 'name: E\nextends: D\nremove: [x, z, w]\n'),
  ]);
  const view = (n: string) => set.recipes.get(n)?.sources.map((s) => `${s.id}:${s.definedIn}:${s.tokens}`);
  assert.deepEqual(view('A'), ['x:A:1', 'y:A:2']);
  assert.deepEqual(view('B'), ['y:A:2', 'z:B:4']);
  assert.deepEqual(view('C'), ['z:B:4', 'y:C:8', 'x:C:16']);
  assert.deepEqual(view('D'), ['z:B:4', 'y:C:8', 'x:C:16']);
  assert.deepEqual(view('E'), ['y:C:8']);
  assert.deepEqual(
    set.diagnostics.map((d) => `${d.file}:${d.range.start.line + 1} ${d.message}`),
    [
      '/d:4 source id "x" is already inherited from "C"; add it to "remove" to replace it',
      '/e:3 cannot remove "w": parent "D" has no source with that id (did you mean "z"?)',
    ],
  );
  assert.deepEqual([set.recipes.get('C')!.statistics.total, set.recipes.get('C')!.statistics.english], [28, 8]);
});

test('a 5,000-deep extends chain resolves without recursion, each level adding one source', () => {
  const docs = [
    recipe('/r0', 'name: R0\ntokenizer: t\nsources:\n  - {id: s0, language: en, origin: original, tokens: 3}\n'),
  ];
  for (let i = 1; i < 5000; i++)
    docs.push(
      recipe(
        `/r${i}`,
        `name: R${i}\nextends: R${i - 1}\nsources:\n  - {id: s${i}, language: ${i % 2 ? 'ja' : 'en'}, origin: original, tokens: ${i}}\n`,
      ),
    );
  const set = resolveRecipes(docs.reverse());
  assert.deepEqual(set.diagnostics, []);
  const last = set.recipes.get('R4999')!;
  assert.equal(last.sources.length, 5000);
  assert.equal(last.statistics.total, 3 + (4999 * 5000) / 2);
  assert.equal(last.statistics.japanese, 2500 * 2500); // the odd numbers below 5000
  assert.equal(last.complete, true);
});

test('a cycle deep in a long chain is reported once per member, and what extends it cannot resolve', () => {
  const docs = [
    recipe('/a', 'name: A\nextends: B\ntokenizer: t\nsources: []\n'),
    recipe('/b', 'name: B\nextends: A\nsources: []\n'),
    recipe('/c', 'name: C\nextends: A\nsources: []\n'),
  ];
  const set = resolveRecipes(docs);
  assert.deepEqual(set.diagnostics.map((d) => `${d.file} ${d.message}`).sort(), [
    '/a "extends" forms a cycle: A → B → A',
    '/b "extends" forms a cycle: A → B → A',
    '/c parent recipe "A" cannot be resolved; see its diagnostics',
  ]);
});
