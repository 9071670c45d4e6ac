import { z } from 'zod';

/**
 * What the analysis says in words — why a test has no numbers, why an interval is missing, what is
 * wrong with the input tables — kept as data: a code and its arguments. Each code has one English
 * template, with named placeholders, which is also the key its translation is looked up by (the
 * extension sends the translated templates with the panels' strings), so the core never decides the
 * reader's language and the CLI prints the English. Pure and browser-safe: the pages bundle it.
 */
export const MESSAGE_TEMPLATES = {
  scoresConstant: 'the score differences of "{task}" do not vary across corpora',
  scoresExplained:
    'the score differences of "{task}" are a linear function of the covariates {covariates}: nothing is left to correlate',
  residualsConstant: 'the residuals of "{task}" have no variance',
  ownCovariate: '{statistic} cannot be its own covariate',
  covariateTwice: 'covariate {covariate} is listed twice for {statistic}',
  tooFewCorpora: 'too few corpora: n = {n} with {k} covariates leaves n − 2 − k = {df} degrees of freedom',
  statisticConstant: '{statistic} does not vary across the corpora',
  covariateConstant: 'covariate {covariate} does not vary across the corpora',
  covariatesCollinear:
    'the covariates of {statistic} are collinear: {covariate} is a linear function of {others} (rank-deficient design)',
  statisticExplained:
    '{statistic} is a linear function of its covariates {covariates} (e.g. total = Japanese + English + parallel): its partial correlation is undefined',
  covariatesCollinearPrinted:
    'the covariates of {statistic} are collinear within the printed precision of {file}: {covariate} is a linear function of {others} up to the rounding of the table',
  statisticDeterminedPrinted:
    "{statistic} is determined by its covariates {covariates} within the printed precision of {file} (each cell ± half its last digit): its partial correlation would measure the table's rounding",
  nearlyCollinear:
    '{statistic} is nearly collinear with its covariates {covariates} (VIF = {vif}): its partial correlations are unstable',
  noInterval: 'no 95 % confidence interval: Fisher z needs n − 3 − k > 0, here {n} − 3 − {k} = {df}',
  totalMismatch:
    '{file}: corpus "{corpus}", {column} = {value} differs from japanese + english + parallel = {sum} by more than the printed precision allows (±{room})',
  ratioMismatch:
    '{file}: corpus "{corpus}", {column} = {value} does not match 100 × {count} / {total} = {expected} within the printed precision (±{room})',
  sameTest: 'same test as {original}: counted once in family {family}',
  sameTestNegated: 'same test as {original} (negated): counted once in family {family}',
  notComputed: 'undefined',
  // How a study's numbers were made (src/core/study/loadStudy.ts), shown above the score table.
  scoresFrom: 'score differences from {file}',
  resultsAggregated:
    'results in {folder}: {shots}-shot, {aggregation} over templates, MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
  resultsAggregatedHere:
    'results in this folder: {shots}-shot, {aggregation} over templates, MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
  resultsOneTemplate:
    'results in {folder}: {shots}-shot, template "{template}", MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
  resultsOneTemplateHere:
    'results in this folder: {shots}-shot, template "{template}", MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
} as const;

export type MessageCode = keyof typeof MESSAGE_TEMPLATES;
export const MESSAGE_CODES = Object.keys(MESSAGE_TEMPLATES) as MessageCode[];
export type MessageTemplate = (typeof MESSAGE_TEMPLATES)[MessageCode];

/** The placeholder names of a template, read from its type: `'a {x} b {y}'` → `'x' | 'y'`. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

/** One message: its code and exactly the arguments its template names. */
export type AnalysisMessage = {
  readonly [C in MessageCode]: {
    readonly code: C;
    readonly args: { readonly [P in Placeholders<(typeof MESSAGE_TEMPLATES)[C]>]: string | number };
  };
}[MessageCode];

const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholder names of a template, in order of first appearance. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

const argument = z.union([z.string(), z.number().finite()]);

/**
 * Strict both ways: an unknown code, a missing argument or an extra one is refused with its path.
 * Built from the templates, so zod cannot infer the union's type; it is the one derived from the same templates above.
 */
export const analysisMessage = z.discriminatedUnion(
  'code',
  MESSAGE_CODES.map((code) =>
    z
      .object({
        code: z.literal(code),
        args: z.object(Object.fromEntries(placeholders(MESSAGE_TEMPLATES[code]).map((p) => [p, argument]))).strict(),
      })
      .strict(),
  ) as unknown as [z.ZodDiscriminatedUnionOption<'code'>, ...z.ZodDiscriminatedUnionOption<'code'>[]],
) as unknown as z.ZodType<AnalysisMessage>;

/** Builds a message; the arguments are checked against the template's placeholders by the compiler. */
export function message<C extends MessageCode>(
  code: C,
  args: Extract<AnalysisMessage, { code: C }>['args'],
): AnalysisMessage {
  return { code, args } as AnalysisMessage;
}

/** Translated templates keyed by their English text (the panels' strings); missing ones stay English. */
export type Translations = Readonly<Record<string, string>>;

/** The message in words: its template, translated when `translations` has it, with the arguments filled in. */
export function renderMessage(m: AnalysisMessage, translations: Translations = {}): string {
  const english = MESSAGE_TEMPLATES[m.code];
  const args = m.args as Readonly<Record<string, string | number>>;
  return (translations[english] ?? english).replace(PLACEHOLDER, (whole, name: string) =>
    name in args ? String(args[name]) : whole,
  );
}

function isMessage(value: object): value is AnalysisMessage {
  return 'code' in value && 'args' in value && analysisMessage.safeParse(value).success;
}

/**
 * A copy of `value` with every message in it put in words: what the CLI's JSON prints, so its
 * `error`, `ciError` and `warnings` stay the English sentences they have always been.
 */
export function messagesInWords(value: unknown, translations: Translations = {}): unknown {
  if (Array.isArray(value)) return value.map((v) => messagesInWords(v, translations));
  if (value === null || typeof value !== 'object') return value;
  if (isMessage(value)) return renderMessage(value, translations);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, messagesInWords(v, translations)]));
}
