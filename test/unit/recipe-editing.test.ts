import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadRecipes } from '../../src/core/recipe/loader';
import { completionAt, definitionAt } from '../../src/core/recipe/navigation';
import { compareRecipes, comparisonMarkdown } from '../../src/core/recipe/report';
import { PAPER_STUDY } from './helpers';

const file = (name: string) => path.join(PAPER_STUDY, name);
const NEW = file('new.recipe.yaml');

test("go to definition: extends → the parent recipe's name, a removed id → the inherited source's id", async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  // enja-hybrid.recipe.yaml line 5 is "extends: EnJa-Balance", line 7 "  - en-pubmed-abstracts".
  assert.deepEqual(definitionAt(set, file('enja-hybrid.recipe.yaml'), 4, 12), {
    file: file('enja-balance.recipe.yaml'),
    range: { start: { line: 1, character: 6 }, end: { line: 1, character: 18 } },
  });
  assert.deepEqual(definitionAt(set, file('enja-hybrid.recipe.yaml'), 6, 6), {
    file: file('enja-base.recipe.yaml'),
    range: { start: { line: 18, character: 8 }, end: { line: 18, character: 27 } },
  });
  assert.equal(
    definitionAt(set, file('enja-hybrid.recipe.yaml'), 4, 2),
    undefined,
    'the key "extends" itself names nothing',
  );
  assert.equal(definitionAt(set, file('enja-base.recipe.yaml'), 2, 8), undefined, 'a recipe without extends');
});

test('completion of top-level field names leaves out the fields already there', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const c = completionAt(set, NEW, 'name: X\next\nsources: []\n', 1, 3)!;
  assert.deepEqual(c.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } });
  assert.deepEqual(
    c.items.map((i) => [i.label, i.kind, i.insertText]),
    [
      ['description', 'field', 'description: '],
      ['tokenizer', 'field', 'tokenizer: '],
      ['extends', 'field', 'extends: '],
      ['remove', 'field', 'remove: '],
    ],
  );
});

test('completion of parent names: every recipe but this one and its descendants', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const c = completionAt(set, NEW, 'name: X\nextends: En', 1, 11)!;
  assert.deepEqual(c.range, { start: { line: 1, character: 9 }, end: { line: 1, character: 11 } });
  assert.deepEqual(
    c.items.map((i) => i.label),
    ['EnDominant', 'EnJa-Balance', 'EnJa-Base', 'EnJa-Hybrid', 'EnJa-Plus', 'JaDominant'],
  );
  assert.equal(c.items[2].detail, '15.01B · ja 33.4% · en 63.4% · parallel 3.3%');
  // EnDominant's own file: EnJa-Balance, EnJa-Hybrid and EnJa-Plus extend it, so they would make a cycle.
  const own = completionAt(set, file('endominant.recipe.yaml'), 'name: EnDominant\nextends: ', 1, 9)!;
  assert.deepEqual(
    own.items.map((i) => i.label),
    ['EnJa-Base', 'JaDominant'],
  );
});

test('completion of languages, origins and the source fields not yet written', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const text = 'name: X\nextends: EnJa-Base\nsources:\n  - id: a\n    language: \n    origin: mach\n    \n  - id: b\n';
  const lang = completionAt(set, NEW, text, 4, 14)!;
  assert.deepEqual(
    lang.items.map((i) => [i.label, i.kind]),
    [
      ['ja', 'value'],
      ['en', 'value'],
      ['parallel', 'value'],
    ],
  );
  assert.deepEqual(lang.range, { start: { line: 4, character: 14 }, end: { line: 4, character: 14 } });
  const origin = completionAt(set, NEW, text, 5, 16)!;
  assert.deepEqual(
    origin.items.map((i) => i.label),
    ['original', 'machine-translated'],
  );
  assert.deepEqual(origin.range, { start: { line: 5, character: 12 }, end: { line: 5, character: 16 } });
  const fields = completionAt(set, NEW, text, 6, 4)!;
  assert.deepEqual(
    fields.items.map((i) => i.label),
    ['tokens', 'megatron', 'fraction', 'kind'],
    "id, language and origin are written; b's id is another source",
  );
  assert.equal(
    completionAt(set, NEW, 'sources:\n  - id: a\n    tokens: ', 2, 12),
    undefined,
    'a free value: nothing to offer',
  );
  assert.equal(completionAt(set, NEW, '# extends: ', 0, 11), undefined, 'a comment');
});

test('completion of inherited ids under remove, block and flow style, without those already removed', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const block = completionAt(
    set,
    NEW,
    'name: X\nextends: EnJa-Hybrid\nremove:\n  - pmc-ja\n  - pm\nsources: []\n',
    4,
    6,
  )!;
  assert.deepEqual(block.range, { start: { line: 4, character: 4 }, end: { line: 4, character: 6 } });
  assert.deepEqual(
    block.items.map((i) => i.label),
    ['ja-medical', 'en-medical', 'parallel-medical', 'pmc-en', 'ja-textbooks-guidelines', 'pubmed-abstracts-parallel'],
  );
  assert.deepEqual(
    block.items.map((i) => i.kind),
    Array(6).fill('source'),
  );
  assert.equal(block.items[0].detail, 'ja, original, 5.01B from EnJa-Base');
  const flow = completionAt(set, NEW, 'name: X\nextends: "EnJa-Base"\nremove: [ja-medical, en-medical', 2, 31)!;
  assert.deepEqual(flow.range, { start: { line: 2, character: 21 }, end: { line: 2, character: 31 } });
  assert.deepEqual(
    flow.items.map((i) => i.label),
    ['en-medical', 'en-pubmed-abstracts', 'parallel-medical'],
  );
  assert.deepEqual(
    completionAt(set, NEW, 'name: X\nextends: Nowhere\nremove:\n  - ', 3, 4)!.items,
    [],
    'an unknown parent has no ids',
  );
});

test('compare any two recipes: siblings that each declare pmc-ja', async () => {
  const { set } = await loadRecipes([PAPER_STUDY]);
  const cmp = compareRecipes(set, 'EnJa-Plus', 'JaDominant')!;
  assert.equal(cmp.recipe, 'EnJa-Plus');
  assert.equal(cmp.base, 'JaDominant');
  assert.deepEqual(
    [cmp.delta.japanese, cmp.delta.english, cmp.delta.parallel, cmp.delta.total],
    [-13_878_275_000, 28_677_480_000, 0, 14_799_205_000],
  );
  assert.deepEqual(
    cmp.added.map((s) => `${s.definedIn}/${s.id}`),
    ['EnDominant/pmc-en', 'EnJa-Plus/pmc-ja'],
  );
  assert.deepEqual(
    cmp.removed.map((s) => `${s.definedIn}/${s.id}`),
    ['JaDominant/pmc-ja'],
  );
  const md = comparisonMarkdown(cmp, set);
  assert.match(md, /^### EnJa-Plus vs JaDominant\n/);
  assert.match(md, /\| Japanese tokens \| 32\.77B \| 18\.89B \| −13\.88B \|/);
  assert.match(
    md,
    /\n- added \*\*pmc-en\*\* \(en, original\): \+28\.68B\n- added \*\*pmc-ja\*\* of EnJa-Plus \(ja, machine-translated\): \+13\.88B\n- removed \*\*pmc-ja\*\* of JaDominant \(ja, machine-translated\): −27\.76B$/,
  );
  assert.equal(compareRecipes(set, 'EnJa-Plus', 'Nowhere'), undefined);
});
