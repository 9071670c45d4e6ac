import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { closeDataset, inspectDataset, openLocalDataset } from '../../src/core/megatron/datasetInspection';
import { loadTokenizer } from '../../src/core/tokenizers/decoder';
import { CLI, tempDir } from './helpers';
import { bilingualPairs, buildSentencePieceFixture, writeMegatronDataset } from './inspectFixture';

const dir = tempDir('corpus-lab-inspect-');
const fixture = buildSentencePieceFixture(dir);

test('every document of a SentencePiece-encoded Megatron dataset decodes back to exactly its text', async () => {
  const decoder = await loadTokenizer(readFileSync(fixture.model), fixture.model);
  assert.equal(decoder.format, 'sentencepiece');
  for (const s of fixture.sources) {
    const d = await openLocalDataset(s.prefix);
    try {
      const r = await inspectDataset(d, { choice: { kind: 'first', count: s.texts.length }, decoder, declared: s.language });
      assert.equal(r.distribution.documents, s.texts.length);
      assert.equal(r.distribution.sequences, s.texts.length * s.sequencesPerDocument);
      assert.equal(r.distribution.tokens, s.ids.reduce((a, x) => a + x.length, 0));
      assert.deepEqual(r.samples.map((x) => x.text), s.texts);
      assert.deepEqual(r.samples.map((x) => x.tokens), s.ids.map((x) => x.length));
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
      return (await inspectDataset(d, { choice: { kind: 'random', count: 20, seed: 7 }, decoder, declared })).language!.verdict;
    } finally {
      await closeDataset(d);
    }
  };
  const enAsJa = await verdict('en-abstracts', 'ja');
  assert.equal(enAsJa.agrees, false);
  assert.equal(enAsJa.shares.japaneseShare, 0);
  assert.match((enAsJa as { reason: string }).reason, /^declared "ja" but its samples are mostly Latin script \(Japanese script 0\.0 %, Latin 100\.0 % of \d+ letters; "ja" needs Japanese ≥ 50\.0 %\)$/);
  const jaAsEn = await verdict('ja-guidelines', 'en');
  assert.equal(jaAsEn.agrees, false);
  assert.ok(jaAsEn.shares.japaneseShare! > 0.9, String(jaAsEn.shares.japaneseShare));
  const jaAsParallel = await verdict('ja-guidelines', 'parallel');
  assert.equal(jaAsParallel.agrees, false);
  assert.match((jaAsParallel as { reason: string }).reason, /almost no English side/);
  assert.equal((await verdict('parallel-pairs', 'en')).agrees, true, 'a parallel source has more Latin letters than Japanese, so "en" is not refuted');
  assert.equal((await verdict('parallel-pairs', 'ja')).agrees, false);
});

test('a tokenizer.json built by the test round-trips through a Megatron dataset', async () => {
  // A byte-level BPE as GPT-2's tokenizer.json spells it: 256 byte symbols, a few merges.
  const bytes = byteSymbols();
  const vocab: Record<string, number> = {};
  bytes.forEach((s, i) => (vocab[s] = i));
  const merges = ['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a', 'e r', 'o n', 'a t'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  const json = {
    version: '1.0',
    added_tokens: [{ id: vocab['<|endoftext|>'], content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const file = path.join(dir, 'tokenizer.json');
  writeFileSync(file, JSON.stringify(json));
  const texts = bilingualPairs().flatMap((p) => [p.ja, p.en]);
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const encoder = new Tokenizer(json, {});
  const ids = texts.map((t) => encoder.encode(t, { add_special_tokens: false }).ids);
  assert.ok(ids[1].length < Buffer.byteLength(texts[1]), 'the merges are used');
  const prefix = path.join(dir, 'bytelevel');
  writeMegatronDataset(prefix, ids);
  const decoder = await loadTokenizer(readFileSync(file), file);
  assert.equal(decoder.format, 'tokenizer.json');
  assert.equal(decoder.vocabularySize, 256 + merges.length + 1);
  const d = await openLocalDataset(prefix);
  try {
    const r = await inspectDataset(d, { choice: { kind: 'first', count: texts.length }, decoder });
    assert.deepEqual(r.samples.map((s) => s.text), texts);
  } finally {
    await closeDataset(d);
  }
});

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest are shifted past U+0100. */
function byteSymbols(): string[] {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shift = 0;
  return Array.from({ length: 256 }, (_, b) => (keep(b) ? String.fromCharCode(b) : String.fromCharCode(256 + shift++)));
}

test('corpus-lab inspect (the bundled CLI) decodes with the SentencePiece model and exits 1 when the language disagrees', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const en = fixture.sources.find((s) => s.id === 'en-abstracts')!;
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'inspect', en.prefix, '--tokenizer', fixture.model, '--last', '3', '--language', 'en', '--json']);
  const r = JSON.parse(stdout);
  assert.deepEqual(r.samples.map((s: { text: string }) => s.text), en.texts.slice(-3));
  assert.deepEqual(r.language, { declared: 'en', agrees: true, japaneseShare: 0, latinShare: 1, reason: null });
  await assert.rejects(promisify(execFile)(process.execPath, [CLI, 'inspect', en.prefix, '--tokenizer', fixture.model, '--language', 'ja']), (e: { code: number; stdout: string }) => e.code === 1 && /DISAGREES: declared "ja" but its samples are mostly Latin script/.test(e.stdout));
});
