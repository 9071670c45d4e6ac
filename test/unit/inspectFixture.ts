import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import type { Language } from '../../src/core/recipe/model';
import { FIXTURES } from './helpers';

/** The bilingual medical text written for these tests: one Japanese sentence and its English translation a line. */
export function bilingualPairs(): { ja: string; en: string }[] {
  return readFileSync(path.join(FIXTURES, 'inspect', 'medical-bilingual.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [ja, en] = l.split('\t');
      return { ja, en };
    });
}

export interface FixtureSource {
  readonly id: string;
  readonly language: Language;
  readonly prefix: string;
  readonly texts: readonly string[];
  readonly ids: readonly (readonly number[])[];
  /** Sequences per document (Megatron's --split-sentences layout has several). */
  readonly sequencesPerDocument: number;
}

/** Documents of three kinds: Japanese (with a character only byte fallback can spell), English, and ja–en pairs. */
export function fixtureDocuments(): { id: string; language: Language; texts: string[] }[] {
  const pairs = bilingualPairs();
  return [
    {
      id: 'ja-guidelines',
      language: 'ja',
      texts: [...pairs.map((p) => p.ja), '患者の体温は38.5℃で、マスク😷を着用していた。'],
    },
    { id: 'en-abstracts', language: 'en', texts: pairs.map((p) => p.en) },
    { id: 'parallel-pairs', language: 'parallel', texts: pairs.map((p) => `${p.ja} ${p.en}`) },
  ];
}

/**
 * Trains a SentencePiece model on the text with Debian's spm_train (identity normalisation, byte
 * fallback, spaces kept: decoding must give back exactly what was encoded), encodes every document
 * with spm_encode --output_format=id, and writes each source as a Megatron dataset (uint16, as
 * Megatron's preprocess_data.py picks for a vocabulary under 65,500). The Japanese source splits
 * each document into two sequences, as --split-sentences does.
 */
export function buildSentencePieceFixture(dir: string): { model: string; sources: FixtureSource[] } {
  const pairs = bilingualPairs();
  const train = path.join(dir, 'train.txt');
  writeFileSync(train, `${pairs.flatMap((p) => [p.ja, p.en]).join('\n')}\n`);
  const prefix = path.join(dir, 'medical');
  try {
    execFileSync(
      'spm_train',
      [
        `--input=${train}`,
        `--model_prefix=${prefix}`,
        '--model_type=unigram',
        '--vocab_size=1200',
        '--hard_vocab_limit=false',
        '--character_coverage=1.0',
        '--byte_fallback=true',
        '--normalization_rule_name=identity',
        '--remove_extra_whitespaces=false',
        '--num_threads=1',
      ],
      { stdio: 'pipe' },
    );
  } catch (e) {
    throw new Error(
      `spm_train failed (Debian package "sentencepiece"; test/setup-debian.sh installs it): ${(e as Error).message}`,
    );
  }
  const model = `${prefix}.model`;
  const sources = fixtureDocuments().map((s) => {
    const input = path.join(dir, `${s.id}.txt`);
    writeFileSync(input, `${s.texts.join('\n')}\n`);
    const out = execFileSync('spm_encode', [`--model=${model}`, '--output_format=id', `--input=${input}`], {
      encoding: 'utf8',
    });
    const ids = out
      .split('\n')
      .slice(0, s.texts.length)
      .map((l) => l.split(' ').filter(Boolean).map(Number));
    const sequencesPerDocument = s.language === 'ja' ? 2 : 1;
    const p = path.join(dir, s.id);
    writeMegatronDataset(p, ids, sequencesPerDocument);
    return { ...s, prefix: p, ids, sequencesPerDocument };
  });
  return { model, sources };
}

/** Megatron's layout: each document cut into `perDocument` sequences, uint16 tokens in the .bin. */
export function writeMegatronDataset(prefix: string, documents: readonly (readonly number[])[], perDocument = 1): void {
  const lengths: number[] = [];
  const docIdx = [0];
  for (const ids of documents) {
    const cut =
      perDocument === 1 ? [ids.length] : [Math.floor(ids.length / 2), ids.length - Math.floor(ids.length / 2)];
    lengths.push(...cut);
    docIdx.push(lengths.length);
  }
  writeFileSync(`${prefix}.idx`, encodeIndex(lengths, docIdx, 8));
  const bin = Buffer.alloc(2 * documents.reduce((a, d) => a + d.length, 0));
  let o = 0;
  for (const ids of documents) for (const id of ids) o = bin.writeUInt16LE(id, o);
  writeFileSync(`${prefix}.bin`, bin);
}

export const BYTE_LEVEL_MERGES = ['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a', 'e r', 'o n', 'a t'];

/**
 * A byte-level BPE tokenizer.json as GPT-2's is spelled (256 byte symbols, a few merges, an
 * end-of-text token), written by the test; every sentence of the bilingual text is encoded with it
 * by @huggingface/tokenizers and written as a Megatron dataset.
 */
export async function buildTokenizerJsonFixture(
  dir: string,
): Promise<{ tokenizer: string; prefix: string; texts: string[]; ids: number[][] }> {
  const vocab: Record<string, number> = {};
  byteSymbols().forEach((s, i) => {
    vocab[s] = i;
  });
  for (const m of BYTE_LEVEL_MERGES) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  vocab['<|endoftext|>'] = Object.keys(vocab).length;
  const json = {
    version: '1.0',
    added_tokens: [
      {
        id: vocab['<|endoftext|>'],
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: BYTE_LEVEL_MERGES,
    },
  };
  const tokenizer = path.join(dir, 'tokenizer.json');
  writeFileSync(tokenizer, JSON.stringify(json));
  const texts = bilingualPairs().flatMap((p) => [p.ja, p.en]);
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const encoder = new Tokenizer(json, {});
  const ids = texts.map((t) => encoder.encode(t, { add_special_tokens: false }).ids);
  const prefix = path.join(dir, 'bytelevel_text_document');
  writeMegatronDataset(prefix, ids);
  return { tokenizer, prefix, texts, ids };
}

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest are shifted past U+0100. */
function byteSymbols(): string[] {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shift = 0;
  return Array.from({ length: 256 }, (_, b) => (keep(b) ? String.fromCharCode(b) : String.fromCharCode(256 + shift++)));
}
