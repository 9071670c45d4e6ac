import { z } from 'zod';
import { comparedRun, METRICS, runPoint, runSummary, X_AXES } from '../core/logs/runComparison';
import { MAX_SMOOTHING } from '../core/logs/smoothing';
import { MAX_BATCH, type PanelProtocol, pngDataUrl } from './panelProtocol';

/** The messages of the Compare Runs panel, built from the core's own shapes of a run and its summary. */

/** More runs than one comparison can show legibly; bounds a restored page's state. */
const MAX_RUNS = 64;
const tag = z.string().min(1).max(200);

/** A run of the page, as its state keeps it: enough to find its job in the registry after a reload. */
const runRef = z.object({ id: tag, study: z.string().max(200) }).strict();

const toPage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('runs'),
      title: z.string(),
      runs: z.array(comparedRun).readonly(),
      /** One per run, in the same order: what the table below the charts shows. */
      summaries: z.array(runSummary).readonly(),
      /** The runs still training: their logs are followed and their points come in `points` messages. */
      live: z.array(tag).readonly(),
      /** Runs the page asked for (restored after a reload) whose jobs are no longer in the registry. */
      missing: z.array(runRef).readonly(),
      strings: z.record(z.string()),
    })
    .strict(),
  z
    .object({
      type: z.literal('points'),
      /**
       * Per live run, the points new (or rewritten) since the last message: merged by iteration, not
       * replacing the run. A bigger backlog than MAX_BATCH goes as a whole `runs` message.
       */
      runs: z.array(z.object({ id: tag, points: z.array(runPoint).max(MAX_BATCH) }).strict()).max(MAX_RUNS),
      /** Every run's summary as it stands now (small: one row per run). */
      summaries: z.array(runSummary).readonly(),
      /** The runs still followed; one that ended leaves the list. */
      live: z.array(tag).readonly(),
    })
    .strict(),
  z.object({ type: z.literal('status'), text: z.string() }).strict(),
]);
export type CompareToPage = z.infer<typeof toPage>;

/** Which chart a figure is and on which axis: what its file is named by. */
const figureOf = { metric: z.enum(METRICS), axis: z.enum(X_AXES) };

const toHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exportCsv') }).strict(),
  z.object({ type: z.literal('exportChart'), ...figureOf, dataUrl: pngDataUrl }).strict(),
  // Checked again by the extension (well-formed XML, no scripts) before it is written.
  z.object({ type: z.literal('exportSvg'), ...figureOf, svg: z.string().max(20_000_000) }).strict(),
]);
export type CompareToHost = z.infer<typeof toHost>;

export const compareProtocol: PanelProtocol<CompareToPage, CompareToHost> = { toPage, toHost };

/**
 * What the charts show and of which runs, kept in the page's state across hide/show and a window
 * reload (the runs are read or followed again from the registry then).
 */
export const compareView = z
  .object({
    axis: z.enum(X_AXES).default('iteration'),
    /** The EMA weight of every curve (TensorBoard's smoothing); 0 is raw. */
    smoothing: z.number().min(0).max(MAX_SMOOTHING).default(0.6),
    logLoss: z.boolean().default(false),
    /** Exported figures on the light publication background (else the panel's theme). */
    lightFigures: z.boolean().default(true),
    runs: z.array(runRef).max(MAX_RUNS).default([]),
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
  'Export SVG',
  'Light background for exports',
  'live',
  'The job of run {0} (study {1}) is no longer in the job registry: it is not shown.',
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
