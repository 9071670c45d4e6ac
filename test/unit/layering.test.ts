import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

const IMPORTS_VSCODE = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]vscode['"]/;

test('src/core, src/cli and src/protocol never import vscode', () => {
  const offenders = ['src/core', 'src/cli', 'src/protocol']
    .flatMap((d) => files(path.join(ROOT, d)))
    .filter((f) => IMPORTS_VSCODE.test(readFileSync(f, 'utf8')))
    .map((f) => path.relative(ROOT, f));
  assert.deepEqual(offenders, []);
});

test('the guard itself recognises every way of importing vscode', () => {
  for (const line of [
    `import * as vscode from 'vscode';`,
    `import { window } from "vscode";`,
    `const v = require('vscode');`,
    `await import('vscode')`,
    `import 'vscode';`,
  ]) {
    assert.ok(IMPORTS_VSCODE.test(line), line);
  }
  assert.ok(!IMPORTS_VSCODE.test(`import { x } from './vscode-helpers';`));
});
