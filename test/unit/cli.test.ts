import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { FIXTURES, PAPER_STUDY, runCli, tempDir } from './helpers';

const run = runCli;

test('corpus-lab stats --json prints the seven statistics of each recipe', async () => {
  const { code, stdout, stderr } = await run('stats', PAPER_STUDY, '--json');
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const rows = JSON.parse(stdout) as Record<string, number | string>[];
  assert.deepEqual(rows.map((r) => r.name).sort(), [
    'EnDominant',
    'EnJa-Balance',
    'EnJa-Base',
    'EnJa-Hybrid',
    'EnJa-Plus',
    'JaDominant',
  ]);
  const hybrid = rows.find((r) => r.name === 'EnJa-Hybrid')!;
  assert.deepEqual(Object.keys(hybrid), [
    'name',
    'total',
    'japanese',
    'english',
    'parallel',
    'japaneseRatio',
    'englishRatio',
    'parallelRatio',
  ]);
  assert.deepEqual(
    [hybrid.total, hybrid.japanese, hybrid.english, hybrid.parallel],
    [79_620_810_000, 36_116_660_000, 36_429_210_000, 7_074_940_000],
  );
  assert.equal(hybrid.parallelRatio, 7_074_940_000 / 79_620_810_000);
});

test('corpus-lab stats on one file finds the parents beside it', async () => {
  const { code, stdout } = await run('stats', path.join(PAPER_STUDY, 'enja-plus.recipe.yaml'), '--json');
  assert.equal(code, 0);
  const rows = JSON.parse(stdout);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].name, 'EnJa-Plus');
  assert.equal(rows[0].total, 57_562_525_000);
});

test('invalid recipes exit 1 with file:line:col: message on stderr', async () => {
  const dir = path.join(FIXTURES, 'malformed', '23-fraction-above-one');
  const { code, stderr } = await run('stats', dir, '--json');
  assert.equal(code, 1);
  assert.equal(
    stderr,
    `${path.join(dir, 'a.recipe.yaml')}:8:15: "sources[0].fraction" must be in (0, 1], got number 1.5\n`,
  );
});

test('corpus-lab tokens --json reads prefixes and directories', async () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'shards'));
  for (const [name, lengths] of [
    ['s0', [4, 4]],
    ['s1', [9]],
  ] as const) {
    writeFileSync(path.join(dir, 'shards', `${name}.idx`), encodeIndex([...lengths], [0, lengths.length], 4));
    writeFileSync(path.join(dir, 'shards', `${name}.bin`), Buffer.alloc(lengths.reduce((a, b) => a + b, 0) * 4));
  }
  const all = await run('tokens', path.join(dir, 'shards'), '--json');
  assert.equal(all.code, 0);
  assert.deepEqual(JSON.parse(all.stdout), [
    { prefix: path.join(dir, 'shards', 's0'), tokens: 8, documents: 1, sequences: 2, dtype: 'int32' },
    { prefix: path.join(dir, 'shards', 's1'), tokens: 9, documents: 1, sequences: 1, dtype: 'int32' },
  ]);
  const one = await run('tokens', path.join(dir, 'shards', 's1'), '--json');
  assert.deepEqual(JSON.parse(one.stdout), [
    { prefix: path.join(dir, 'shards', 's1'), tokens: 9, documents: 1, sequences: 1, dtype: 'int32' },
  ]);
  const missing = await run('tokens', path.join(dir, 'nope'), '--json');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `${path.join(dir, 'nope.idx')}: no such file\n`);
});

test('corpus-lab blend prints the --data-path value', async () => {
  const { code, stdout } = await run(
    'blend',
    path.join(PAPER_STUDY, 'jadominant.recipe.yaml'),
    '--data-root',
    '/groups/gcg/corpus',
  );
  assert.equal(code, 0);
  assert.equal(
    stdout,
    '5009210000 /groups/gcg/corpus/ja/medical-base_text_document 7751730000 /groups/gcg/corpus/en/medical-base_text_document 1757030000 /groups/gcg/corpus/en/pubmed-abstracts_text_document 488800000 /groups/gcg/corpus/parallel/medical-base_text_document 27756550000 /groups/gcg/corpus/ja/pmc-translated_text_document\n',
  );
});

test('usage errors exit 2', async () => {
  assert.equal((await run('stats')).code, 2);
  assert.equal((await run('frobnicate')).code, 2);
  assert.equal((await run('stats', '--nope')).code, 2);
});

test('corpus-lab analyze <study dir> --json has the contract shape, with covariates on every test', async () => {
  const { code, stdout, stderr } = await run('analyze', PAPER_STUDY, '--json');
  // The paper's composition table: six ratios that are not the rounded shares of its counts.
  assert.equal(
    stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes('within the printed precision')).length,
    6,
  );
  assert.equal(stderr.split('\n').filter(Boolean).length, 6);
  assert.equal(code, 0);
  const r = JSON.parse(stdout);
  for (const key of ['corpora', 'averages', 'tests', 'warnings']) assert.ok(key in r, key);
  assert.equal(r.tests.length, 189);
  const t = r.tests.find(
    (x: { task: string; statistic: string }) => x.task === 'IgakuQA' && x.statistic === 'total_tokens',
  );
  assert.deepEqual(Object.keys(t), [
    'task',
    'language',
    'category',
    'statistic',
    'covariates',
    'n',
    'regular',
    'partial',
    'q',
    'holm',
    'family',
    'permutation',
  ]);
  assert.deepEqual(t.permutation, {
    scheme: 'freedman-lane',
    method: 'exact',
    permutations: 720,
    exhaustive: true,
    hits: t.permutation.hits,
  });
  assert.equal(t.partial.pPermutation, t.permutation.hits / 720);
  assert.deepEqual(Object.keys(t.partial), ['r', 'p', 'pCorrected', 'pPermutation', 'ci']);
  assert.deepEqual(Object.keys(t.regular), ['r', 'p', 'ci']);
  assert.deepEqual(
    [
      t.regular.ci.low.toFixed(4),
      t.regular.ci.high.toFixed(4),
      t.partial.ci.low.toFixed(4),
      t.partial.ci.high.toFixed(4),
    ],
    ['0.4010', '0.9908', '0.1406', '0.9994'],
  );
  assert.deepEqual(t.covariates, ['japanese_ratio', 'parallel_ratio']);
  assert.equal(t.n, 6);
  assert.equal(t.regular.r.toFixed(3), '0.915');
  assert.equal(t.regular.p.toFixed(3), '0.011');
});

test('corpus-lab analyze --composition --scores --control overrides the covariates of one statistic', async () => {
  const { code, stdout } = await run(
    'analyze',
    '--composition',
    path.join(PAPER_STUDY, 'composition.csv'),
    '--scores',
    path.join(PAPER_STUDY, 'score-differences.csv'),
    '--control',
    'japanese_tokens=total_tokens',
    '--json',
  );
  assert.equal(code, 0);
  const r = JSON.parse(stdout);
  const ja = r.tests.filter((x: { statistic: string }) => x.statistic === 'japanese_tokens');
  assert.ok(ja.every((x: { covariates: string[] }) => x.covariates.join() === 'total_tokens'));
  assert.ok(
    r.tests
      .filter((x: { statistic: string }) => x.statistic === 'english_tokens')
      .every((x: { covariates: string[] }) => x.covariates.join() === 'japanese_tokens,parallel_tokens'),
  );
});

test('corpus-lab analyze reports bad tables with file, row and column, exit 1', async () => {
  const dir = tempDir();
  const scores = path.join(dir, 'scores.csv');
  writeFileSync(
    scores,
    'task,language,category,EnJa-Base,JaDominant,EnDominant,EnJa-Plus,EnJa-Balance,EnJa-Hybrid\nIgakuQA,Japanese,MCQA,0.05,0.06,oops,0.07,0.08,0.07\n',
  );
  const r = await run(
    'analyze',
    '--composition',
    path.join(PAPER_STUDY, 'composition.csv'),
    '--scores',
    scores,
    '--json',
  );
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `${scores}:2:6: "EnDominant" must be a number, got "oops"\n`);
  const bad = await run('analyze', PAPER_STUDY, '--control', 'total=japanese_tokens');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown statistic "total"/);
});

test('a study directory without composition.csv takes its composition from its recipes', async () => {
  const dir = tempDir();
  for (const f of ['enja-base', 'jadominant', 'endominant', 'enja-plus', 'enja-balance', 'enja-hybrid']) {
    writeFileSync(path.join(dir, `${f}.recipe.yaml`), readFileSync(path.join(PAPER_STUDY, `${f}.recipe.yaml`)));
  }
  writeFileSync(path.join(dir, 'score-differences.csv'), readFileSync(path.join(PAPER_STUDY, 'score-differences.csv')));
  const { code, stdout } = await run('analyze', dir, '--json');
  assert.equal(code, 0);
  const t = JSON.parse(stdout).tests.find(
    (x: { task: string; statistic: string }) => x.task === 'IgakuQA' && x.statistic === 'total_tokens',
  );
  // The recipes' exact counts differ from the table's cut-off ones in the third decimal only.
  assert.equal(t.regular.r.toFixed(3), '0.915');
});
