import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { RecipeCatalog } from '../../src/core/recipe/catalog';
import { CountCache, loadCountCache, saveCountCache } from '../../src/core/recipe/countCache';
import { loadRecipes } from '../../src/core/recipe/loader';
import {
  codeLensTitle,
  countOrigins,
  mixedCounts,
  recipeDescription,
  sourceHoverMarkdown,
  statisticsMarkdown,
} from '../../src/core/recipe/report';
import { tempDir } from './helpers';

/** A dataset of 1000 + 2000 + 500 tokens (uint16) at `prefix`. */
function writeDataset(prefix: string, lengths = [1000, 2000, 500]) {
  mkdirSync(path.dirname(prefix), { recursive: true });
  writeFileSync(`${prefix}.idx`, encodeIndex(lengths, [0, lengths.length]));
  writeFileSync(`${prefix}.bin`, Buffer.alloc(2 * lengths.reduce((a, b) => a + b, 0)));
}

// One dataset here (ja), one that lives on the cluster (en, declared 900M), one text source (declared).
const RECIPE = [
  'name: Mixed',
  'tokenizer: t',
  'sources:',
  '  - id: ja-here',
  '    language: ja',
  '    origin: original',
  '    megatron: data/ja_text_document',
  '  - id: en-remote',
  '    language: en',
  '    origin: original',
  '    tokens: 900M',
  '    megatron: en/remote_text_document',
  '  - id: en-text',
  '    language: en',
  '    origin: original',
  '    tokens: 100M',
  '',
].join('\n');

function mixedWorkspace() {
  const dir = tempDir();
  writeDataset(path.join(dir, 'data', 'ja_text_document'));
  const file = path.join(dir, 'mixed.recipe.yaml');
  writeFileSync(file, RECIPE);
  return { dir, file, remotePrefix: path.join(dir, 'en', 'remote_text_document') };
}

test('a recipe whose counts are partly exact and partly declared says so in the tree, CodeLens, tooltip and hover', async () => {
  const { file } = mixedWorkspace();
  const catalog = new RecipeCatalog();
  catalog.update(file, readFileSync(file, 'utf8'));
  const set = await catalog.resolve();
  // The dataset that is not on this machine is the usual case: its declared count stands in silently.
  assert.deepEqual(set.diagnostics, []);
  const r = set.recipes.get('Mixed')!;
  assert.deepEqual(
    r.sources.map((s) => [s.id, s.tokensFrom, s.tokens]),
    [
      ['ja-here', 'index', 3500],
      ['en-remote', 'declared', 900e6],
      ['en-text', 'declared', 100e6],
    ],
  );
  assert.deepEqual(countOrigins(r), { exact: 1, declared: 2 });
  assert.equal(mixedCounts(r), 'counts: 1 exact, 2 declared');
  // The shares are what the issue saw: ja 0.0 % — now with the reason beside them.
  assert.equal(recipeDescription(r), '1.00B · ja 0.0% · en 100.0% · parallel 0.0% · counts: 1 exact, 2 declared');
  assert.equal(
    codeLensTitle(r),
    'Σ 1.00B tokens — ja 3.50K (0.00%) · en 1.00B (100.00%) · parallel 0 (0.00%) — ⚠ counts: 1 exact, 2 declared',
  );
  const warning =
    'its shares and blend weights mix counts read from the datasets with declared ones; count the declared ones (Count Dataset Tokens on Cluster) or correct them.';
  assert.ok(statisticsMarkdown(r).endsWith(`\n\n⚠ Counts: 1 exact, 2 declared: ${warning}`), statisticsMarkdown(r));
  const hover = sourceHoverMarkdown(r, r.sources[1]);
  assert.ok(hover.includes('Tokens: 900.00M (declared)'), hover);
  assert.ok(hover.endsWith(`⚠ Mixed: counts: 1 exact, 2 declared; ${warning}`), hover);
});

test('a recipe whose counts are all of one kind carries no note', async () => {
  const { file } = mixedWorkspace();
  const catalog = new RecipeCatalog();
  catalog.update(file, readFileSync(file, 'utf8').replace(/ {2}- id: ja-here[\s\S]*?(?= {2}- id: en-remote)/, ''));
  const r = (await catalog.resolve()).recipes.get('Mixed')!;
  assert.deepEqual(countOrigins(r), { exact: 0, declared: 2 });
  assert.equal(mixedCounts(r), undefined);
  assert.equal(recipeDescription(r), '1.00B · ja 0.0% · en 100.0% · parallel 0.0%');
  assert.ok(!codeLensTitle(r).includes('⚠'));
  assert.ok(!statisticsMarkdown(r).includes('⚠'));
});

test('every dataset the cluster could not count is named at its megatron: line, even where a declared count stands in', async () => {
  const { file, remotePrefix } = mixedWorkspace();
  const catalog = new RecipeCatalog();
  catalog.update(file, readFileSync(file, 'utf8'));
  catalog.setRemoteCounts(
    new Map([
      [
        remotePrefix,
        {
          ok: false,
          message: 'on loopback: /data/en/remote_text_document.idx: no such file on the cluster',
          onCluster: 'loopback',
        },
      ],
    ]),
  );
  const set = await catalog.resolve();
  assert.deepEqual(
    set.diagnostics.map((d) => [d.severity, d.range.start.line + 1, d.range.start.character + 1, d.message]),
    [
      [
        'warning',
        12,
        15,
        'cannot count tokens of "en/remote_text_document": on loopback: /data/en/remote_text_document.idx: no such file on the cluster; the declared 900.00M stands in',
      ],
    ],
  );
  // Counted there, the recipe's counts are all exact but the text source's.
  catalog.setRemoteCounts(new Map([[remotePrefix, { ok: true, tokens: 300_000, onCluster: 'loopback' }]]));
  const counted = await catalog.resolve();
  assert.equal(counted.diagnostics.length, 1);
  assert.match(counted.diagnostics[0].message, /declared 900\.00M tokens \(900000000\) but the indexed dataset/);
  const r = counted.recipes.get('Mixed')!;
  assert.equal(r.sources[1].tokensFrom, 'cluster');
  assert.equal(mixedCounts(r), 'counts: 2 exact, 1 declared');
});

test('the CLI names an index that is here but unreadable even where tokens are declared; an absent one is silent', async () => {
  const { dir, file } = mixedWorkspace();
  // A corrupt index here: a declared count must not hide it.
  writeFileSync(path.join(dir, 'data', 'ja_text_document.idx'), 'not an index');
  writeFileSync(
    file,
    RECIPE.replace('    megatron: data/ja_text_document', '    tokens: 5M\n    megatron: data/ja_text_document'),
  );
  const { set } = await loadRecipes([file]);
  assert.deepEqual(
    set.diagnostics.map((d) => [d.severity, d.range.start.line + 1, d.message.replace(dir, '{dir}')]),
    [
      [
        'warning',
        8,
        'cannot count tokens of "data/ja_text_document": {dir}/data/ja_text_document.idx: not a Megatron indexed dataset index (wrong magic; expected "MMIDIDX\\x00\\x00"); the declared 5.00M stands in',
      ],
    ],
  );
});

test('exact counts are kept with the stamps of what they were read from: reused after a reload, read again when a file changes', async () => {
  const { dir, file } = mixedWorkspace();
  const prefix = path.join(dir, 'data', 'ja_text_document');
  const cacheFile = path.join(dir, 'storage', 'token-counts.json');
  // Whole seconds: a time set again later is then exactly the same (sub-millisecond parts do not round-trip).
  const T = 1_700_000_000;
  utimesSync(`${prefix}.idx`, T, T);
  const first = new RecipeCatalog();
  first.update(file, readFileSync(file, 'utf8'));
  assert.equal((await first.resolve()).recipes.get('Mixed')!.sources[0].tokens, 3500);
  assert.equal(first.cache.changed, true);
  await saveCountCache(cacheFile, first.cache);
  assert.equal(first.cache.changed, false);

  // The same bytes' size and times, other content: only a count from the cache can give 3500 now.
  const reload = async () => {
    const loaded = await loadCountCache(cacheFile);
    assert.equal(loaded.problem, undefined);
    const catalog = new RecipeCatalog(loaded.cache);
    catalog.update(file, readFileSync(file, 'utf8'));
    return (await catalog.resolve()).recipes.get('Mixed')!.sources[0];
  };
  writeFileSync(`${prefix}.idx`, encodeIndex([1000, 2000, 501], [0, 3]));
  utimesSync(`${prefix}.idx`, T, T);
  assert.deepEqual([(await reload()).tokensFrom, (await reload()).tokens], ['index', 3500]);

  // A new modification time: read again (and the lengths now say 3501).
  utimesSync(`${prefix}.idx`, T, T + 5);
  writeFileSync(`${prefix}.bin`, Buffer.alloc(2 * 3501));
  assert.equal((await reload()).tokens, 3501);

  // A .bin of another size, same index: read again, and the mismatch is the error it is.
  writeDataset(prefix);
  const kept = new RecipeCatalog((await loadCountCache(cacheFile)).cache);
  kept.update(file, readFileSync(file, 'utf8'));
  assert.equal((await kept.resolve()).recipes.get('Mixed')!.sources[0].tokens, 3500);
  writeFileSync(`${prefix}.bin`, Buffer.alloc(2 * 3500 + 2));
  const grown = new RecipeCatalog(kept.cache);
  grown.update(file, readFileSync(file, 'utf8'));
  assert.match((await grown.resolve()).diagnostics[0].message, /ja_text_document\.bin: .*7002 bytes/);
});

test('a count read on the cluster stands in after a reload for the dataset that is not here, with when it was read', async () => {
  const { file } = mixedWorkspace();
  const cache = new CountCache();
  cache.setCluster('loopback', '/data/en/remote_text_document', {
    tokens: 300_000,
    countedAt: '2026-11-26T22:15:00.000Z',
    idx: { size: 1000, mtimeMs: 1_700_000_000_000 },
    bin: { size: 600_000, mtimeMs: 1_700_000_000_000 },
  });
  const dir = tempDir();
  await saveCountCache(path.join(dir, 'c.json'), cache);
  const loaded = await loadCountCache(path.join(dir, 'c.json'));
  assert.equal(loaded.cache.latestCluster(), 'loopback');
  const catalog = new RecipeCatalog(loaded.cache);
  catalog.update(file, readFileSync(file, 'utf8'));
  // Without a data cluster the cache is not consulted for remote datasets.
  assert.equal((await catalog.resolve()).recipes.get('Mixed')!.sources[1].tokensFrom, 'declared');
  catalog.setDataCluster({ cluster: 'loopback', dataRoot: '/data' });
  const r = (await catalog.resolve()).recipes.get('Mixed')!;
  assert.deepEqual(
    [r.sources[1].tokensFrom, r.sources[1].tokens, r.sources[1].countedAt],
    ['cluster', 300_000, '2026-11-26T22:15:00.000Z'],
  );
  assert.ok(
    sourceHoverMarkdown(r, r.sources[1]).includes(
      'Tokens: 300.00K (counted from the indexed dataset on the cluster at 2026-11-26 22:15 UTC, kept from an earlier window)',
    ),
  );
  // Another data root is another dataset.
  catalog.setDataCluster({ cluster: 'loopback', dataRoot: '/other' });
  assert.equal((await catalog.resolve()).recipes.get('Mixed')!.sources[1].tokensFrom, 'declared');
  // The stamps decide whether a remote count still holds.
  const stamp = { size: 1000, mtimeMs: 1_700_000_000_000 };
  const bin = { size: 600_000, mtimeMs: 1_700_000_000_000 };
  assert.equal(loaded.cache.clusterTokens('loopback', '/data/en/remote_text_document', stamp, bin), 300_000);
  assert.equal(
    loaded.cache.clusterTokens('loopback', '/data/en/remote_text_document', { ...stamp, size: 1001 }, bin),
    undefined,
  );
  assert.equal(
    loaded.cache.clusterTokens('loopback', '/data/en/remote_text_document', stamp, { ...bin, mtimeMs: 1 }),
    undefined,
  );
  assert.equal(loaded.cache.clusterTokens('other', '/data/en/remote_text_document', stamp, bin), undefined);
});

test('a corrupt count cache is named and ignored; a missing one is simply empty', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'token-counts.json');
  assert.deepEqual(await loadCountCache(file).then((r) => [r.problem, r.cache.size]), [undefined, 0]);
  writeFileSync(file, '{"version": 1, "entries": [');
  const bad = await loadCountCache(file);
  assert.match(bad.problem!, new RegExp(`^${file.replace(/[.]/g, '\\.')}: not JSON \\(.+\\); ignored$`));
  assert.equal(bad.cache.size, 0);
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      entries: [
        { where: 'local', prefix: '/d/a', idx: { size: 1, mtimeMs: 2 }, bin: { size: 3, mtimeMs: 4 }, tokens: -5 },
      ],
    }),
  );
  assert.deepEqual(
    (await loadCountCache(file)).problem,
    `${file}: not a token count cache ("entries[0].tokens" Number must be greater than or equal to 0, got number -5); ignored`,
  );
  writeFileSync(file, JSON.stringify({ version: 2, entries: [] }));
  assert.deepEqual(
    (await loadCountCache(file)).problem,
    `${file}: not a token count cache ("version" must be 1; got number 2); ignored`,
  );
  // A catalog given the empty cache it fell back to still counts, and the next save replaces the bad file.
  const { cache } = await loadCountCache(file);
  const data = path.join(dir, 'ds');
  writeDataset(data);
  const catalog = new RecipeCatalog(cache);
  const recipe = path.join(dir, 'r.recipe.yaml');
  catalog.update(
    recipe,
    'name: R\ntokenizer: t\nsources:\n  - {id: a, language: ja, origin: original, megatron: ds}\n',
  );
  assert.equal((await catalog.resolve()).recipes.get('R')!.statistics.total, 3500);
  await saveCountCache(file, catalog.cache);
  const again = await loadCountCache(file);
  assert.equal(again.problem, undefined);
  assert.equal(again.cache.size, 1);
});
