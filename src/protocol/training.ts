import { z } from 'zod';
import { type IterationMetrics, iterationMetrics } from '../core/logs/iterationMetrics';
import { MAX_SMOOTHING } from '../core/logs/smoothing';
import { MAX_BATCH, type PanelProtocol, pngDataUrl } from './panelProtocol';

/** The messages of the live training chart (loss, grad norm, learning rate, throughput of a CPT job). */

const toPage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('reset'),
      /** The job's tag: the page keeps it so that the chart can be brought back after a reload. */
      job: z.string(),
      title: z.string(),
      state: z.string(),
      iterations: z.array(iterationMetrics),
      strings: z.record(z.string()),
    })
    .strict(),
  z.object({ type: z.literal('append'), iterations: z.array(iterationMetrics).max(MAX_BATCH) }).strict(),
  z.object({ type: z.literal('state'), state: z.string() }).strict(),
]);
export type TrainingToPage = z.infer<typeof toPage>;

/**
 * New iterations as `append` messages of at most MAX_BATCH each: a chart opened on a long log reads
 * hundreds of thousands of lines before its first flush, more than one message may carry.
 */
export function appendMessages(iterations: readonly IterationMetrics[]): TrainingToPage[] {
  const messages: TrainingToPage[] = [];
  for (let at = 0; at < iterations.length; at += MAX_BATCH)
    messages.push({ type: 'append', iterations: iterations.slice(at, at + MAX_BATCH) });
  return messages;
}

const toHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exportChart'), dataUrl: pngDataUrl }).strict(),
]);
export type TrainingToHost = z.infer<typeof toHost>;

export const trainingProtocol: PanelProtocol<TrainingToPage, TrainingToHost> = { toPage, toHost };

/** What the chart shows, kept in the page's state across hide/show. */
export const trainingView = z
  .object({
    /** The EMA weight of the loss and grad-norm curves (TensorBoard's smoothing); 0 is raw. */
    smoothing: z.number().min(0).max(MAX_SMOOTHING).default(0.6),
    logLoss: z.boolean().default(false),
    /** The tag of the job shown, for restore after a reload. */
    job: z.string().max(200).optional(),
  })
  .strict();
export type TrainingView = z.infer<typeof trainingView>;

/** Every text of the chart's page, translated by the extension (the keys are the English text). */
export const TRAINING_STRINGS = [
  'lm loss',
  'grad norm',
  'throughput per GPU (TFLOP/s)',
  'learning rate',
  'iteration',
  'Smoothing',
  'Log scale for loss',
  'Export PNG',
  'Waiting for iterations…',
  '{0} iterations',
] as const;
export type TrainingString = (typeof TRAINING_STRINGS)[number];
