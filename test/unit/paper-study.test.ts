import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { exportBlend } from '../../src/core/recipe/blend';
import { loadRecipes } from '../../src/core/recipe/loader';
import { PAPER_STUDY } from './helpers';

/**
 * Table C.1 prints token counts cut (not rounded) to 0.01B and ratios rounded to 0.01%: every total
 * there is J + E + P + 0.02B, which rounding cannot produce. The example reproduces all 42 numbers
 * under that convention (see examples/paper-study/README.md).
 */
const truncate2 = (billions: number) => Math.floor(billions * 100 + 1e-9) / 100;
const round2 = (x: number) => Math.round(x * 100) / 100;

const table = readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','));

test('the paper study reproduces Table C.1 to its two decimals', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  assert.deepEqual(set.diagnostics, []);
  assert.equal(table.length, 6);
  for (const [corpus, total, ja, en, par, jaPct, enPct, parPct] of table) {
    const s = set.recipes.get(corpus)?.statistics;
    assert.ok(s, corpus);
    assert.deepEqual(
      [
        truncate2(s.total / 1e9),
        truncate2(s.japanese / 1e9),
        truncate2(s.english / 1e9),
        truncate2(s.parallel / 1e9),
        round2(s.japaneseRatio * 100),
        round2(s.englishRatio * 100),
        round2(s.parallelRatio * 100),
      ],
      [total, ja, en, par, jaPct, enPct, parPct].map(Number),
      corpus,
    );
  }
});

test('the paper study has the exact token counts of its additive design', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const get = (n: string) => set.recipes.get(n)!.statistics;
  assert.deepEqual(get('EnJa-Base'), {
    total: 15_006_770_000,
    japanese: 5_009_210_000,
    english: 9_508_760_000,
    parallel: 488_800_000,
    japaneseRatio: 5_009_210_000 / 15_006_770_000,
    englishRatio: 9_508_760_000 / 15_006_770_000,
    parallelRatio: 488_800_000 / 15_006_770_000,
  });
  // EnJa-Plus = EnDominant + half of the translated PMC.
  assert.equal(get('EnJa-Plus').japanese - get('EnDominant').japanese, 27_756_550_000 / 2);
  // EnJa-Hybrid = EnJa-Balance + 3.35090B ja + 6.58614B parallel − 1.75703B English abstracts.
  assert.equal(get('EnJa-Hybrid').japanese - get('EnJa-Balance').japanese, 3_350_900_000);
  assert.equal(get('EnJa-Hybrid').parallel - get('EnJa-Balance').parallel, 6_586_140_000);
  assert.equal(get('EnJa-Hybrid').english - get('EnJa-Balance').english, -1_757_030_000);
  assert.deepEqual([...set.recipes.values()].map((r) => [r.name, r.parent ?? null]).sort(), [
    ['EnDominant', 'EnJa-Base'],
    ['EnJa-Balance', 'EnDominant'],
    ['EnJa-Base', null],
    ['EnJa-Hybrid', 'EnJa-Balance'],
    ['EnJa-Plus', 'EnDominant'],
    ['JaDominant', 'EnJa-Base'],
  ]);
});

test('a recipe exports as a Megatron --data-path blend weighted by tokens after fractions', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const plus = exportBlend(set.recipes.get('EnJa-Plus')!, '/data/corpus');
  assert.ok(plus.ok);
  assert.equal(
    plus.dataPath,
    '5009210000 /data/corpus/ja/medical-base_text_document 7751730000 /data/corpus/en/medical-base_text_document ' +
      '1757030000 /data/corpus/en/pubmed-abstracts_text_document 488800000 /data/corpus/parallel/medical-base_text_document ' +
      '28677480000 /data/corpus/en/pmc-original_text_document 13878275000 /data/corpus/ja/pmc-translated_text_document',
  );
  const hybrid = exportBlend(set.recipes.get('EnJa-Hybrid')!);
  assert.ok(hybrid.ok);
  assert.ok(!hybrid.dataPath.includes('pubmed-abstracts_text_document 1757030000'));
  assert.deepEqual(
    hybrid.entries.map((e) => e.sourceId),
    [
      'ja-medical',
      'en-medical',
      'parallel-medical',
      'pmc-en',
      'pmc-ja',
      'ja-textbooks-guidelines',
      'pubmed-abstracts-parallel',
    ],
  );
  assert.equal(
    hybrid.entries.reduce((a, e) => a + e.weight, 0),
    set.recipes.get('EnJa-Hybrid')!.statistics.total,
  );
});
