import type { Diagnostic } from '../diagnostics';
import type { Language, SourceSpec } from './model';

/**
 * Does a source hold the language it declares? Letters of the decoded samples are counted by
 * script: Japanese (hiragana, katakana, kanji) and Latin (ASCII and accented letters, full-width
 * too); digits, punctuation, spaces and other scripts count for neither. The shares are of the
 * letters of the two scripts together, over all samples of the source.
 *
 * Japanese medical prose carries Latin abbreviations (CT, MRI, HbA1c) and English carries none of
 * the Japanese scripts, so one threshold serves both: a source declared `ja` or `en` is flagged when
 * its own script is under MAJORITY of the letters. A `parallel` source holds both sides: it is
 * flagged when either script is under PARALLEL_MINIMUM (a Japanese sentence uses about half as many
 * letters as its English translation, so a real pair gives a Japanese share near a third).
 */
export const MAJORITY = 0.5;
export const PARALLEL_MINIMUM = 0.1;
/** Fewer letters than this decide nothing: the check says so instead of judging. */
export const MINIMUM_LETTERS = 20;

export interface ScriptCounts {
  readonly japanese: number;
  readonly latin: number;
}

export interface ScriptShares extends ScriptCounts {
  /** Of the Japanese and Latin letters together; null when there are none. */
  readonly japaneseShare: number | null;
  readonly latinShare: number | null;
}

export function isJapanese(cp: number): boolean {
  return (
    (cp >= 0x3041 && cp <= 0x309f) || // hiragana
    (cp >= 0x30a0 && cp <= 0x30ff) || // katakana
    (cp >= 0x31f0 && cp <= 0x31ff) || // katakana phonetic extensions
    (cp >= 0xff66 && cp <= 0xff9f) || // half-width katakana
    (cp >= 0x3400 && cp <= 0x4dbf) || // CJK extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified ideographs
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility ideographs
    (cp >= 0x20000 && cp <= 0x3134f) || // CJK extensions B–G
    cp === 0x3005 // 々, the kanji repetition mark
  );
}

export function isLatin(cp: number): boolean {
  return (
    (cp >= 0x41 && cp <= 0x5a) ||
    (cp >= 0x61 && cp <= 0x7a) ||
    (cp >= 0xc0 && cp <= 0x24f && cp !== 0xd7 && cp !== 0xf7) || // Latin-1 letters and Latin Extended-A/B
    (cp >= 0xff21 && cp <= 0xff3a) || // full-width A–Z
    (cp >= 0xff41 && cp <= 0xff5a) // full-width a–z
  );
}

export function countScripts(text: string): ScriptCounts {
  let japanese = 0;
  let latin = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isJapanese(cp)) japanese++;
    else if (isLatin(cp)) latin++;
  }
  return { japanese, latin };
}

export function shares(c: ScriptCounts): ScriptShares {
  const all = c.japanese + c.latin;
  return { ...c, japaneseShare: all > 0 ? c.japanese / all : null, latinShare: all > 0 ? c.latin / all : null };
}

export function addCounts(list: readonly ScriptCounts[]): ScriptCounts {
  return list.reduce((a, c) => ({ japanese: a.japanese + c.japanese, latin: a.latin + c.latin }), {
    japanese: 0,
    latin: 0,
  });
}

export type LanguageVerdict =
  | { readonly agrees: true; readonly shares: ScriptShares }
  | { readonly agrees: false; readonly shares: ScriptShares; readonly reason: string }
  | { readonly agrees: null; readonly shares: ScriptShares; readonly reason: string };

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);

/** Whether the samples' scripts agree with the declared language, and why not. */
export function judgeLanguage(declared: Language, counts: ScriptCounts): LanguageVerdict {
  const s = shares(counts);
  if (counts.japanese + counts.latin < MINIMUM_LETTERS)
    return {
      agrees: null,
      shares: s,
      reason: `only ${counts.japanese + counts.latin} Japanese or Latin letters in the samples (at least ${MINIMUM_LETTERS} are needed to judge)`,
    };
  const ja = s.japaneseShare!;
  const la = s.latinShare!;
  const seen = `Japanese script ${pct(ja)}, Latin ${pct(la)} of ${counts.japanese + counts.latin} letters`;
  switch (declared) {
    case 'en':
      return la < MAJORITY
        ? {
            agrees: false,
            shares: s,
            reason: `declared "en" but its samples are mostly Japanese (${seen}; "en" needs Latin ≥ ${pct(MAJORITY)})`,
          }
        : { agrees: true, shares: s };
    case 'ja':
      return ja < MAJORITY
        ? {
            agrees: false,
            shares: s,
            reason: `declared "ja" but its samples are mostly Latin script (${seen}; "ja" needs Japanese ≥ ${pct(MAJORITY)})`,
          }
        : { agrees: true, shares: s };
    case 'parallel':
      if (ja < PARALLEL_MINIMUM)
        return {
          agrees: false,
          shares: s,
          reason: `declared "parallel" but its samples have almost no Japanese side (${seen}; "parallel" needs each script ≥ ${pct(PARALLEL_MINIMUM)})`,
        };
      if (la < PARALLEL_MINIMUM)
        return {
          agrees: false,
          shares: s,
          reason: `declared "parallel" but its samples have almost no English side (${seen}; "parallel" needs each script ≥ ${pct(PARALLEL_MINIMUM)})`,
        };
      return { agrees: true, shares: s };
  }
}

/** The verdict as a recipe diagnostic on the source's `language:` (a warning: the samples are evidence, not proof). */
export function languageDiagnostic(
  file: string,
  source: SourceSpec,
  verdict: LanguageVerdict,
  sampled: number,
): Diagnostic | undefined {
  if (verdict.agrees !== false) return undefined;
  return {
    file,
    range: source.languageRange ?? source.idRange,
    severity: 'warning',
    message: `source "${source.id}": ${verdict.reason}, in ${sampled} sampled document${sampled === 1 ? '' : 's'}`,
  };
}
