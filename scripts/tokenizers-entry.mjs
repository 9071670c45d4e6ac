// The tokenizer libraries as one bundle of their own (dist/tokenizers.js), which the extension and
// the CLI require on first use: parsed only when a dataset is inspected, not at activation.
export { Tokenizer } from '@huggingface/tokenizers';
export { SentencePieceProcessor } from './sentencepiece-entry.mjs';
