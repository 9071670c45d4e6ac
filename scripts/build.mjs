// One bundle per target: the extension host (node), the CLI (node) and each webview (browser).

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as esbuild from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  define: { __VERSION__: JSON.stringify(pkg.version) },
};
// ssh2's optional native add-ons: it falls back to pure JavaScript when they are absent.
const nativeOptional = ['cpu-features', '*.node'];
// The tokenizer libraries (1.2 MB) live in dist/tokenizers.js, required on first use from beside the
// bundle that asks; only SentencePieceProcessor of @sctg/sentencepiece-js goes in (see its entry file).
const lazyTokenizers = {
  name: 'lazy-tokenizers',
  setup(build) {
    build.onResolve({ filter: /^(@huggingface\/tokenizers|@sctg\/sentencepiece-js)$/ }, () => ({
      path: './tokenizers.js',
      external: true,
    }));
  },
};
// Its Emscripten loader reads import.meta.url, which a CommonJS bundle lacks: the bundle's own file URL stands in.
const metaUrl = 'var __bundleImportMetaUrl = require("url").pathToFileURL(__filename).href;';
const nodeDefine = { ...common.define, 'import.meta.url': '__bundleImportMetaUrl' };

// Stale bundles and source maps of an earlier build must not end up in a package.
rmSync('dist', { recursive: true, force: true });

const webviews = existsSync('webview')
  ? readdirSync('webview').filter((f) => /^[a-z][\w-]*\.ts$/.test(f) && !f.endsWith('.d.ts'))
  : [];

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', ...nativeOptional],
    plugins: [lazyTokenizers],
  }),
  esbuild.build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nativeOptional,
    // jsonc-parser's UMD build requires its parts at run time; its ES module bundles.
    mainFields: ['module', 'main'],
    plugins: [lazyTokenizers],
    banner: { js: '#!/usr/bin/env node' },
  }),
  esbuild.build({
    ...common,
    entryPoints: ['scripts/tokenizers-entry.mjs'],
    outfile: 'dist/tokenizers.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: nodeDefine,
    banner: { js: metaUrl },
  }),
  ...webviews.map((f) =>
    esbuild.build({
      ...common,
      entryPoints: [`webview/${f}`],
      outfile: `dist/webview/${f.replace(/\.ts$/, '.js')}`,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    }),
  ),
]);
