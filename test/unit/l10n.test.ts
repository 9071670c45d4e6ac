import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { MESSAGE_TEMPLATES } from '../../src/core/analysis/messages';
import { STATISTIC_NAMES, type StatisticId } from '../../src/core/analysis/statistics';
import { DEFAULT_LABELS } from '../../src/core/analysis/views';
import { FIGURE_STRINGS, figureText } from '../../src/core/report/figure';
import { PANEL_STRINGS } from '../../src/protocol/panels';
import { ROOT } from './helpers';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Every string the extension passes to vscode.l10n.t, as written (single- or double-quoted literals). */
function l10nStrings(): Set<string> {
  const out = new Set<string>();
  for (const f of sources(path.join(ROOT, 'src', 'extension'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) out.add(m[1].replace(/\\'/g, "'"));
    for (const m of text.matchAll(/l10n\.t\(\s*"((?:[^"\\]|\\.)*)"/g)) out.add(m[1].replace(/\\"/g, '"'));
  }
  return out;
}

test('the extractor reads both quote styles', () => {
  const strings = l10nStrings();
  assert.ok(strings.has("paper's (df = n − 2)"), 'double-quoted literal not extracted');
  assert.ok(strings.has('Export CSV'));
});

test('every user-facing string of the extension has a Japanese translation', () => {
  const ja = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
  const used = l10nStrings();
  assert.ok(used.size >= 10, `found only ${used.size} strings: the extractor is broken`);
  assert.deepEqual(
    [...used].filter((s) => !(s in ja)),
    [],
    'missing in l10n/bundle.l10n.ja.json',
  );
  assert.deepEqual(
    Object.keys(ja).filter((s) => !used.has(s)),
    [],
    'stale entries in l10n/bundle.l10n.ja.json',
  );
});

test('package.nls.ja.json translates every key of package.nls.json, and package.json uses only known keys', () => {
  const en = JSON.parse(readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8'));
  const ja = JSON.parse(readFileSync(path.join(ROOT, 'package.nls.ja.json'), 'utf8'));
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  const pkg = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
  const keys = [...pkg.matchAll(/"%([\w.]+)%"/g)].map((m) => m[1]);
  assert.ok(keys.length >= 8);
  assert.deepEqual(
    keys.filter((k) => !(k in en)),
    [],
  );
});

/** Every key the analysis panels' pages pass to `t(strings, '…')`, as written (the training chart has its own). */
function pageKeys(): Set<string> {
  const out = new Set<string>();
  const pages = ['scores.ts', 'correlations.ts'].map((f) => path.join(ROOT, 'webview', f));
  // The curve controls belong to the training chart and Compare Runs, which send their own strings (tested with them).
  const libs = sources(path.join(ROOT, 'webview', 'lib')).filter((f) => path.basename(f) !== 'curveControls.ts');
  for (const f of [...pages, ...libs]) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\bt\(\s*strings,\s*'((?:[^'\\]|\\.)*)'/g)) out.add(m[1].replace(/\\'/g, "'"));
    for (const m of text.matchAll(/\bt\(\s*strings,\s*"((?:[^"\\]|\\.)*)"/g)) out.add(m[1].replace(/\\"/g, '"'));
  }
  return out;
}

/** What the extension sends the panels as their strings: the literals panelStrings.ts translates. */
function sentKeys(): Set<string> {
  const text = readFileSync(path.join(ROOT, 'src', 'extension', 'panelStrings.ts'), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) out.add(m[1].replace(/\\'/g, "'"));
  for (const m of text.matchAll(/l10n\.t\(\s*"((?:[^"\\]|\\.)*)"/g)) out.add(m[1].replace(/\\"/g, '"'));
  return out;
}

test('every string the analysis panels show is sent translated and has a Japanese entry', () => {
  const ja = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
  const statisticNames = Object.values(STATISTIC_NAMES);
  // The analysis's messages are rendered in the page from the templates sent with the strings.
  const panel = new Set<string>([
    ...PANEL_STRINGS,
    ...FIGURE_STRINGS,
    ...statisticNames,
    ...Object.values(MESSAGE_TEMPLATES),
  ]);
  const keys = pageKeys();
  assert.ok(keys.size >= 30, `found only ${keys.size} keys in the pages: the extractor is broken`);
  assert.ok(keys.has('Export SVG') && keys.has('Light background for exports'), 'multi-line calls not read');
  // A page key the extension does not send would show in English whatever the language.
  assert.deepEqual(
    [...keys].filter((k) => !panel.has(k)),
    [],
    'page strings that are not panel strings',
  );
  const sent = sentKeys();
  assert.deepEqual(
    [...panel].filter((k) => !sent.has(k)),
    [],
    'panel strings that panelStrings() does not send',
  );
  // Table headers and titles (the labels), statistic names, figure texts: all in Japanese.
  const labels = Object.values(DEFAULT_LABELS).filter((l) => l !== 'r');
  assert.deepEqual(
    [...panel, ...labels].filter((k) => !(k in ja)),
    [],
    'missing in l10n/bundle.l10n.ja.json',
  );
  assert.deepEqual(
    [...panel, ...labels].filter((k) => ja[k] === k),
    [],
    'left in English',
  );
});

test('every text a figure can show is a translated key', () => {
  const ja = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
  const asked = new Set<string>();
  const translate = (key: string, ...args: (string | number)[]) => {
    asked.add(key);
    return (ja[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)]));
  };
  const names = { statistic: (id: string) => translate(STATISTIC_NAMES[id as StatisticId]) };
  for (const id of ['bars', 'statisticsHeatmap', 'tasksHeatmap', 'averages'] as const)
    for (const mode of ['regular', 'partial'] as const)
      for (const pKind of ['paper', 'corrected', 'permutation'] as const)
        for (const covariates of [[], ['total_tokens', 'parallel_ratio']])
          figureText(id, { statistic: 'japanese_ratio', mode, pKind }, names, covariates, translate);
  assert.ok(asked.size >= 15, `only ${asked.size} keys asked`);
  assert.deepEqual(
    [...asked].filter((k) => !(k in ja)),
    [],
  );
  const bars = figureText(
    'bars',
    { statistic: 'japanese_ratio', mode: 'partial', pKind: 'corrected' },
    names,
    ['total_tokens'],
    translate,
  );
  assert.equal(bars.title, '日本語トークン比率: タスク別の 偏相関係数 r');
  assert.deepEqual(bars.subtitle, [
    '統制した変数: 総トークン数',
    '星印: p(自由度 n − 2 − k); * p < 0.05、** p < 0.01、*** p < 0.001',
  ]);
});
