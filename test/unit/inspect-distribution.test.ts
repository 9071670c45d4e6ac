import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseChoice } from '../../src/cli/inspectCommand';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import {
  EXACT_LENGTHS,
  lengthDistribution,
  readDocument,
  readHeader,
  sampleDocuments,
} from '../../src/core/megatron/inspect';
import { openLocalRange } from '../../src/core/megatron/rangeReader';
import { countScripts, judgeLanguage, languageDiagnostic } from '../../src/core/recipe/languageCheck';
import { CLI, tempDir } from './helpers';

const dir = tempDir('corpus-lab-dist-');

/** A dataset of the given document lengths (one sequence each unless `split`), token i of a document = i. */
function dataset(name: string, docs: number[], split = false, binExtra = 0): string {
  const prefix = path.join(dir, name);
  const lengths: number[] = [];
  const docIdx = [0];
  for (const n of docs) {
    if (split && n > 1) lengths.push(1, n - 1);
    else lengths.push(n);
    docIdx.push(lengths.length);
  }
  writeFileSync(`${prefix}.idx`, encodeIndex(lengths, docIdx, 8));
  const total = docs.reduce((a, b) => a + b, 0);
  const bin = Buffer.alloc(2 * total + binExtra);
  let o = 0;
  for (const n of docs) for (let i = 0; i < n; i++) o = bin.writeUInt16LE(i % 65536, o);
  writeFileSync(`${prefix}.bin`, bin);
  return prefix;
}

async function distribution(prefix: string) {
  const idx = await openLocalRange(`${prefix}.idx`);
  const bin = await openLocalRange(`${prefix}.bin`);
  try {
    return await lengthDistribution(idx, bin.size, bin.file);
  } finally {
    await idx.close();
    await bin.close();
  }
}

test('percentiles, log histogram and the extremes of a known set of lengths', async () => {
  // 1..100 tokens, in a shuffled order, plus one empty document; documents cut in two sequences.
  const lengths = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  lengths.push(0);
  const d = await distribution(dataset('known', lengths, true));
  assert.equal(d.documents, 101);
  assert.equal(d.sequences, 101 + 99); // every document longer than one token is two sequences
  assert.equal(d.tokens, 5050);
  assert.equal(d.meanTokens, 5050 / 101);
  // Nearest rank: p50 is the 51st smallest of 0, 1, …, 100.
  assert.deepEqual(
    d.percentiles.map((p) => [p.p, p.tokens, p.exact]),
    [
      [1, 1, true],
      [5, 5, true],
      [10, 10, true],
      [25, 25, true],
      [50, 50, true],
      [75, 75, true],
      [90, 90, true],
      [95, 95, true],
      [99, 99, true],
    ],
  );
  assert.deepEqual(d.shortest, [
    { document: 100, tokens: 0 },
    { document: 0, tokens: 1 },
    { document: 73, tokens: 2 },
    { document: 46, tokens: 3 },
    { document: 19, tokens: 4 },
  ]);
  assert.deepEqual(
    d.longest.map((x) => x.tokens),
    [100, 99, 98, 97, 96],
  );
  assert.equal(d.longest[0].document, lengths.indexOf(100));
  // Quarter-doubling bins: [0,1), [1,2), [2,3), [3,4), [4,5), [5,6), [6,7), [7,8), [8,10), …, [91,108).
  assert.deepEqual(
    d.histogram.slice(0, 9).map((b) => [b.lower, b.upper, b.count]),
    [
      [0, 1, 1],
      [1, 2, 1],
      [2, 3, 1],
      [3, 4, 1],
      [4, 5, 1],
      [5, 6, 1],
      [6, 7, 1],
      [7, 8, 1],
      [8, 10, 2],
    ],
  );
  assert.equal(
    d.histogram.reduce((a, b) => a + b.count, 0),
    101,
  );
  assert.deepEqual(d.histogram.at(-1), { lower: 91, upper: 108, count: 10 });
});

test('lengths beyond the exact range give percentiles within 0.1 %, marked inexact', async () => {
  const long = [EXACT_LENGTHS + 1000, 100_000, 200_000];
  const d = await distribution(dataset('long', [1, ...long]));
  const p99 = d.percentiles.find((p) => p.p === 99)!;
  assert.equal(p99.exact, false);
  assert.ok(Math.abs(p99.tokens - 200_000) / 200_000 < 0.001, String(p99.tokens));
  assert.deepEqual(
    d.percentiles.find((p) => p.p === 25),
    { p: 25, tokens: 1, exact: true },
  );
  assert.deepEqual(d.longest, [
    { document: 3, tokens: 200_000 },
    { document: 2, tokens: 100_000 },
    { document: 1, tokens: EXACT_LENGTHS + 1000 },
    { document: 0, tokens: 1 },
  ]);
});

test('a corrupt index or a .bin of the wrong size is an error naming the file', async () => {
  const extra = dataset('extra', [3, 4], false, 2);
  await assert.rejects(distribution(extra), {
    message: `${extra}.bin: size 16 bytes disagrees with the index: 7 tokens × 2 bytes (uint16) = 14`,
  });
  const bad = path.join(dir, 'decreasing');
  writeFileSync(`${bad}.idx`, encodeIndex([1, 2, 3], [0, 2, 1, 3], 8));
  writeFileSync(`${bad}.bin`, Buffer.alloc(12));
  await assert.rejects(distribution(bad), { message: `${bad}.idx: document index 2 is 1, below the previous one (2)` });
  const trunc = path.join(dir, 'truncated');
  writeFileSync(`${trunc}.idx`, encodeIndex([1, 2, 3], [0, 1, 2, 3], 8).subarray(0, 60));
  writeFileSync(`${trunc}.bin`, Buffer.alloc(12));
  await assert.rejects(distribution(trunc), {
    message: `${trunc}.idx: size 60 bytes, but its header describes 102 (3 sequences, 4 document indices)`,
  });
});

test('one document read by its byte range, and a document number out of range refused', async () => {
  const prefix = dataset('docs', [2, 5, 3], true);
  const idx = await openLocalRange(`${prefix}.idx`);
  const bin = await openLocalRange(`${prefix}.bin`);
  try {
    const h = await readHeader(idx);
    assert.deepEqual(await readDocument(idx, h, bin, 1), {
      document: 1,
      ids: [0, 1, 2, 3, 4],
      byteStart: 4,
      byteEnd: 14,
    });
    await assert.rejects(readDocument(idx, h, bin, 3), {
      message: `${prefix}.idx: document 3 does not exist (the dataset has 3, numbered 0–2)`,
    });
  } finally {
    await idx.close();
    await bin.close();
  }
});

test('samples: first, last, by number, and a seeded random draw without repeats', () => {
  assert.deepEqual(sampleDocuments({ kind: 'first', count: 3 }, 10), [0, 1, 2]);
  assert.deepEqual(sampleDocuments({ kind: 'last', count: 3 }, 10), [7, 8, 9]);
  assert.deepEqual(sampleDocuments({ kind: 'last', count: 30 }, 2), [0, 1]);
  assert.deepEqual(sampleDocuments({ kind: 'indices', indices: [5, 1, 5] }, 10), [1, 5]);
  const a = sampleDocuments({ kind: 'random', count: 50, seed: 42 }, 1000);
  assert.deepEqual(a, sampleDocuments({ kind: 'random', count: 50, seed: 42 }, 1000));
  assert.notDeepEqual(a, sampleDocuments({ kind: 'random', count: 50, seed: 43 }, 1000));
  assert.equal(new Set(a).size, 50);
  assert.ok(a.every((x) => x >= 0 && x < 1000));
  assert.deepEqual(sampleDocuments({ kind: 'random', count: 10, seed: 1 }, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('script counts and the thresholds of the language check', () => {
  assert.deepEqual(countScripts('ＣＴ検査で肺がんを疑う。MRI: 2 cm'), { japanese: 9, latin: 7 });
  assert.deepEqual(countScripts('ひらがな カタカナ ｶﾀｶﾅ 漢字々 Ça 123 !?'), { japanese: 15, latin: 2 });
  assert.equal(judgeLanguage('ja', { japanese: 50, latin: 50 }).agrees, true); // exactly half is enough
  assert.equal(judgeLanguage('ja', { japanese: 49, latin: 51 }).agrees, false);
  assert.equal(judgeLanguage('en', { japanese: 51, latin: 49 }).agrees, false);
  assert.equal(judgeLanguage('parallel', { japanese: 10, latin: 90 }).agrees, true);
  assert.equal(judgeLanguage('parallel', { japanese: 9, latin: 91 }).agrees, false);
  assert.equal(judgeLanguage('parallel', { japanese: 91, latin: 9 }).agrees, false);
  const few = judgeLanguage('en', { japanese: 19, latin: 0 });
  assert.deepEqual(few, {
    agrees: null,
    shares: { japanese: 19, latin: 0, japaneseShare: 1, latinShare: 0 },
    reason: 'only 19 Japanese or Latin letters in the samples (at least 20 are needed to judge)',
  });
  const range = { start: { line: 4, character: 14 }, end: { line: 4, character: 16 } };
  const source = {
    id: 'pmc-en',
    language: 'en' as const,
    origin: 'original' as const,
    range,
    idRange: range,
    languageRange: range,
  };
  assert.deepEqual(languageDiagnostic('r.recipe.yaml', source, judgeLanguage('en', { japanese: 80, latin: 20 }), 5), {
    file: 'r.recipe.yaml',
    range,
    severity: 'warning',
    message:
      'source "pmc-en": declared "en" but its samples are mostly Japanese (Japanese script 80.0 %, Latin 20.0 % of 100 letters; "en" needs Latin ≥ 50.0 %), in 5 sampled documents',
  });
  assert.equal(
    languageDiagnostic('r.recipe.yaml', source, judgeLanguage('en', { japanese: 20, latin: 80 }), 5),
    undefined,
  );
});

test('inspect options: one way of choosing, strict numbers', () => {
  assert.deepEqual(parseChoice({}), { kind: 'random', count: 5, seed: 0 });
  assert.deepEqual(parseChoice({ sample: '100', seed: '9' }), { kind: 'random', count: 100, seed: 9 });
  assert.deepEqual(parseChoice({ document: ['3', '1'] }), { kind: 'indices', indices: [3, 1] });
  assert.throws(() => parseChoice({ first: '2', last: '2' }), {
    message: 'choose documents one way: --document, --first, --last or --sample',
  });
  assert.throws(() => parseChoice({ sample: '1e3' }), {
    message: '--sample must be a whole number from 0 to 100000, got "1e3"',
  });
  assert.throws(() => parseChoice({ first: '2', seed: '1' }), { message: '--seed applies to --sample only' });
});

test('corpus-lab inspect --json: the same numbers as the core, ids without a tokenizer', async () => {
  const prefix = dataset('cli', [2, 5, 3]);
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'inspect', prefix, '--first', '2', '--json']);
  const r = JSON.parse(stdout);
  assert.equal(r.documents, 3);
  assert.equal(r.tokens, 10);
  assert.deepEqual(r.samples, [
    { document: 0, tokens: 2, byteStart: 0, byteEnd: 4, ids: [0, 1] },
    { document: 1, tokens: 5, byteStart: 4, byteEnd: 14, ids: [0, 1, 2, 3, 4] },
  ]);
  const text = await promisify(execFile)(process.execPath, [CLI, 'inspect', `${prefix}.idx`, '--document', '2']);
  assert.match(text.stdout, /^dataset {4}.*cli\ndocuments {2}3\nsequences {2}3\ntokens {5}10 {2}\(uint16\)\n/);
  assert.match(text.stdout, /── document 2: 3 tokens, bytes 14–20 of the \.bin ──\n0 1 2\n$/);
  await assert.rejects(
    promisify(execFile)(process.execPath, [CLI, 'inspect', prefix, '--language', 'de']),
    (e: { code: number; stderr: string }) =>
      e.code === 2 && e.stderr === 'corpus-lab inspect: --language must be one of ja, en, parallel, got "de"\n',
  );
});
