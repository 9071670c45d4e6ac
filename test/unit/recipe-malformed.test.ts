import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadRecipes } from '../../src/core/recipe/loader';
import { FIXTURES } from './helpers';

/**
 * Every case directory under fixtures/malformed holds recipe files whose trailing
 * `# expect: LINE:COL message` comments list exactly the diagnostics the set must produce.
 */
const MALFORMED = path.join(FIXTURES, 'malformed');
const cases = readdirSync(MALFORMED).sort();

test('the malformed corpus has at least 30 cases', () => {
  assert.ok(cases.length >= 30, `${cases.length} cases`);
});

for (const name of cases) {
  test(`malformed recipe: ${name}`, async () => {
    const dir = path.join(MALFORMED, name);
    const expected: string[] = [];
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.recipe.yaml'))) {
      for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/^# expect: (\d+):(\d+) (.*)$/gm)) {
        expected.push(`${f}:${m[1]}:${m[2]} ${m[3].replaceAll('{dir}', dir)}`);
      }
    }
    assert.ok(expected.length > 0, 'case lists no expectation');
    const { set } = await loadRecipes([dir]);
    const actual = set.diagnostics.map(
      (d) => `${path.basename(d.file)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`,
    );
    assert.deepEqual(actual.sort(), expected.sort());
  });
}
