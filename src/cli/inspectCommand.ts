import { closeDataset, inspectDataset, openLocalDataset } from '../core/megatron/datasetInspection';
import type { SampleChoice } from '../core/megatron/inspect';
import { formatInspection } from '../core/megatron/inspectionText';
import { safeJson } from '../core/printable';
import { LANGUAGES, type Language } from '../core/recipe/model';
import { readRegularFile } from '../core/regularFile';
import { loadTokenizer } from '../core/tokenizers/decoder';

type Values = { [key: string]: string | boolean | string[] | undefined };
interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const DEFAULT_SAMPLE = 5;

/**
 * `corpus-lab inspect <prefix> [--tokenizer PATH] [--sample N] [--seed S] [--first N] [--last N]
 * [--document I …] [--language ja|en|parallel] [--json]`.
 */
export async function inspectCommand(args: string[], values: Values, io: Io): Promise<number> {
  if (args.length !== 1) {
    io.err('corpus-lab inspect: name one dataset prefix (the path without .idx/.bin)\n');
    return 2;
  }
  let choice: SampleChoice;
  let declared: Language | undefined;
  try {
    choice = parseChoice(values);
    const lang = values.language;
    if (typeof lang === 'string') {
      if (!(LANGUAGES as readonly string[]).includes(lang))
        throw new Error(`--language must be one of ${LANGUAGES.join(', ')}, got "${lang}"`);
      declared = lang as Language;
    }
    if (declared && typeof values.tokenizer !== 'string')
      throw new Error('--language needs --tokenizer: the check reads the decoded text');
  } catch (e) {
    io.err(`corpus-lab inspect: ${(e as Error).message}\n`);
    return 2;
  }
  const prefix = args[0].replace(/\.(idx|bin)$/, '');
  const decoder =
    typeof values.tokenizer === 'string'
      ? await loadTokenizer(await readRegularFile(values.tokenizer), values.tokenizer)
      : undefined;
  const dataset = await openLocalDataset(prefix);
  try {
    const r = await inspectDataset(dataset, { choice, decoder, declared });
    if (values.json) {
      const d = r.distribution;
      io.out(
        `${safeJson({ prefix: r.prefix, documents: d.documents, sequences: d.sequences, tokens: d.tokens, dtype: d.dtype, meanTokens: d.meanTokens, histogram: d.histogram, percentiles: d.percentiles, shortest: d.shortest, longest: d.longest, tokenizer: r.tokenizer ?? null, samples: r.samples.map((s) => ({ document: s.document, tokens: s.tokens, byteStart: s.byteStart, byteEnd: s.byteEnd, ...(s.text === undefined ? { ids: s.ids } : { text: s.text, japaneseShare: s.scripts!.japaneseShare, latinShare: s.scripts!.latinShare }) })), language: r.language ? { declared: r.language.declared, agrees: r.language.verdict.agrees, japaneseShare: r.language.verdict.shares.japaneseShare, latinShare: r.language.verdict.shares.latinShare, reason: 'reason' in r.language.verdict ? r.language.verdict.reason : null } : null })}\n`,
      );
    } else io.out(formatInspection(r));
    return r.language?.verdict.agrees === false ? 1 : 0;
  } finally {
    await closeDataset(dataset);
  }
}

function whole(values: Values, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (typeof v !== 'string') return undefined;
  const x = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(x >= min && x <= max)) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return x;
}

/** One way of choosing documents: by number, the first or last N, or a seeded random N (the default). */
export function parseChoice(values: Values): SampleChoice {
  const documents = ((values.document as string[] | undefined) ?? []).map((v) => {
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
      throw new Error(`--document must be a document number (0, 1, …), got "${v}"`);
    return Number(v);
  });
  const first = whole(values, 'first', 0, 100_000);
  const last = whole(values, 'last', 0, 100_000);
  const sample = whole(values, 'sample', 0, 100_000);
  const seed = whole(values, 'seed', 0, 0xffffffff);
  const given = [documents.length > 0, first !== undefined, last !== undefined, sample !== undefined].filter(
    Boolean,
  ).length;
  if (given > 1) throw new Error('choose documents one way: --document, --first, --last or --sample');
  if (seed !== undefined && (first !== undefined || last !== undefined || documents.length > 0))
    throw new Error('--seed applies to --sample only');
  if (documents.length > 0) return { kind: 'indices', indices: documents };
  if (first !== undefined) return { kind: 'first', count: first };
  if (last !== undefined) return { kind: 'last', count: last };
  return { kind: 'random', count: sample ?? DEFAULT_SAMPLE, seed: seed ?? 0 };
}
