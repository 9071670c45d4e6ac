import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from './helpers';
import { type ImportGraph, importCycles, importGraph, type LayerOrder, layerViolations } from './importGraph';

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

/**
 * The layer order of src/ and webview/, from the bottom up: a module imports its own room and the
 * rooms of lower layers, never a higher layer nor another room of its own layer. Folders hold
 * their rooms; a file is placed apart from its folder where it serves lower layers (shell quoting
 * and the semaphore in cluster/, the indexed dataset format in megatron/) or needs higher ones.
 * README's Architecture section shows the same order.
 */
const LAYERS: LayerOrder = [
  [
    {
      name: 'base',
      paths: [
        'src/core/printable.ts',
        'src/core/validation.ts',
        'src/core/diagnostics.ts',
        'src/core/regularFile.ts',
        'src/core/errors.ts',
        'src/core/cancellation.ts',
        'src/core/cluster/shellQuote.ts',
        'src/core/cluster/semaphore.ts',
        'src/core/cluster/glob.ts',
        'src/core/report/dataTable.ts',
        'src/core/report/exportFile.ts',
        'src/core/report/sort.ts',
      ],
    },
  ],
  [{ name: 'analysis', paths: ['src/core/analysis/'] }],
  [
    { name: 'dataset format', paths: ['src/core/megatron/indexedDataset.ts', 'src/core/megatron/rangeReader.ts'] },
    { name: 'tokenizers', paths: ['src/core/tokenizers/'] },
  ],
  [{ name: 'recipe', paths: ['src/core/recipe/'] }],
  [{ name: 'inspection', paths: ['src/core/megatron/'] }],
  // Counting a recipe's datasets on the cluster needs the connection, wherever the file lives.
  [
    {
      name: 'cluster',
      paths: ['src/core/cluster/', 'src/core/tokenizers/cache.ts', 'src/core/recipe/recipeCounts.ts'],
    },
  ],
  [{ name: 'logs', paths: ['src/core/logs/'] }],
  [{ name: 'jobs', paths: ['src/core/jobs/'] }],
  [{ name: 'results', paths: ['src/core/results/'] }],
  [{ name: 'study', paths: ['src/core/study/'] }],
  [{ name: 'report', paths: ['src/core/report/'] }],
  [{ name: 'settings', paths: ['src/core/settings.ts'] }],
  [{ name: 'protocol', paths: ['src/protocol/'] }],
  [
    { name: 'cli', paths: ['src/cli/'] },
    { name: 'extension', paths: ['src/extension/'] },
  ],
  // The pages run in the browser: the messages, and the pure modules they bundle (tables, views, schemas,
  // figures); webview/tsconfig.json, without Node's types, keeps Node's modules out of them.
  [{ name: 'webview', paths: ['webview/'], only: ['protocol', 'analysis', 'report', 'base'] }],
];

const SOURCES = ['src', 'webview'];

test('every relative import in src/ and webview/ names a file', () => {
  assert.deepEqual(importGraph(ROOT, SOURCES).unresolved, []);
});

test('no import cycle anywhere in src/ or webview/', () => {
  assert.deepEqual(importCycles(importGraph(ROOT, SOURCES).graph), []);
});

test('every module is in a room, and no import goes up the layer order or sideways', () => {
  const { graph } = importGraph(ROOT, SOURCES);
  assert.ok(graph.size > 100, `only ${graph.size} modules found`);
  assert.deepEqual(layerViolations(graph, LAYERS), []);
});

const made = (edges: Record<string, string[]>): ImportGraph =>
  new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

test('the checker finds cycles, self-imports, upward, sideways and unlisted imports in a made-up graph', () => {
  const graph = made({
    'a/x.ts': ['a/y.ts'],
    'a/y.ts': ['b/z.ts'],
    'b/z.ts': ['a/x.ts'],
    'c/self.ts': ['c/self.ts'],
    'c/ok.ts': ['a/x.ts'],
    'd/w.ts': ['e/v.ts'],
    'e/v.ts': [],
    'page/p.ts': ['a/x.ts', 'd/w.ts'],
    'stray.ts': [],
  });
  assert.deepEqual(importCycles(graph), [['a/x.ts', 'a/y.ts', 'b/z.ts'], ['c/self.ts']]);
  const order: LayerOrder = [
    [{ name: 'A', paths: ['a/', 'c/ok.ts'] }],
    [{ name: 'B', paths: ['b/'] }],
    [
      { name: 'C', paths: ['c/'] },
      { name: 'D', paths: ['d/'] },
      { name: 'E', paths: ['e/'] },
    ],
    [{ name: 'P', paths: ['page/'], only: ['A'] }],
  ];
  assert.deepEqual(layerViolations(graph, order), [
    'a/y.ts → b/z.ts: A is below B',
    'd/w.ts → e/v.ts: D and E stand side by side',
    'page/p.ts → d/w.ts: P may import only A',
    'stray.ts is in no room of the layer order',
  ]);
});

test('the import scanner reads static, type-only, re-exported, dynamic and required imports, and not comments', () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'src', 'lib'), { recursive: true });
  for (const f of ['a', 'b', 'c', 'd', 'e', 'f', 'lib/index'])
    writeFileSync(path.join(dir, 'src', `${f}.ts`), 'export const x = 1;\n');
  writeFileSync(
    path.join(dir, 'src', 'main.ts'),
    [
      "import { x } from './a';",
      "import type { T } from './b';",
      "export * from './c';",
      "const later = import('./d.js');",
      "let t: import('./e').T;",
      "const r = require('./f');",
      "import { y } from './lib';",
      "// import { z } from './gone';",
      'const s = "import(\'./gone\')";',
      "import { missing } from './nowhere';",
      "import { readFile } from 'node:fs';",
    ].join('\n'),
  );
  const { graph, unresolved } = importGraph(dir, ['src']);
  assert.deepEqual([...graph.get('src/main.ts')!].sort(), [
    'src/a.ts',
    'src/b.ts',
    'src/c.ts',
    'src/d.ts',
    'src/e.ts',
    'src/f.ts',
    'src/lib/index.ts',
  ]);
  assert.deepEqual(unresolved, ['src/main.ts: ./nowhere']);
});
