// The bundles import @sctg/sentencepiece-js lazily (import()), which esbuild cannot tree-shake; this
// static re-export of the one class used lets it drop the package's embedded example models (~3 MB).
export { SentencePieceProcessor } from '../node_modules/@sctg/sentencepiece-js/dist/index.js';
