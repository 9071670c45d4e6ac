import type { Language } from './model';

/** The seven compositional statistics of the paper (Section 3.1, Appendix C). Counts are tokens. */
export interface CompositionStatistics {
  readonly total: number;
  readonly japanese: number;
  readonly english: number;
  readonly parallel: number;
  readonly japaneseRatio: number;
  readonly englishRatio: number;
  readonly parallelRatio: number;
}

const LANGUAGE_KEY: Record<Language, 'japanese' | 'english' | 'parallel'> = {
  ja: 'japanese',
  en: 'english',
  parallel: 'parallel',
};

/** The statistics of `sources`, or of `start`'s sources followed by these (the same sums, continued). */
export function computeStatistics(
  sources: Iterable<{ language: Language; effectiveTokens: number }>,
  start?: CompositionStatistics,
): CompositionStatistics {
  const counts = { japanese: start?.japanese ?? 0, english: start?.english ?? 0, parallel: start?.parallel ?? 0 };
  for (const s of sources) counts[LANGUAGE_KEY[s.language]] += s.effectiveTokens;
  const total = counts.japanese + counts.english + counts.parallel;
  // An empty recipe has no composition; zero ratios keep every consumer total-free of NaN.
  const ratio = (x: number) => (total > 0 ? x / total : 0);
  return {
    total,
    ...counts,
    japaneseRatio: ratio(counts.japanese),
    englishRatio: ratio(counts.english),
    parallelRatio: ratio(counts.parallel),
  };
}

export function subtractStatistics(a: CompositionStatistics, b: CompositionStatistics): CompositionStatistics {
  return {
    total: a.total - b.total,
    japanese: a.japanese - b.japanese,
    english: a.english - b.english,
    parallel: a.parallel - b.parallel,
    japaneseRatio: a.japaneseRatio - b.japaneseRatio,
    englishRatio: a.englishRatio - b.englishRatio,
    parallelRatio: a.parallelRatio - b.parallelRatio,
  };
}

export const STATISTIC_LABELS: Readonly<Record<keyof CompositionStatistics, string>> = {
  total: 'Total tokens',
  japanese: 'Japanese tokens',
  english: 'English tokens',
  parallel: 'Parallel tokens',
  japaneseRatio: 'Japanese ratio',
  englishRatio: 'English ratio',
  parallelRatio: 'Parallel ratio',
};
