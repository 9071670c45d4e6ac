import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
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
