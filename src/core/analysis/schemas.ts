import { z } from 'zod';
import { analysisMessage } from './messages';
import { STATISTIC_IDS } from './statistics';

/**
 * The shapes of what the analysis produces and the panels show, declared once as zod schemas: the
 * core's types are inferred from them, and src/protocol/ builds its messages from them, so a field
 * added here reaches the page and a field the page does not know fails its check loudly (every
 * object is strict). Pure and browser-safe: the pages bundle this file.
 */

const num = z.number().finite();
const nullableNum = num.nullable();
const statistic = z.enum(STATISTIC_IDS);

const interval = z.object({ low: num, high: num }).strict().readonly();
export type Interval = z.infer<typeof interval>;

const permutationMethod = z.enum(['exact', 'monte-carlo']);

const testPermutation = z
  .object({
    scheme: z.literal('freedman-lane'),
    method: permutationMethod,
    /** Orderings compared: n! when exhaustive, the sample size otherwise. */
    permutations: z.number().int(),
    exhaustive: z.boolean(),
    /** Orderings whose |partial r| reaches the observed one (the observed one included). */
    hits: z.number().int(),
    /** This test's Monte Carlo stream, derived from the run's seed and the test. */
    stream: z.number().int().optional(),
  })
  .strict()
  .readonly();

/** The same test as another of its family (negated when sign is −1): counted there, once. */
const duplicate = z
  .object({ statistic, task: z.string(), sign: z.union([z.literal(1), z.literal(-1)]) })
  .strict()
  .readonly();

const testResult = z
  .object({
    task: z.string(),
    language: z.string(),
    category: z.string(),
    statistic,
    covariates: z.array(statistic).readonly(),
    n: z.number().int(),
    /** ci: the 95 % Fisher-z interval of r (n − 3 degrees of freedom); ciError says why it is null while r is not. */
    regular: z
      .object({ r: nullableNum, p: nullableNum, ci: interval.nullable(), ciError: analysisMessage.optional() })
      .strict()
      .readonly(),
    /** ci: the 95 % Fisher-z interval of the partial r, with n − 3 − k degrees of freedom. */
    partial: z
      .object({
        r: nullableNum,
        p: nullableNum,
        pCorrected: nullableNum,
        pPermutation: nullableNum,
        ci: interval.nullable(),
        ciError: analysisMessage.optional(),
      })
      .strict()
      .readonly(),
    /** Benjamini–Hochberg over the test's family (the corrected partial p-values). */
    q: nullableNum,
    /** Holm over the same family. */
    holm: nullableNum,
    /** The multiple-testing family: a statistic id, or `all`. */
    family: z.string(),
    duplicateOf: duplicate.optional(),
    permutation: testPermutation.nullable(),
    /** Why a number is null: named, never a silent NaN (a message, put in words by the reader's side). */
    error: analysisMessage.optional(),
  })
  .strict()
  .readonly();
export type TestResult = z.infer<typeof testResult>;

const correlationMatrix = z
  .object({ labels: z.array(z.string()).readonly(), values: z.array(z.array(nullableNum).readonly()).readonly() })
  .strict()
  .readonly();
export type CorrelationMatrix = z.infer<typeof correlationMatrix>;

/** Which tests are adjusted together: one family per statistic (one per figure), or every test of the run. */
export const FAMILY_SCOPES = ['statistic', 'all'] as const;
export type FamilyScope = (typeof FAMILY_SCOPES)[number];

const multipleTesting = z
  .object({
    scope: z.enum(FAMILY_SCOPES),
    methods: z
      .object({ q: z.literal('benjamini-hochberg'), holm: z.literal('holm') })
      .strict()
      .readonly(),
    /** Each family with the number of tests it adjusts over, duplicates counted once. */
    families: z
      .array(z.object({ id: z.string(), size: z.number().int(), duplicates: z.number().int() }).strict().readonly())
      .readonly(),
  })
  .strict()
  .readonly();
export type MultipleTesting = z.infer<typeof multipleTesting>;

const byCorpus = z.record(num).readonly();

export const analysisResult = z
  .object({
    corpora: z.array(z.string()).readonly(),
    averages: z
      .object({ language: z.record(byCorpus).readonly(), category: z.record(byCorpus).readonly() })
      .strict()
      .readonly(),
    tests: z.array(testResult).readonly(),
    /** About the input: inconsistent tables, unstable designs. */
    warnings: z.array(analysisMessage).readonly(),
    /** The covariates of each statistic analysed. */
    covariates: z.record(statistic, z.array(statistic).readonly()).readonly(),
    permutation: z
      .object({
        scheme: z.literal('freedman-lane'),
        method: permutationMethod,
        permutations: z.number().int(),
        exhaustive: z.boolean(),
        seed: z.number().optional(),
      })
      .strict()
      .readonly()
      .nullable(),
    multipleTesting,
    /** `tasks` is null when the caller asked not to build it. */
    matrices: z.object({ statistics: correlationMatrix, tasks: correlationMatrix.nullable() }).strict().readonly(),
  })
  .strict()
  .readonly();
export type AnalysisResult = z.infer<typeof analysisResult>;

/** One task's score differences, in the order of the study's corpora. */
export const taskScores = z
  .object({ task: z.string(), language: z.string(), category: z.string(), values: z.array(num).readonly() })
  .strict()
  .readonly();
export type TaskScores = z.infer<typeof taskScores>;

/** A row of Table 1: a corpus's absolute average scores. */
export const tableOneRow = z.object({ corpus: z.string(), japanese: num, english: num }).strict().readonly();
export type TableOneRow = z.infer<typeof tableOneRow>;

const CORRELATION_MODES = ['regular', 'partial'] as const;
export type CorrelationMode = (typeof CORRELATION_MODES)[number];
/** Which p-value decides the stars of a partial correlation: the paper's, df-corrected, or permutation. */
const P_KINDS = ['paper', 'corrected', 'permutation'] as const;
export type PKind = (typeof P_KINDS)[number];

/** The tables and charts a panel can export, by the ids its page sends. */
export const TABLE_IDS = ['scores', 'averages', 'tableOne', 'tests'] as const;
export type TableId = (typeof TABLE_IDS)[number];
export const CHART_IDS = ['averages', 'bars', 'statisticsHeatmap', 'tasksHeatmap'] as const;
export type ChartId = (typeof CHART_IDS)[number];

/** What a panel is showing: kept in the page's state and sent with exports so they match the screen. */
export const panelView = z
  .object({
    statistic: statistic.default('total_tokens'),
    mode: z.enum(CORRELATION_MODES).default('partial'),
    // Corrected by default: with k covariates the partial r has n − 2 − k degrees of freedom; the paper's n − 2 stays a choice.
    pKind: z.enum(P_KINDS).default('corrected'),
    allStatistics: z.boolean().default(false),
    /** `task`, a corpus name, or undefined for the file's order. */
    sortKey: z.string().max(200).optional(),
    descending: z.boolean().default(true),
    grouped: z.boolean().default(true),
    /** Exported figures on a light publication background (true), or in the panel's theme. */
    lightFigures: z.boolean().default(true),
  })
  .strict();
export type PanelView = z.infer<typeof panelView>;
