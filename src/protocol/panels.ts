import { z } from 'zod';
import { STATISTIC_IDS } from '../core/analysis/statistics';

/**
 * The messages between the analysis panels and the extension, validated on receipt by both sides.
 * One discriminated union per direction; each side has one handler per `type`.
 */

export const PANEL_KINDS = ['scores', 'correlations'] as const;
export type PanelKind = (typeof PANEL_KINDS)[number];

const num = z.number().finite();
const nullableNum = num.nullable();
const statistic = z.enum(STATISTIC_IDS);
const interval = z.object({ low: num, high: num });

const testResult = z.object({
  task: z.string(),
  language: z.string(),
  category: z.string(),
  statistic,
  covariates: z.array(statistic),
  n: z.number().int(),
  regular: z.object({ r: nullableNum, p: nullableNum, ci: interval.nullable(), ciError: z.string().optional() }),
  partial: z.object({
    r: nullableNum,
    p: nullableNum,
    pCorrected: nullableNum,
    pPermutation: nullableNum,
    ci: interval.nullable(),
    ciError: z.string().optional(),
  }),
  q: nullableNum,
  holm: nullableNum,
  family: z.string(),
  duplicateOf: z.object({ statistic, task: z.string(), sign: z.union([z.literal(1), z.literal(-1)]) }).optional(),
  permutation: z
    .object({
      scheme: z.literal('freedman-lane'),
      method: z.enum(['exact', 'monte-carlo']),
      permutations: z.number().int(),
      exhaustive: z.boolean(),
      hits: z.number().int(),
      stream: z.number().int().optional(),
    })
    .nullable(),
  error: z.string().optional(),
});

const matrix = z.object({ labels: z.array(z.string()), values: z.array(z.array(nullableNum)) });
const byCorpus = z.record(num);

export const studyPayload = z.object({
  name: z.string(),
  /** Where the numbers came from, shown in the panel. */
  source: z.string(),
  corpora: z.array(z.string()).min(1),
  tasks: z.array(z.object({ task: z.string(), language: z.string(), category: z.string(), values: z.array(num) })),
  result: z.object({
    corpora: z.array(z.string()),
    averages: z.object({ language: z.record(byCorpus), category: z.record(byCorpus) }),
    tests: z.array(testResult),
    warnings: z.array(z.string()),
    covariates: z.record(z.array(statistic)),
    permutation: z
      .object({
        scheme: z.literal('freedman-lane'),
        method: z.enum(['exact', 'monte-carlo']),
        permutations: z.number().int(),
        exhaustive: z.boolean(),
        seed: z.number().optional(),
      })
      .nullable(),
    multipleTesting: z.object({
      scope: z.enum(['statistic', 'all']),
      methods: z.object({ q: z.literal('benjamini-hochberg'), holm: z.literal('holm') }),
      families: z.array(z.object({ id: z.string(), size: z.number().int(), duplicates: z.number().int() })),
    }),
    matrices: z.object({ statistics: matrix, tasks: matrix }),
  }),
  tableOne: z.array(z.object({ corpus: z.string(), japanese: num, english: num })).nullable(),
  /** How the numbers were made, and what was left out. */
  notes: z.array(z.string()).default([]),
  /** `task|corpus` → where the score came from (file:row, template), for results-based studies. */
  provenance: z.record(z.string()).default({}),
});
export type StudyPayload = z.infer<typeof studyPayload>;

/** What the panel is showing; kept in the webview's state and sent with exports so they match the screen. */
export const viewState = z.object({
  statistic: statistic.default('total_tokens'),
  mode: z.enum(['regular', 'partial']).default('partial'),
  // Corrected by default: with k covariates the partial r has n − 2 − k degrees of freedom; the paper's n − 2 stays a choice.
  pKind: z.enum(['paper', 'corrected', 'permutation']).default('corrected'),
  allStatistics: z.boolean().default(false),
  sortKey: z.string().max(200).optional(),
  descending: z.boolean().default(true),
  grouped: z.boolean().default(true),
  /** Exported figures on a light publication background (true), or in the panel's theme. */
  lightFigures: z.boolean().default(true),
});
export type ViewState = z.infer<typeof viewState>;

export const TABLE_IDS = ['scores', 'averages', 'tableOne', 'tests'] as const;
export const CHART_IDS = ['averages', 'bars', 'statisticsHeatmap', 'tasksHeatmap'] as const;

/** Every text of the panels' own controls, translated by the extension (the keys are the English text). */
export const PANEL_STRINGS = [
  'Score differences',
  'Partial correlations',
  'Source: {0}',
  'Group by language and category',
  'Export CSV',
  'Export LaTeX',
  'Export PNG',
  'Averages by language',
  'Statistic',
  'Correlation',
  'regular',
  'partial',
  'p-value for stars',
  "paper's (df = n − 2)",
  'corrected (df = n − 2 − k)',
  'permutation',
  'All statistics in the table',
  'Controlled for: {0}',
  'none',
  'Not defined for: {0}',
  'Correlations among the compositional statistics',
  'Correlations among the tasks',
  'Saved {0}',
  '{0} corpora, {1} tasks',
  'Permutation p-values (Freedman–Lane): exhaustive over all {0} orderings',
  'Permutation p-values (Freedman–Lane): Monte Carlo, {0} orderings per test, seed {1}',
  'Multiple testing: BH q and Holm p within one family per statistic ({0} tests here)',
  'Multiple testing: BH q and Holm p within one family of all tests ({0} tests, {1} duplicates counted once)',
  'Waiting for the study…',
  'Partial correlations are not available for this statistic: {0}',
  'r = {0}, 95 % CI [{1}, {2}], p = {3}',
  'r = {0}, 95 % CI undefined, p = {1}',
  'Warnings',
] as const;
export type PanelString = (typeof PANEL_STRINGS)[number];

/** A PNG data URL as canvas.toDataURL writes it; bounded so a message cannot exhaust the host. */
const pngDataUrl = z
  .string()
  .max(20_000_000)
  .regex(/^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/, 'expected a base64 PNG data URL');

export const webviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('exportTable'),
    table: z.enum(TABLE_IDS),
    format: z.enum(['csv', 'latex']),
    view: viewState,
  }),
  z.object({ type: z.literal('exportChart'), chart: z.enum(CHART_IDS), view: viewState, dataUrl: pngDataUrl }),
  // Checked again by the extension (well-formed, no scripts) before it is written.
  z.object({
    type: z.literal('exportSvg'),
    chart: z.enum(CHART_IDS),
    view: viewState,
    svg: z.string().max(20_000_000),
  }),
]);
export type WebviewMessage = z.infer<typeof webviewMessage>;

export const hostMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('study'),
    panel: z.enum(PANEL_KINDS),
    study: studyPayload,
    labels: z.record(z.string()),
    strings: z.record(z.string()),
  }),
  z.object({ type: z.literal('exported'), file: z.string() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type HostMessage = z.infer<typeof hostMessage>;

/** Validates a message; the error names the field, for the log of whoever sent it. */
export function parseMessage<S extends z.ZodTypeAny>(
  schema: S,
  data: unknown,
): { ok: true; message: z.output<S> } | { ok: false; error: string } {
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, message: r.data };
  return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ') };
}
