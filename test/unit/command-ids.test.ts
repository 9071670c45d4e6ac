import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../src/extension/commandIds';
import { ROOT } from './helpers';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string }[]; menus: Record<string, { command: string }[]> };
};
const declared = Object.values(COMMANDS) as string[];

test('every command id declared in the code is contributed by package.json, and the other way round', () => {
  const contributed = pkg.contributes.commands.map((c) => c.command);
  assert.deepEqual(
    declared.filter((id) => !contributed.includes(id)),
    [],
    'declared in src/extension/commandIds.ts but not in contributes.commands',
  );
  assert.deepEqual(
    contributed.filter((id) => !declared.includes(id)),
    [],
    'contributed by package.json but not declared in src/extension/commandIds.ts',
  );
  assert.equal(new Set(declared).size, declared.length, 'an id is declared twice');
  assert.equal(contributed.length, 23);
});

test('every command a menu names is declared', () => {
  const inMenus = Object.values(pkg.contributes.menus).flatMap((items) => items.map((i) => i.command));
  assert.ok(inMenus.length >= 10, `found only ${inMenus.length} menu items`);
  assert.deepEqual(
    inMenus.filter((id) => !declared.includes(id)),
    [],
  );
});

/** Command ids written out as literals, outside the one module that declares them. */
function literalIds(dir: string): string[] {
  const found: string[] = [];
  for (const f of readdirTs(dir)) {
    if (f.endsWith('commandIds.ts')) continue;
    const text = readFileSync(f, 'utf8');
    for (const id of declared)
      if (new RegExp(`${id.replace('.', '\\.')}(?!\\w)`).test(text)) found.push(`${path.relative(ROOT, f)}: ${id}`);
  }
  return found;
}

function readdirTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? readdirTs(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

test('src/extension names commands only through COMMANDS', () => {
  assert.deepEqual(literalIds(path.join(ROOT, 'src', 'extension')), []);
});
