import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TokenizerCache } from '../../src/core/tokenizers/cache';
import { loadTokenizer, sentencePieceCount, tokenizerFormat } from '../../src/core/tokenizers/decoder';
import { locateTokenizer, type PathKind } from '../../src/core/tokenizers/locate';
import { tempDir } from './helpers';
import { buildSentencePieceFixture } from './inspectFixture';

const dir = tempDir('corpus-lab-tok-');
const fixture = buildSentencePieceFixture(dir);
const kind = async (p: string): Promise<PathKind> => {
  try {
    const s = statSync(p);
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : undefined;
  } catch {
    return undefined;
  }
};

test('a SentencePiece model: its pieces counted from the protobuf, ids outside them refused', async () => {
  const bytes = readFileSync(fixture.model);
  assert.equal(tokenizerFormat(bytes), 'sentencepiece');
  const vocab = readFileSync(fixture.model.replace(/\.model$/, '.vocab'), 'utf8')
    .split('\n')
    .filter(Boolean).length;
  assert.equal(sentencePieceCount(bytes, 'm'), vocab);
  const d = await loadTokenizer(bytes, fixture.model);
  assert.equal(d.vocabularySize, vocab);
  assert.throws(() => d.decode([5, vocab]), {
    message: `${fixture.model}: token 1 of the document is id ${vocab}, outside this tokenizer's vocabulary of ${vocab} (was the dataset made with another tokenizer?)`,
  });
});

test('files that are no tokenizer are errors naming the file and what is wrong', async () => {
  await assert.rejects(loadTokenizer(Buffer.from('plain text, not a model'), 'x.model'), {
    message: 'x.model: not a SentencePiece model (protobuf wire type 7)',
  });
  await assert.rejects(loadTokenizer(Buffer.from('{"model": {"type": "BPE"}}'), 'tokenizer.json'), {
    message:
      'tokenizer.json: not a Hugging Face tokenizer.json: field "model.vocab": expected the vocabulary: an object of token → id (BPE, WordPiece, WordLevel) or a list of [piece, score] (Unigram)',
  });
  await assert.rejects(
    loadTokenizer(Buffer.from('{"model": '), 'tokenizer.json'),
    /^TokenizerError: tokenizer\.json: not a valid tokenizer\.json: /,
  );
  // A protobuf that parses but is not a SentencePiece model: SentencePiece's own status says so.
  await assert.rejects(
    loadTokenizer(Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x41]), 'y.model'),
    /^TokenizerError: y\.model: SentencePiece cannot load this model: /,
  );
});

test("where a recipe's tokenizer lives: a file, a model directory, the cluster, or nowhere (with the places looked at)", async () => {
  const recipe = path.join(dir, 'study', 'a.recipe.yaml');
  mkdirSync(path.join(dir, 'study', 'llm-jp', 'llm-jp-3-13b'), { recursive: true });
  writeFileSync(path.join(dir, 'study', 'llm-jp', 'llm-jp-3-13b', 'tokenizer.model'), readFileSync(fixture.model));
  assert.deepEqual(await locateTokenizer('llm-jp/llm-jp-3-13b', recipe, kind), {
    where: 'local',
    file: path.join(dir, 'study', 'llm-jp', 'llm-jp-3-13b', 'tokenizer.model'),
  });
  assert.deepEqual(await locateTokenizer(fixture.model, recipe, kind), { where: 'local', file: fixture.model });
  // Not here: looked for under dataRoot on the cluster (here the same file system stands for it).
  assert.deepEqual(
    await locateTokenizer('medical.model', path.join(dir, 'elsewhere', 'b.recipe.yaml'), kind, { dataRoot: dir, kind }),
    { where: 'cluster', file: path.join(dir, 'medical.model') },
  );
  assert.deepEqual(await locateTokenizer('org/model', recipe, kind, { dataRoot: '/nonexistent-root', kind }), {
    where: 'none',
    looked: [path.join(dir, 'study', 'org', 'model'), '/nonexistent-root/org/model'],
  });
});

test('the cache shares one decoder between files of the same content', async () => {
  const copy = path.join(dir, 'copy.model');
  writeFileSync(copy, readFileSync(fixture.model));
  const cache = new TokenizerCache(path.join(dir, 'cache'));
  const [a, b] = await Promise.all([cache.local(fixture.model), cache.local(copy)]);
  assert.equal(a, b);
  await assert.rejects(cache.local(path.join(dir, 'absent.model')), /absent\.model: no such file/);
});
