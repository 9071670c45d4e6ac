import { z } from 'zod';

/**
 * Turning a document's token ids back into text with the tokenizer that made them. Two formats,
 * each decoded by a maintained implementation rather than our own:
 * - a Hugging Face `tokenizer.json`, by `@huggingface/tokenizers` (the Hugging Face team's pure
 *   TypeScript port of their Rust library, the one transformers.js uses);
 * - a SentencePiece `.model` (what Megatron's `--tokenizer-model` takes), by
 *   `@sctg/sentencepiece-js`: Google's C++ SentencePiece compiled to WebAssembly, so decoding
 *   (byte fallback, the `▁` space marker, control pieces) is SentencePiece's own.
 */
export interface TokenDecoder {
  readonly format: 'tokenizer.json' | 'sentencepiece';
  /** The ids it knows: 0 … vocabularySize − 1. */
  readonly vocabularySize: number;
  decode(ids: readonly number[]): string;
}

export class TokenizerError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'TokenizerError';
  }
}

/** Which format the bytes are: a tokenizer.json is a JSON object; a SentencePiece model is a protobuf. */
export function tokenizerFormat(bytes: Uint8Array): TokenDecoder['format'] {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 ||
      bytes[i] === 0x0a ||
      bytes[i] === 0x0d ||
      bytes[i] === 0x09 ||
      bytes[i] === 0xef ||
      bytes[i] === 0xbb ||
      bytes[i] === 0xbf)
  )
    i++;
  return bytes[i] === 0x7b ? 'tokenizer.json' : 'sentencepiece';
}

export async function loadTokenizer(bytes: Uint8Array, file: string): Promise<TokenDecoder> {
  return tokenizerFormat(bytes) === 'tokenizer.json' ? loadTokenizerJson(bytes, file) : loadSentencePiece(bytes, file);
}

const TokenizerJson = z
  .object({
    model: z
      .object({
        type: z.string().optional(),
        vocab: z.union(
          [z.record(z.string(), z.number().int().nonnegative()), z.array(z.tuple([z.string(), z.number()]))],
          {
            message:
              'expected the vocabulary: an object of token → id (BPE, WordPiece, WordLevel) or a list of [piece, score] (Unigram)',
          },
        ),
      })
      .passthrough(),
    added_tokens: z
      .array(z.object({ id: z.number().int().nonnegative(), content: z.string() }).passthrough())
      .optional(),
  })
  .passthrough();

async function loadTokenizerJson(bytes: Uint8Array, file: string): Promise<TokenDecoder> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new TokenizerError(file, `not a valid tokenizer.json: ${(e as Error).message}`);
  }
  const parsed = TokenizerJson.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TokenizerError(
      file,
      `not a Hugging Face tokenizer.json: field "${issue.path.join('.') || '(root)'}": ${issue.message}`,
    );
  }
  const vocab = parsed.data.model.vocab;
  const ids = Array.isArray(vocab) ? [vocab.length - 1] : Object.values(vocab);
  for (const t of parsed.data.added_tokens ?? []) ids.push(t.id);
  const vocabularySize = ids.reduce((m, v) => Math.max(m, v), -1) + 1;
  const { Tokenizer } = await import('@huggingface/tokenizers');
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = new Tokenizer(parsed.data, {});
  } catch (e) {
    throw new TokenizerError(file, `the tokenizer cannot be built: ${(e as Error).message}`);
  }
  return {
    format: 'tokenizer.json',
    vocabularySize,
    // Special tokens (an end-of-document id Megatron appended) stay visible: the view shows what the dataset holds.
    decode: (tokens) =>
      tokenizer.decode(checkIds(tokens, vocabularySize, file), {
        skip_special_tokens: false,
        clean_up_tokenization_spaces: false,
      }),
  };
}

/** Counts the `pieces` (field 1) of a SentencePiece ModelProto, which also proves the bytes are one. */
export function sentencePieceCount(b: Uint8Array, file: string): number {
  let o = 0;
  let pieces = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (o >= b.length) throw new TokenizerError(file, 'not a SentencePiece model (truncated protobuf)');
      const byte = b[o++];
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) return v;
      scale *= 128;
      if (scale > 2 ** 56) throw new TokenizerError(file, 'not a SentencePiece model (bad protobuf varint)');
    }
  };
  while (o < b.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) throw new TokenizerError(file, 'not a SentencePiece model (protobuf field 0)');
    if (wire === 0) varint();
    else if (wire === 1) o += 8;
    else if (wire === 5) o += 4;
    else if (wire === 2) {
      const len = varint();
      o += len;
      if (field === 1) pieces++;
    } else throw new TokenizerError(file, `not a SentencePiece model (protobuf wire type ${wire})`);
    if (o > b.length) throw new TokenizerError(file, 'not a SentencePiece model (truncated protobuf)');
  }
  if (pieces === 0) throw new TokenizerError(file, 'not a SentencePiece model (no pieces)');
  return pieces;
}

async function loadSentencePiece(bytes: Uint8Array, file: string): Promise<TokenDecoder> {
  const vocabularySize = sentencePieceCount(bytes, file);
  const { SentencePieceProcessor } = await import('@sctg/sentencepiece-js');
  const spm = new SentencePieceProcessor();
  await spm.loadFromB64StringModel(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
  // The package drops SentencePiece's load status; it is asked for here, so a bad model is an error, not empty text.
  const status = String(spm.processor.status().ToString());
  if (status !== 'OK') throw new TokenizerError(file, `SentencePiece cannot load this model: ${status}`);
  return {
    format: 'sentencepiece',
    vocabularySize,
    decode: (tokens) => String(spm.decodeIds(Int32Array.from(checkIds(tokens, vocabularySize, file)))),
  };
}

/** An id outside the vocabulary means the dataset was made with another tokenizer: said, not decoded as garbage. */
function checkIds(ids: readonly number[], size: number, file: string): number[] {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= size)
      throw new TokenizerError(
        file,
        `token ${i} of the document is id ${id}, outside this tokenizer's vocabulary of ${size} (was the dataset made with another tokenizer?)`,
      );
  }
  return ids as number[];
}
