import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import { openRemoteDataset } from '../../src/core/cluster/sftpRangeReader';
import { closeDataset, inspectDataset, openLocalDataset } from '../../src/core/megatron/datasetInspection';
import { TokenizerCache } from '../../src/core/tokenizers/cache';
import { buildSentencePieceFixture, buildTokenizerJsonFixture, type FixtureSource } from '../unit/inspectFixture';
import { connection, type LoopbackCluster, loopbackCluster } from './cluster';

/** Inspect Dataset on the loopback cluster: the index and tokens read by SFTP ranged reads, the tokenizer fetched once. */
let c: LoopbackCluster;
let conn: ClusterConnection;
let scratch: string;
let fixture: { model: string; sources: FixtureSource[] };
const run = `i${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let root: string;

before(async () => {
  c = loopbackCluster();
  conn = connection(c);
  scratch = mkdtempSync(path.join(tmpdir(), 'corpus-lab-inspect-'));
  fixture = buildSentencePieceFixture(scratch);
  root = `${c.home}/inspect-${run}`;
  const sftp = await conn.files();
  for (const s of fixture.sources) {
    for (const ext of ['idx', 'bin'])
      await uploadAtomic(sftp, readFileSync(`${s.prefix}.${ext}`), `${root}/${s.id}_text_document.${ext}`);
  }
  await uploadAtomic(sftp, readFileSync(fixture.model), `${root}/tokenizer/medical.model`);
});

after(async () => {
  await conn?.exec(['rm', '-rf', '--', root]).catch(() => undefined);
  conn?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

test('every document decodes back to its text over SFTP, with the numbers of the local inspection', async () => {
  const sftp = await conn.files();
  const cache = new TokenizerCache(path.join(scratch, 'cache'));
  const decoder = await cache.remote(sftp, 'loopback', `${root}/tokenizer/medical.model`);
  for (const s of fixture.sources) {
    const remote = await openRemoteDataset(sftp, `${root}/${s.id}_text_document`, 'loopback');
    const localDs = await openLocalDataset(s.prefix);
    try {
      const choice = { kind: 'first', count: s.texts.length } as const;
      const r = await inspectDataset(remote, { choice, decoder, declared: s.language });
      const l = await inspectDataset(localDs, { choice, decoder, declared: s.language });
      assert.equal(r.location, 'loopback');
      assert.deepEqual(
        r.samples.map((x) => x.text),
        s.texts,
      );
      assert.deepEqual(r.distribution, l.distribution);
      assert.deepEqual(r.samples, l.samples);
      assert.equal(r.language?.verdict.agrees, true);
    } finally {
      await closeDataset(remote);
      await closeDataset(localDs);
    }
  }
});

test('a tokenizer.json on the cluster decodes a byte-level BPE dataset read over SFTP back to its text', async () => {
  const sftp = await conn.files();
  const made = await buildTokenizerJsonFixture(mkdtempSync(path.join(scratch, 'bpe-')));
  for (const ext of ['idx', 'bin'])
    await uploadAtomic(sftp, readFileSync(`${made.prefix}.${ext}`), `${root}/bytelevel_text_document.${ext}`);
  await uploadAtomic(sftp, readFileSync(made.tokenizer), `${root}/gpt2-style/tokenizer.json`);
  const decoder = await new TokenizerCache(path.join(scratch, 'cache-bpe')).remote(
    sftp,
    'loopback',
    `${root}/gpt2-style/tokenizer.json`,
  );
  assert.equal(decoder.format, 'tokenizer.json');
  const remote = await openRemoteDataset(sftp, `${root}/bytelevel_text_document`, 'loopback');
  try {
    const r = await inspectDataset(remote, {
      choice: { kind: 'first', count: made.texts.length },
      decoder,
      declared: 'parallel',
    });
    assert.deepEqual(
      r.samples.map((x) => x.text),
      made.texts,
    );
    assert.equal(r.language?.verdict.agrees, true);
  } finally {
    await closeDataset(remote);
  }
});

test('the language check flags, over SFTP, an English source declared "ja"', async () => {
  const sftp = await conn.files();
  const decoder = await new TokenizerCache(path.join(scratch, 'cache')).remote(
    sftp,
    'loopback',
    `${root}/tokenizer/medical.model`,
  );
  const remote = await openRemoteDataset(sftp, `${root}/en-abstracts_text_document`, 'loopback');
  try {
    const r = await inspectDataset(remote, { choice: { kind: 'random', count: 10, seed: 3 }, decoder, declared: 'ja' });
    assert.equal(r.samples.length, 10);
    assert.equal(r.language?.verdict.agrees, false);
    assert.equal(r.language?.verdict.shares.japaneseShare, 0);
  } finally {
    await closeDataset(remote);
  }
});

test('a tokenizer on the cluster is fetched once and kept by its content hash; a changed one is fetched again', async () => {
  const sftp = await conn.files();
  const dir = path.join(scratch, 'cache-once');
  const remoteModel = `${root}/tokenizer/medical.model`;
  await new TokenizerCache(dir).remote(sftp, 'loopback', remoteModel);
  const blobs = () =>
    readdirSync(dir)
      .filter((f) => /^[0-9a-f]{64}$/.test(f))
      .sort();
  const first = blobs();
  assert.equal(first.length, 1);
  const written = statSync(path.join(dir, first[0])).mtimeMs;
  // A fresh cache object (a new session) finds the copy: nothing is written again.
  const again = await new TokenizerCache(dir).remote(sftp, 'loopback', remoteModel);
  assert.equal(again.format, 'sentencepiece');
  assert.deepEqual(blobs(), first);
  assert.equal(statSync(path.join(dir, first[0])).mtimeMs, written);
  // Another tokenizer at the same path (its format told by its content) is a new hash.
  const wordLevel = {
    model: { type: 'WordLevel', vocab: { '[UNK]': 0, ja: 1, en: 2 }, unk_token: '[UNK]' },
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
  };
  await uploadAtomic(sftp, JSON.stringify(wordLevel), remoteModel);
  const changed = await new TokenizerCache(dir).remote(sftp, 'loopback', remoteModel);
  assert.equal(changed.format, 'tokenizer.json');
  assert.equal(changed.vocabularySize, 3);
  assert.equal(blobs().length, 2);
  await assert.rejects(
    new TokenizerCache(dir).remote(sftp, 'loopback', `${root}/tokenizer/absent.model`),
    /absent\.model: No such file/,
  );
});

test('a missing dataset on the cluster is an error naming the file', async () => {
  const sftp = await conn.files();
  await assert.rejects(openRemoteDataset(sftp, `${root}/absent_text_document`, 'loopback'), {
    message: `${root}/absent_text_document.idx: no such file on the cluster`,
  });
});
