import { z } from 'zod';
import { analysisMessage } from '../core/analysis/messages';
import { analysisResult, CHART_IDS, panelView, TABLE_IDS, tableOneRow, taskScores } from '../core/analysis/schemas';
import { type PanelProtocol, pngDataUrl } from './panelProtocol';

/** The messages between the two analysis panels and the extension, built from the core's own schemas. */

export const PANEL_KINDS = ['scores', 'correlations'] as const;
export type PanelKind = (typeof PANEL_KINDS)[number];

const studyPayload = z
  .object({
    name: z.string(),
    /** Where the numbers came from, shown in the panel. */
    source: z.string(),
    corpora: z.array(z.string()).min(1).readonly(),
    tasks: z.array(taskScores).readonly(),
    result: analysisResult,
    tableOne: z.array(tableOneRow).readonly().nullable(),
    /** How the numbers were made, put in words by the page with the translated templates it is sent. */
    notes: z.array(analysisMessage).readonly(),
    /** What was left out: results that could not be read, each naming its file, row and column. */
    problems: z.array(z.string()).readonly(),
    /** `task|corpus` → where the score came from (file:row, template), for results-based studies. */
    provenance: z.record(z.string()).readonly(),
  })
  .strict();
export type StudyPayload = z.infer<typeof studyPayload>;

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

const toHost = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('exportTable'),
      table: z.enum(TABLE_IDS),
      format: z.enum(['csv', 'latex']),
      view: panelView,
    })
    .strict(),
  z.object({ type: z.literal('exportChart'), chart: z.enum(CHART_IDS), view: panelView, dataUrl: pngDataUrl }).strict(),
  // Checked again by the extension (well-formed XML, no scripts) before it is written.
  z
    .object({
      type: z.literal('exportSvg'),
      chart: z.enum(CHART_IDS),
      view: panelView,
      svg: z.string().max(20_000_000),
    })
    .strict(),
]);
export type AnalysisToHost = z.infer<typeof toHost>;

const toPage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('study'),
      panel: z.enum(PANEL_KINDS),
      study: studyPayload,
      labels: z.record(z.string()),
      strings: z.record(z.string()),
    })
    .strict(),
]);
export type AnalysisToPage = z.infer<typeof toPage>;

export const analysisProtocol: PanelProtocol<AnalysisToPage, AnalysisToHost> = { toPage, toHost };
