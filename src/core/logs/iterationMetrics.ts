import { z } from 'zod';

/**
 * One iteration of a Megatron-LM training log, as the log parser makes it and the training chart
 * receives it: declared once, the parser's type inferred from it. Absent fields were not in the line.
 */
const finite = z.number().finite();
export const iterationMetrics = z
  .object({
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
  })
  .strict()
  .readonly();
export type IterationMetrics = z.infer<typeof iterationMetrics>;
