import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { closeDataset, inspectDataset, openLocalDataset } from '../../src/core/megatron/datasetInspection';
import { loadTokenizer } from '../../src/core/tokenizers/decoder';
import { CLI, tempDir } from './helpers';
import { BYTE_LEVEL_MERGES, buildSentencePieceFixture, buildTokenizerJsonFixture } from './inspectFixture';

const dir = tempDir('corpus-lab-inspect-');
const fixture = buildSentencePieceFixture(dir);

test('every document of a SentencePiece-encoded Megatron dataset decodes back to exactly its text', async () => {
  const decoder = await loadTokenizer(readFileSync(fixture.model), fixture.model);
  assert.equal(decoder.format, 'sentencepiece');
  for (const s of fixture.sources) {
    const d = await openLocalDataset(s.prefix);
    try {
      const r = await inspectDataset(d, {
        choice: { kind: 'first', count: s.texts.length },
        decoder,
        declared: s.language,
      });
      assert.equal(r.distribution.documents, s.texts.length);
      assert.equal(r.distribution.sequences, s.texts.length * s.sequencesPerDocument);
      assert.equal(
        r.distribution.tokens,
        s.ids.reduce((a, x) => a + x.length, 0),
      );
      assert.deepEqual(
        r.samples.map((x) => x.text),
        s.texts,
      );
      assert.deepEqual(
        r.samples.map((x) => x.tokens),
        s.ids.map((x) => x.length),
      );
      // Byte ranges tile the .bin: each document starts where the previous ended.
      let at = 0;
      for (const x of r.samples) {
        assert.equal(x.byteStart, at);
        at = x.byteEnd;
      }
      assert.equal(at, d.bin.size);
      assert.equal(r.language?.verdict.agrees, true, `${s.id}: ${JSON.stringify(r.language)}`);
    } finally {
      await closeDataset(d);
    }
  }
});

test('the language check flags a source declared with the wrong language, and a parallel source with one side', async () => {
  const decoder = await loadTokenizer(readFileSync(fixture.model), fixture.model);
  const verdict = async (id: string, declared: 'ja' | 'en' | 'parallel') => {
    const d = await openLocalDataset(fixture.sources.find((s) => s.id === id)!.prefix);
    try {
      return (await inspectDataset(d, { choice: { kind: 'random', count: 20, seed: 7 }, decoder, declared })).language!
        .verdict;
    } finally {
      await closeDataset(d);
    }
  };
  const enAsJa = await verdict('en-abstracts', 'ja');
  assert.equal(enAsJa.agrees, false);
  assert.equal(enAsJa.shares.japaneseShare, 0);
  assert.match(
    (enAsJa as { reason: string }).reason,
    /^declared "ja" but its samples are mostly Latin script \(Japanese script 0\.0 %, Latin 100\.0 % of \d+ letters; "ja" needs Japanese ≥ 50\.0 %\)$/,
  );
  const jaAsEn = await verdict('ja-guidelines', 'en');
  assert.equal(jaAsEn.agrees, false);
  assert.ok(jaAsEn.shares.japaneseShare! > 0.9, String(jaAsEn.shares.japaneseShare));
  const jaAsParallel = await verdict('ja-guidelines', 'parallel');
  assert.equal(jaAsParallel.agrees, false);
  assert.match((jaAsParallel as { reason: string }).reason, /almost no English side/);
  assert.equal(
    (await verdict('parallel-pairs', 'en')).agrees,
    true,
    'a parallel source has more Latin letters than Japanese, so "en" is not refuted',
  );
  assert.equal((await verdict('parallel-pairs', 'ja')).agrees, false);
});

test('a tokenizer.json built by the test round-trips through a Megatron dataset', async () => {
  const made = await buildTokenizerJsonFixture(dir);
  assert.ok(made.ids[1].length < Buffer.byteLength(made.texts[1]), 'the merges are used');
  const decoder = await loadTokenizer(readFileSync(made.tokenizer), made.tokenizer);
  assert.equal(decoder.format, 'tokenizer.json');
  assert.equal(decoder.vocabularySize, 256 + BYTE_LEVEL_MERGES.length + 1);
  const d = await openLocalDataset(made.prefix);
  try {
    const r = await inspectDataset(d, { choice: { kind: 'first', count: made.texts.length }, decoder });
    assert.deepEqual(
      r.samples.map((s) => s.text),
      made.texts,
    );
  } finally {
    await closeDataset(d);
  }
});

test('corpus-lab inspect (the bundled CLI) decodes with the SentencePiece model and exits 1 when the language disagrees', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const en = fixture.sources.find((s) => s.id === 'en-abstracts')!;
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI,
    'inspect',
    en.prefix,
    '--tokenizer',
    fixture.model,
    '--last',
    '3',
    '--language',
    'en',
    '--json',
  ]);
  const r = JSON.parse(stdout);
  assert.deepEqual(
    r.samples.map((s: { text: string }) => s.text),
    en.texts.slice(-3),
  );
  assert.deepEqual(r.language, { declared: 'en', agrees: true, japaneseShare: 0, latinShare: 1, reason: null });
  await assert.rejects(
    promisify(execFile)(process.execPath, [
      CLI,
      'inspect',
      en.prefix,
      '--tokenizer',
      fixture.model,
      '--language',
      'ja',
    ]),
    (e: { code: number; stdout: string }) =>
      e.code === 1 && /DISAGREES: declared "ja" but its samples are mostly Latin script/.test(e.stdout),
  );
});
