/** The seven compositional statistics (paper Section 3.1), by the ids the CLI and study files use. */
export const STATISTIC_IDS = [
  'total_tokens',
  'japanese_tokens',
  'english_tokens',
  'parallel_tokens',
  'japanese_ratio',
  'english_ratio',
  'parallel_ratio',
] as const;
export type StatisticId = (typeof STATISTIC_IDS)[number];

/** Column names of the composition CSV (`../shared/paper/composition.csv`): billions and percent. */
export const COMPOSITION_COLUMNS: Readonly<Record<StatisticId, string>> = {
  total_tokens: 'total_tokens_b',
  japanese_tokens: 'japanese_tokens_b',
  english_tokens: 'english_tokens_b',
  parallel_tokens: 'parallel_tokens_b',
  japanese_ratio: 'japanese_ratio_pct',
  english_ratio: 'english_ratio_pct',
  parallel_ratio: 'parallel_ratio_pct',
};

export const STATISTIC_NAMES: Readonly<Record<StatisticId, string>> = {
  total_tokens: 'Total token count',
  japanese_tokens: 'Japanese token count',
  english_tokens: 'English token count',
  parallel_tokens: 'Parallel token count',
  japanese_ratio: 'Japanese token ratio',
  english_ratio: 'English token ratio',
  parallel_ratio: 'Parallel token ratio',
};

/**
 * The default covariates: each statistic is controlled for the other coordinates of the same
 * parametrisation of a corpus. Counts: (Japanese, English, parallel) — the total is their sum and
 * would make the design singular. Size and shape: (total, two ratios) — the third ratio is one
 * minus the others. So every test removes what the rest of the composition explains, with two
 * covariates, leaving n − 4 degrees of freedom for the corrected p-value.
 */
export const DEFAULT_COVARIATES: Readonly<Record<StatisticId, readonly StatisticId[]>> = {
  japanese_tokens: ['english_tokens', 'parallel_tokens'],
  english_tokens: ['japanese_tokens', 'parallel_tokens'],
  parallel_tokens: ['japanese_tokens', 'english_tokens'],
  total_tokens: ['japanese_ratio', 'parallel_ratio'],
  japanese_ratio: ['total_tokens', 'parallel_ratio'],
  english_ratio: ['total_tokens', 'parallel_ratio'],
  parallel_ratio: ['total_tokens', 'japanese_ratio'],
};

export function isStatisticId(s: string): s is StatisticId {
  return (STATISTIC_IDS as readonly string[]).includes(s);
}
