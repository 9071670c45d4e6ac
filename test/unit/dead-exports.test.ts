import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

/** Where an export may be used: everything that is compiled or bundled. */
const TREES = ['src', 'test', 'webview', 'bench', 'scripts'];

/** Called by VS Code, not by our code. */
const ENTRY_POINTS = new Set(['src/extension/extension.ts: deactivate']);

/**
 * Removed on other branches of the same refactor (issue #14: "protocol" removes TRAINING_STRINGS,
 * "jobs" LOCAL_STATES and SlurmState); once they are merged, this list can go.
 */
const REMOVED_ELSEWHERE = new Set([
  'src/protocol/training.ts: TRAINING_STRINGS',
  'src/core/jobs/registry.ts: LOCAL_STATES',
  'src/core/jobs/slurm.ts: SlurmState',
]);

const DECLARATION =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const at = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'fake' ? [] : sources(at);
    return /\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [at] : [];
  });
}

/**
 * Exports of `exporting` files that nothing uses: the name appears nowhere in any file but at its
 * declaration. (An export used only inside its own file is not dead code, so it is not reported.)
 */
function deadExports(files: ReadonlyMap<string, string>, exporting: (file: string) => boolean): string[] {
  const dead: string[] = [];
  for (const [file, text] of files) {
    if (!exporting(file)) continue;
    for (const [, name] of text.matchAll(DECLARATION)) {
      const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
      let uses = 0;
      for (const other of files.values()) uses += other.match(word)?.length ?? 0;
      if (uses <= 1) dead.push(`${file}: ${name}`);
    }
  }
  return dead;
}

test('every export of src/ is used somewhere (src, test, webview, bench, scripts)', () => {
  const files = new Map<string, string>();
  for (const tree of TREES)
    for (const f of sources(path.join(ROOT, tree)))
      files.set(path.relative(ROOT, f).split(path.sep).join('/'), readFileSync(f, 'utf8'));
  assert.ok(files.size > 150, `read only ${files.size} files`);
  const dead = deadExports(files, (f) => f.startsWith('src/')).filter(
    (d) => !ENTRY_POINTS.has(d) && !REMOVED_ELSEWHERE.has(d),
  );
  assert.deepEqual(dead, []);
});

test('the finder reports an unused export, and not one used elsewhere or only in its own file', () => {
  const files = new Map([
    ['src/a.ts', 'export function unused() {}\nexport const USED = 1;\nexport type Local = string;\nlet x: Local;'],
    ['src/b.ts', "import { USED } from './a';\nexport class Lonely {}\nexport const $dollar = 2;"],
    ['test/c.ts', "import { $dollar } from '../src/b';\nexport function helper() {}"],
  ]);
  assert.deepEqual(
    deadExports(files, (f) => f.startsWith('src/')),
    ['src/a.ts: unused', 'src/b.ts: Lonely'],
  );
});
