import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { CLI, FIXTURES, PAPER_STUDY, tempDir } from './helpers';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};

test('corpus-lab stats --json prints the seven statistics of each recipe', async () => {
  const { code, stdout, stderr } = await run('stats', PAPER_STUDY, '--json');
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const rows = JSON.parse(stdout) as Record<string, number | string>[];
  assert.deepEqual(rows.map((r) => r.name).sort(), ['EnDominant', 'EnJa-Balance', 'EnJa-Base', 'EnJa-Hybrid', 'EnJa-Plus', 'JaDominant']);
  const hybrid = rows.find((r) => r.name === 'EnJa-Hybrid')!;
  assert.deepEqual(Object.keys(hybrid), ['name', 'total', 'japanese', 'english', 'parallel', 'japaneseRatio', 'englishRatio', 'parallelRatio']);
  assert.deepEqual([hybrid.total, hybrid.japanese, hybrid.english, hybrid.parallel], [79_620_810_000, 36_116_660_000, 36_429_210_000, 7_074_940_000]);
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
  assert.equal(stderr, `${path.join(dir, 'a.recipe.yaml')}:8:15: "sources[0].fraction" must be in (0, 1], got number 1.5\n`);
});

test('corpus-lab tokens --json reads prefixes and directories', async () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'shards'));
  for (const [name, lengths] of [['s0', [4, 4]], ['s1', [9]]] as const) {
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
  assert.deepEqual(JSON.parse(one.stdout), [{ prefix: path.join(dir, 'shards', 's1'), tokens: 9, documents: 1, sequences: 1, dtype: 'int32' }]);
  const missing = await run('tokens', path.join(dir, 'nope'), '--json');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `${path.join(dir, 'nope.idx')}: no such file\n`);
});

test('corpus-lab blend prints the --data-path value', async () => {
  const { code, stdout } = await run('blend', path.join(PAPER_STUDY, 'jadominant.recipe.yaml'), '--data-root', '/groups/gcg/corpus');
  assert.equal(code, 0);
  assert.equal(stdout, '5009210000 /groups/gcg/corpus/ja/medical-base_text_document 7751730000 /groups/gcg/corpus/en/medical-base_text_document 1757030000 /groups/gcg/corpus/en/pubmed-abstracts_text_document 488800000 /groups/gcg/corpus/parallel/medical-base_text_document 27756550000 /groups/gcg/corpus/ja/pmc-translated_text_document\n');
});

test('usage errors exit 2', async () => {
  assert.equal((await run('stats')).code, 2);
  assert.equal((await run('frobnicate')).code, 2);
  assert.equal((await run('stats', '--nope')).code, 2);
});
