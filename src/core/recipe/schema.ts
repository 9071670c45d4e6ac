import { z } from 'zod';
import { LANGUAGES, ORIGINS } from './model';

/**
 * The recipe file format. The top level and each source are validated separately so that one bad
 * source costs only that source: the rest of the recipe still shows its statistics.
 */
export const recipeTopSchema = z
  .object({
    name: z.string().min(1, 'must not be empty'),
    description: z.string().optional(),
    tokenizer: z.string().min(1, 'must not be empty').optional(),
    extends: z.string().min(1, 'must not be empty').optional(),
    sources: z.array(z.unknown()).optional(),
    remove: z.array(z.string().min(1, 'must not be empty')).optional(),
  })
  .strict();

export const SOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const sourceSchema = z
  .object({
    id: z.string().regex(SOURCE_ID, 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"'),
    language: z.enum(LANGUAGES),
    origin: z.enum(ORIGINS),
    tokens: z.union([z.number(), z.string()]).optional(),
    megatron: z.string().min(1, 'must not be empty').optional(),
    fraction: z.number().gt(0, 'must be in (0, 1]').lte(1, 'must be in (0, 1]').optional(),
    kind: z.string().optional(),
  })
  .strict();

export const RECIPE_FIELDS = Object.keys(recipeTopSchema.shape);
export const SOURCE_FIELDS = Object.keys(sourceSchema.shape);
