import { Semaphore } from '../cluster/semaphore';
import {
  addCounts,
  countScripts,
  judgeLanguage,
  type LanguageVerdict,
  type ScriptShares,
  shares,
} from '../recipe/languageCheck';
import type { Language } from '../recipe/model';
import type { TokenDecoder } from '../tokenizers/decoder';
import {
  type LengthDistribution,
  lengthDistribution,
  readDocument,
  readHeader,
  type SampleChoice,
  sampleDocuments,
} from './inspect';
import { openLocalRange, type RangeReader } from './rangeReader';

/** A dataset's two files, opened for ranged reads (locally or over SFTP). */
export interface OpenedDataset {
  readonly prefix: string;
  /** Where it lives, for the report: `local` or the cluster's name. */
  readonly location: string;
  readonly idx: RangeReader;
  readonly bin: RangeReader;
}

export async function openLocalDataset(prefix: string): Promise<OpenedDataset> {
  const idx = await openLocalRange(`${prefix}.idx`);
  try {
    return { prefix, location: 'local', idx, bin: await openLocalRange(`${prefix}.bin`) };
  } catch (e) {
    await idx.close();
    throw e;
  }
}

export async function closeDataset(d: OpenedDataset): Promise<void> {
  await Promise.all([d.idx.close().catch(() => undefined), d.bin.close().catch(() => undefined)]);
}

export interface InspectedSample {
  readonly document: number;
  readonly tokens: number;
  readonly byteStart: number;
  readonly byteEnd: number;
  /** Without a tokenizer, the ids alone. */
  readonly ids: readonly number[];
  readonly text?: string;
  readonly scripts?: ScriptShares;
}

export interface Inspection {
  readonly prefix: string;
  readonly location: string;
  readonly distribution: LengthDistribution;
  readonly samples: readonly InspectedSample[];
  readonly tokenizer?: TokenDecoder['format'];
  /** The samples' scripts against the declared language, when a language and a tokenizer were given. */
  readonly language?: { readonly declared: Language; readonly verdict: LanguageVerdict };
}

export interface InspectOptions {
  readonly choice: SampleChoice;
  readonly decoder?: TokenDecoder;
  readonly declared?: Language;
  /** Skip the length distribution (sampling more documents from a dataset already summarised). */
  readonly distribution?: LengthDistribution;
}

/** Documents read at once: enough to keep SFTP's pipeline full, few enough to bound memory. */
const CONCURRENT_DOCUMENTS = 32;

export async function inspectDataset(d: OpenedDataset, o: InspectOptions): Promise<Inspection> {
  const distribution = o.distribution ?? (await lengthDistribution(d.idx, d.bin.size, d.bin.file));
  const header = await readHeader(d.idx);
  const docs = sampleDocuments(o.choice, distribution.documents);
  const gate = new Semaphore(CONCURRENT_DOCUMENTS);
  const samples = await Promise.all(
    docs.map((n) =>
      gate.with(async (): Promise<InspectedSample> => {
        const doc = await readDocument(d.idx, header, d.bin, n);
        const base = {
          document: n,
          tokens: doc.ids.length,
          byteStart: doc.byteStart,
          byteEnd: doc.byteEnd,
          ids: doc.ids,
        };
        if (!o.decoder) return base;
        const text = o.decoder.decode(doc.ids);
        return { ...base, text, scripts: shares(countScripts(text)) };
      }),
    ),
  );
  const language =
    o.declared && o.decoder
      ? { declared: o.declared, verdict: judgeLanguage(o.declared, addCounts(samples.map((s) => s.scripts!))) }
      : undefined;
  return { prefix: d.prefix, location: d.location, distribution, samples, tokenizer: o.decoder?.format, language };
}
