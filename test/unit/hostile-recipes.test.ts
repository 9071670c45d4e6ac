import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { RecipeCatalog } from '../../src/core/recipe/catalog';
import { loadRecipes } from '../../src/core/recipe/loader';
import { ROOT, tempDir } from './helpers';

/**
 * test/hostile/recipes: each case directory holds recipe files whose `# expect: [FILE] LINE:COL message`
 * comments list exactly the diagnostics the set must produce (FILE defaults to the file holding the
 * comment). It grows with every hostile input found.
 */
const HOSTILE = path.join(ROOT, 'test', 'hostile', 'recipes');

for (const name of readdirSync(HOSTILE).sort()) {
  test(`hostile recipe: ${name}`, async () => {
    const dir = path.join(HOSTILE, name);
    const expected: string[] = [];
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.recipe.yaml'))) {
      let text: string;
      try {
        text = readFileSync(path.join(dir, f), 'latin1');
      } catch {
        continue; // the dangling link itself
      }
      for (const m of text.matchAll(/^# expect: (?:(\S+\.recipe\.yaml) )?(\d+):(\d+) (.*)$/gm))
        expected.push(`${m[1] ?? f}:${m[2]}:${m[3]} ${m[4]}`);
    }
    assert.ok(expected.length > 0, 'case lists no expectation');
    const { set } = await loadRecipes([dir]);
    const actual = set.diagnostics.map(
      (d) => `${path.basename(d.file)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`,
    );
    assert.deepEqual(actual.sort(), expected.sort());
  });
}

test('an alias bomb beside a good recipe costs only itself: the good one keeps its statistics', async () => {
  const { set, requested } = await loadRecipes([path.join(HOSTILE, '06-alias-bomb', 'good.recipe.yaml')]);
  assert.deepEqual(requested, [path.join(HOSTILE, '06-alias-bomb', 'good.recipe.yaml')]);
  assert.equal(set.recipes.get('Good')?.statistics.japanese, 1e9);
  assert.equal(set.recipes.get('Good')?.complete, true);
});

test('a FIFO named as a recipe or an index is refused at once, by name, and its siblings still load', async () => {
  const dir = tempDir();
  execFileSync('mkfifo', [path.join(dir, 'pipe.recipe.yaml')]);
  execFileSync('mkfifo', [path.join(dir, 'ds.idx')]);
  writeFileSync(path.join(dir, 'ds.bin'), '');
  writeFileSync(
    path.join(dir, 'good.recipe.yaml'),
    'name: Good\ntokenizer: t\nsources:\n  - {id: x, language: en, origin: original, megatron: ds, tokens: 5}\n  - {id: y, language: ja, origin: original, megatron: ds}\n',
  );
  const { set } = await loadRecipes([path.join(dir, 'good.recipe.yaml')]);
  assert.deepEqual(
    set.diagnostics.map((d) => `${path.basename(d.file)}:${d.range.start.line + 1} ${d.message}`),
    [
      `pipe.recipe.yaml:1 cannot read this recipe: is a FIFO (named pipe), not a regular file`,
      // Declared tokens stand in, but the index that could not be read is still named.
      `good.recipe.yaml:4 cannot count tokens of "ds": ${path.join(dir, 'ds.idx')}: is a FIFO (named pipe), not a regular file; the declared 5 stands in`,
      `good.recipe.yaml:5 cannot count tokens of "ds": ${path.join(dir, 'ds.idx')}: is a FIFO (named pipe), not a regular file`,
    ],
  );
  // The catalog (the editor's side) refuses the same way.
  const catalog = new RecipeCatalog();
  catalog.update(path.join(dir, 'good.recipe.yaml'), readFileSync(path.join(dir, 'good.recipe.yaml'), 'utf8'));
  assert.deepEqual(
    (await catalog.resolve()).diagnostics.map((d) => `${d.severity} ${d.message}`),
    [
      `warning cannot count tokens of "ds": ${path.join(dir, 'ds.idx')}: is a FIFO (named pipe), not a regular file; the declared 5 stands in`,
      `error cannot count tokens of "ds": ${path.join(dir, 'ds.idx')}: is a FIFO (named pipe), not a regular file`,
    ],
  );
});

test('symbolic links to recipes and datasets are followed, a linked directory loop ends', async () => {
  const dir = tempDir();
  const real = path.join(dir, 'real');
  mkdirSync(real);
  writeFileSync(
    path.join(real, 'base.yaml'),
    'name: Base\ntokenizer: t\nsources:\n  - {id: x, language: en, origin: original, megatron: ../data/ds}\n',
  );
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'ds.idx'), encodeIndex([3, 4], [0, 2]));
  writeFileSync(path.join(dir, 'data', 'ds.bin'), Buffer.alloc(14));
  const ws = path.join(dir, 'ws');
  mkdirSync(ws);
  symlinkSync(path.join(real, 'base.yaml'), path.join(ws, 'base.recipe.yaml'));
  symlinkSync(ws, path.join(ws, 'loop'));
  symlinkSync(path.join(dir, 'data'), path.join(ws, 'data'));
  writeFileSync(
    path.join(ws, 'child.recipe.yaml'),
    'name: Child\nextends: Base\nsources:\n  - {id: y, language: ja, origin: original, tokens: 10}\n',
  );
  const { set } = await loadRecipes([ws]);
  assert.deepEqual(set.diagnostics, []);
  assert.equal(set.recipes.get('Base')?.statistics.total, 7);
  assert.equal(set.recipes.get('Child')?.statistics.total, 17);
});
