import { z } from 'zod';

/** Messages of the live training chart (loss and throughput of a continued-pretraining job). */
const finite = z.number().finite();
export const iterationMetrics = z.object({
  iteration: z.number().int(),
  totalIterations: finite.optional(),
  consumedSamples: finite.optional(),
  elapsedMs: finite.optional(),
  tflopsPerGpu: finite.optional(),
  learningRate: finite.optional(),
  lmLoss: finite.optional(),
  gradNorm: finite.optional(),
  skipped: finite.optional(),
  nan: finite.optional(),
});

export const trainingHostMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('reset'),
    title: z.string(),
    state: z.string(),
    iterations: z.array(iterationMetrics),
    strings: z.record(z.string()),
  }),
  z.object({ type: z.literal('append'), iterations: z.array(iterationMetrics).max(100_000) }),
  z.object({ type: z.literal('state'), state: z.string() }),
]);
export type TrainingHostMessage = z.infer<typeof trainingHostMessage>;

export const trainingWebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('exportChart'),
    dataUrl: z
      .string()
      .max(20_000_000)
      .regex(/^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/),
  }),
]);
export type TrainingWebviewMessage = z.infer<typeof trainingWebviewMessage>;

export const TRAINING_STRINGS = [
  'lm loss',
  'throughput per GPU (TFLOP/s)',
  'learning rate',
  'iteration',
  'Export PNG',
  'Waiting for iterations…',
  '{0} iterations',
] as const;
