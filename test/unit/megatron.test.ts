import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  encodeIndex,
  findIndexedDatasets,
  HEADER_BYTES,
  readIndexedDataset,
} from '../../src/core/megatron/indexedDataset';
import { loadRecipes } from '../../src/core/recipe/loader';
import { tempDir } from './helpers';

/** Writes `prefix.idx` and a `.bin` of the right size (or `binBytes`), as Megatron's builder would. */
function writeDataset(prefix: string, lengths: number[], docs: number[], dtypeCode = 8, binBytes?: number) {
  const idx = encodeIndex(lengths, docs, dtypeCode);
  const itemSize = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 8, 7: 4, 8: 2 }[dtypeCode]!;
  mkdirSync(path.dirname(prefix), { recursive: true });
  writeFileSync(`${prefix}.idx`, idx);
  writeFileSync(`${prefix}.bin`, Buffer.alloc(binBytes ?? lengths.reduce((a, b) => a + b, 0) * itemSize));
  return idx;
}

test('an indexed dataset reports its exact tokens, documents, sequences and dtype', async () => {
  const dir = tempDir();
  writeDataset(path.join(dir, 'ja_wiki_text_document'), [5, 7, 11, 2], [0, 2, 4], 8);
  assert.deepEqual(await readIndexedDataset(path.join(dir, 'ja_wiki_text_document')), {
    prefix: path.join(dir, 'ja_wiki_text_document'),
    tokens: 25,
    documents: 2,
    sequences: 4,
    dtype: 'uint16',
  });
  writeDataset(path.join(dir, 'int32_text_document'), [100000, 3], [0, 1, 2], 4);
  assert.deepEqual(await readIndexedDataset(path.join(dir, 'int32_text_document')), {
    prefix: path.join(dir, 'int32_text_document'),
    tokens: 100003,
    documents: 2,
    sequences: 2,
    dtype: 'int32',
  });
});

test('a large index is summed in chunks to the exact count', async () => {
  const dir = tempDir();
  const n = 1_500_000; // 6 MB of lengths: more than one 4 MiB chunk
  const lengths = Array.from({ length: n }, (_, i) => (i % 3) + 1);
  writeDataset(path.join(dir, 'big'), lengths, [0, n], 8);
  const info = await readIndexedDataset(path.join(dir, 'big'));
  assert.equal(
    info.tokens,
    lengths.reduce((a, b) => a + b, 0),
  );
  assert.equal(info.sequences, n);
  assert.equal(info.documents, 1);
});

test('corrupt datasets are clear errors naming the file', async () => {
  const dir = tempDir();
  const p = (name: string) => path.join(dir, name);
  const good = encodeIndex([3, 4], [0, 1, 2], 8);

  writeFileSync(p('magic.idx'), Buffer.concat([Buffer.from('NOTANIDX\0'), good.subarray(9)]));
  await assert.rejects(readIndexedDataset(p('magic')), {
    message: `${p('magic.idx')}: not a Megatron indexed dataset index (wrong magic; expected "MMIDIDX\\x00\\x00")`,
  });

  const v2 = Buffer.from(good);
  v2.writeBigUInt64LE(2n, 9);
  writeFileSync(p('version.idx'), v2);
  await assert.rejects(readIndexedDataset(p('version')), {
    message: `${p('version.idx')}: unsupported index version 2 (only version 1 is known)`,
  });

  const dtype = Buffer.from(good);
  dtype.writeUInt8(9, 17);
  writeFileSync(p('dtype.idx'), dtype);
  await assert.rejects(readIndexedDataset(p('dtype')), {
    message: `${p('dtype.idx')}: unknown dtype code 9 (known: 1–8)`,
  });

  writeFileSync(p('header.idx'), good.subarray(0, 20));
  await assert.rejects(readIndexedDataset(p('header')), {
    message: `${p('header.idx')}: truncated header: 20 of ${HEADER_BYTES} bytes`,
  });

  writeFileSync(p('short.idx'), good.subarray(0, good.length - 5));
  await assert.rejects(readIndexedDataset(p('short')), {
    message: `${p('short.idx')}: truncated index: ${good.length - 5} bytes, expected ${good.length} for 2 sequences and 3 document indices`,
  });

  writeFileSync(p('long.idx'), Buffer.concat([good, Buffer.alloc(3)]));
  await assert.rejects(readIndexedDataset(p('long')), {
    message: `${p('long.idx')}: index has 3 trailing bytes beyond the ${good.length} its header describes`,
  });

  writeDataset(p('binsize'), [3, 4], [0, 1, 2], 8, 13);
  await assert.rejects(readIndexedDataset(p('binsize')), {
    message: `${p('binsize.bin')}: size 13 bytes disagrees with the index: 7 tokens × 2 bytes (uint16) = 14`,
  });

  writeFileSync(p('nobin.idx'), good);
  await assert.rejects(readIndexedDataset(p('nobin')), { message: `${p('nobin.bin')}: no such file` });

  await assert.rejects(readIndexedDataset(p('absent')), { message: `${p('absent.idx')}: no such file` });

  writeDataset(p('negative'), [3, -4], [0, 2], 8, 0);
  await assert.rejects(readIndexedDataset(p('negative')), {
    message: `${p('negative.idx')}: negative sequence length -4`,
  });

  writeDataset(p('docidx'), [3, 4], [0, 1], 8);
  await assert.rejects(readIndexedDataset(p('docidx')), {
    message: `${p('docidx.idx')}: last document index is 1, expected the sequence count 2`,
  });
});

test('datasets are found recursively and recipes count their megatron sources from them', async () => {
  const dir = tempDir();
  writeDataset(path.join(dir, 'data', 'ja', 'a_text_document'), [10, 20], [0, 2]);
  writeDataset(path.join(dir, 'data', 'en', 'b_text_document'), [1000], [0, 1]);
  assert.deepEqual(await findIndexedDatasets(path.join(dir, 'data')), [
    path.join(dir, 'data', 'en', 'b_text_document'),
    path.join(dir, 'data', 'ja', 'a_text_document'),
  ]);
  writeFileSync(
    path.join(dir, 'r.recipe.yaml'),
    [
      'name: R',
      'tokenizer: t',
      'sources:',
      '  - { id: a, language: ja, origin: original, megatron: data/ja/a_text_document, fraction: 0.5 }',
      '  - { id: b, language: en, origin: original, megatron: data/en/b_text_document, tokens: 999 }',
    ].join('\n'),
  );
  const { set } = await loadRecipes([dir]);
  const r = set.recipes.get('R')!;
  assert.deepEqual(
    r.sources.map((s) => [s.id, s.tokens, s.tokensFrom, s.effectiveTokens]),
    [
      ['a', 30, 'index', 15],
      ['b', 1000, 'index', 1000],
    ],
  );
  assert.deepEqual(
    set.diagnostics.map((d) => [d.severity, d.range.start.line, d.message]),
    [
      [
        'warning',
        4,
        'declared 999 tokens (999) but the indexed dataset data/en/b_text_document holds 1000 (1.00K); the index wins',
      ],
    ],
  );
  assert.equal(r.statistics.total, 1015);
});
