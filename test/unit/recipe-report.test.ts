import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { RecipeCatalog } from '../../src/core/recipe/catalog';
import { loadRecipes } from '../../src/core/recipe/loader';
import {
  codeLensTitle,
  compareWithParent,
  comparisonMarkdown,
  sourceAt,
  sourceHoverMarkdown,
  statisticsMarkdown,
  summaryLine,
} from '../../src/core/recipe/report';
import { PAPER_STUDY, tempDir } from './helpers';

test('CodeLens, tree and tooltip texts show the real statistics', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const balance = set.recipes.get('EnJa-Balance')!;
  assert.equal(
    codeLensTitle(balance),
    'Σ 71.44B tokens — ja 32.77B (45.86%) · en 38.19B (53.45%) · parallel 488.80M (0.68%)',
  );
  assert.equal(summaryLine(balance.statistics), '71.44B · ja 45.9% · en 53.5% · parallel 0.7%');
  const md = statisticsMarkdown(balance);
  assert.match(md, /\| Japanese tokens \| 32\.77B \(32,765,760,000\) \|/);
  assert.match(md, /\| Parallel ratio \| 0\.68% \|/);
  assert.match(md, /Extends \*\*EnDominant\*\*\./);
});

test('hover on a source gives its contribution after the fraction', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const file = path.join(PAPER_STUDY, 'enja-plus.recipe.yaml');
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes('fraction: 0.5'));
  const hit = sourceAt(set, file, line, 6)!;
  assert.equal(hit.source.id, 'pmc-ja');
  assert.equal(hit.recipe.name, 'EnJa-Plus');
  assert.equal(
    sourceHoverMarkdown(hit.recipe, hit.source),
    '**pmc-ja** — ja, machine-translated, PMC\n\nTokens: 27.76B (declared)\n\nFraction: 0.5 → 13.88B\n\nContribution: 13.88B = 24.11% of EnJa-Plus\n\nDataset: `ja/pmc-translated_text_document`',
  );
  assert.equal(sourceAt(set, file, 0, 0), undefined, 'a comment line is no source');
});

test('compare with parent lists per-language deltas and the sources added and removed', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const cmp = compareWithParent(set, 'EnJa-Hybrid')!;
  assert.equal(cmp.base, 'EnJa-Balance');
  assert.deepEqual(
    [cmp.delta.japanese, cmp.delta.english, cmp.delta.parallel, cmp.delta.total],
    [3_350_900_000, -1_757_030_000, 6_586_140_000, 8_180_010_000],
  );
  assert.deepEqual(
    cmp.added.map((s) => s.id),
    ['ja-textbooks-guidelines', 'pubmed-abstracts-parallel'],
  );
  assert.deepEqual(
    cmp.removed.map((s) => s.id),
    ['en-pubmed-abstracts'],
  );
  const md = comparisonMarkdown(cmp, set);
  assert.match(md, /\| English tokens \| 38\.19B \| 36\.43B \| −1\.76B \|/);
  assert.match(md, /\| Parallel ratio \| 0\.68% \| 8\.89% \| \+8\.20 pt \|/);
  assert.match(md, /- removed \*\*en-pubmed-abstracts\*\* \(en, original\): −1\.76B/);
  assert.equal(compareWithParent(set, 'EnJa-Base'), undefined);
});

test('the catalog re-resolves edits and recounts a dataset only when its index changes', async () => {
  const dir = tempDir();
  const prefix = path.join(dir, 'd');
  writeFileSync(`${prefix}.idx`, encodeIndex([10], [0, 1]));
  writeFileSync(`${prefix}.bin`, Buffer.alloc(20));
  const catalog = new RecipeCatalog();
  const file = path.join(dir, 'a.recipe.yaml');
  catalog.update(file, 'name: A\ntokenizer: t\nsources:\n  - { id: d, language: ja, origin: original, megatron: d }\n');
  assert.equal((await catalog.resolve()).recipes.get('A')!.statistics.total, 10);
  writeFileSync(`${prefix}.idx`, encodeIndex([10, 5], [0, 2]));
  writeFileSync(`${prefix}.bin`, Buffer.alloc(30));
  assert.equal((await catalog.resolve()).recipes.get('A')!.statistics.total, 15);
  catalog.update(
    file,
    'name: A\ntokenizer: t\nsources:\n  - { id: d, language: ja, origin: original, megatron: d, fraction: 0.2 }\n',
  );
  assert.equal((await catalog.resolve()).recipes.get('A')!.statistics.total, 3);
  assert.ok(catalog.delete(file));
  assert.equal((await catalog.resolve()).recipes.size, 0);
});
