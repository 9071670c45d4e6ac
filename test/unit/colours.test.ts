import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TASKS } from '../../src/core/results/jmedbench';
import { CATEGORY_COLOURS, categoryColour, LANGUAGE_COLOURS, languageColour } from '../../src/protocol/colours';
import { ROOT } from './helpers';

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string) =>
  (Math.max(luminance(a), luminance(b)) + 0.05) / (Math.min(luminance(a), luminance(b)) + 0.05);

test('every JMedBench category and language has its own fixed colour, readable on the light and the dark theme', () => {
  const categories = [...new Set(Object.values(TASKS).map((t) => t.category))].sort();
  assert.deepEqual(Object.keys(CATEGORY_COLOURS).sort(), categories);
  const all = [...Object.values(CATEGORY_COLOURS), ...Object.values(LANGUAGE_COLOURS)];
  assert.equal(new Set(all).size, all.length, 'no two share a colour');
  for (const c of all) {
    assert.ok(
      contrast(c, '#ffffff') >= 2 && contrast(c, '#1e1e1e') >= 2,
      `${c}: ${contrast(c, '#ffffff').toFixed(2)} on white, ${contrast(c, '#1e1e1e').toFixed(2)} on dark`,
    );
  }
  // Fixed by name, not by the order categories appear in a study.
  assert.equal(categoryColour('NER'), '#D55E00');
  assert.equal(languageColour('Japanese'), '#BB5566');
  assert.equal(categoryColour('Custom'), categoryColour('Custom'));
});

test('the panels colour by name from the shared palette, never by position', () => {
  for (const f of ['webview/correlations.ts', 'webview/scores.ts']) {
    const text = readFileSync(path.join(ROOT, f), 'utf8');
    assert.doesNotMatch(text, /PALETTE\[i/, `${f} colours by position`);
  }
});
