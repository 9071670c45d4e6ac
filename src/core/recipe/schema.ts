import { z } from 'zod';
import { hasUnsafeChars } from '../printable';
import { LANGUAGES, ORIGINS } from './model';

/** Text that reaches terminals, job names and squeue's output: no control or bidirectional formatting characters. */
const plain = (schema: z.ZodString) =>
  schema.refine((s) => !hasUnsafeChars(s), {
    message: 'must not contain control or bidirectional formatting characters',
  });

/**
 * The recipe file format. The top level and each source are validated separately so that one bad
 * source costs only that source: the rest of the recipe still shows its statistics.
 */
export const recipeTopSchema = z
  .object({
    name: plain(z.string().min(1, 'must not be empty')),
    description: z.string().optional(),
    tokenizer: plain(z.string().min(1, 'must not be empty')).optional(),
    extends: plain(z.string().min(1, 'must not be empty')).optional(),
    sources: z.array(z.unknown()).optional(),
    remove: z.array(z.string().min(1, 'must not be empty')).optional(),
  })
  .strict();

export const SOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const sourceSchema = z
  .object({
    id: z
      .string()
      .regex(SOURCE_ID, 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"'),
    language: z.enum(LANGUAGES),
    origin: z.enum(ORIGINS),
    tokens: z.union([z.number(), z.string()]).optional(),
    megatron: plain(z.string().min(1, 'must not be empty')).optional(),
    fraction: z.number().gt(0, 'must be in (0, 1]').lte(1, 'must be in (0, 1]').optional(),
    kind: plain(z.string()).optional(),
  })
  .strict();

export const RECIPE_FIELDS = Object.keys(recipeTopSchema.shape);
export const SOURCE_FIELDS = Object.keys(sourceSchema.shape);
