import { z } from 'zod';
import { comparedRun, runSummary, X_AXES } from '../core/logs/runComparison';
import { MAX_SMOOTHING } from '../core/logs/smoothing';
import { type PanelProtocol, pngDataUrl } from './panelProtocol';

/** The messages of the Compare Runs panel, built from the core's own shapes of a run and its summary. */

const toPage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('runs'),
      title: z.string(),
      runs: z.array(comparedRun).readonly(),
      /** One per run, in the same order: what the table below the charts shows. */
      summaries: z.array(runSummary).readonly(),
      strings: z.record(z.string()),
    })
    .strict(),
]);
export type CompareToPage = z.infer<typeof toPage>;

const toHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exportCsv') }).strict(),
  z.object({ type: z.literal('exportChart'), dataUrl: pngDataUrl }).strict(),
]);
export type CompareToHost = z.infer<typeof toHost>;

export const compareProtocol: PanelProtocol<CompareToPage, CompareToHost> = { toPage, toHost };

/** What the charts show, kept in the page's state across hide/show. */
export const compareView = z
  .object({
    axis: z.enum(X_AXES).default('iteration'),
    /** The EMA weight of every curve (TensorBoard's smoothing); 0 is raw. */
    smoothing: z.number().min(0).max(MAX_SMOOTHING).default(0.6),
    logLoss: z.boolean().default(false),
  })
  .strict();
export type CompareView = z.infer<typeof compareView>;

/** Every text of the page, translated by the extension (the keys are the English text). */
export const COMPARE_STRINGS = [
  'lm loss',
  'learning rate',
  'grad norm',
  'throughput per GPU (TFLOP/s)',
  'iteration',
  'consumed samples',
  'consumed tokens',
  'x-axis',
  'Smoothing',
  'Log scale for loss',
  'Export CSV',
  'Export PNG',
  'run',
  'study',
  'iterations',
  'last loss',
  'best loss (iteration)',
  'tokens seen',
  'TFLOP/s per GPU',
  'wall time',
  'GPU-hours',
  '{0} runs, {1} iterations',
  '{0} points of {1} cannot be placed on this axis (no consumed samples or sequence length)',
] as const;
export type CompareString = (typeof COMPARE_STRINGS)[number];
