import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { STATISTIC_IDS } from './statistics';

/**
 * `study.yaml`: ties a study's recipes, jobs, results and analysis settings together. The
 * embedded paper study uses it too, with the paper's differences as its results.
 *
 *   name: my-study
 *   cluster: abci                    # where its jobs ran (for Fetch Results)
 *   results: results/my-study        # fetched CSVs: <model>/<shots>-shot/*.csv
 *   base: base                       # the model whose scores are "before"
 *   shots: 3
 *   aggregation: mean                # over templates: mean | max | {template: name}
 *   metric: Accuracy                 # MCQA/DC column: Accuracy | Norm_accuracy
 *   corpora: [EnJa-Base, …]          # column order (default: found order)
 *   scores: score-differences.csv    # or precomputed differences instead of results
 *   composition: composition.csv     # default: computed from the recipes in this folder
 *   tableOne: average-scores.csv
 *   covariates: { total_tokens: [japanese_ratio, parallel_ratio] }
 */
const statistic = z.enum(STATISTIC_IDS);
export const studyFileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    cluster: z.string().optional(),
    results: z.string().optional(),
    base: z.string().default('base'),
    shots: z.number().int().nonnegative().optional(),
    aggregation: z.union([z.enum(['mean', 'max']), z.object({ template: z.string().min(1) }).strict()]).default('mean'),
    metric: z.enum(['Accuracy', 'Norm_accuracy']).default('Accuracy'),
    corpora: z.array(z.string()).optional(),
    scores: z.string().optional(),
    composition: z.string().optional(),
    tableOne: z.string().optional(),
    covariates: z.record(statistic, z.array(statistic)).optional(),
  })
  .strict()
  .refine((s) => s.results !== undefined || s.scores !== undefined, { message: 'a study needs "results" (fetched evaluation CSVs) or "scores" (precomputed differences)' });
export type StudyFile = z.infer<typeof studyFileSchema>;

export class StudyFileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, message: string) {
    super(`${file}:${line}:${col}: ${message}`);
    this.name = 'StudyFileError';
  }
}

/** Reads and validates study.yaml; an error names the line and field. */
export async function readStudyFile(file: string): Promise<StudyFile> {
  const text = await readFile(file, 'utf8');
  const doc = parseDocument(text);
  const lineCol = (offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length, col: before[before.length - 1].length + 1 };
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = lineCol(e.pos[0]);
    throw new StudyFileError(file, at.line, at.col, `YAML: ${e.message.split('\n')[0]}`);
  }
  const r = studyFileSchema.safeParse(doc.toJS());
  if (!r.success) {
    const issue = r.error.issues[0];
    const node = issue.path.length ? doc.getIn(issue.path, true) as { range?: [number, number] } | undefined : undefined;
    const parent = issue.path.length > 1 ? doc.getIn(issue.path.slice(0, -1), true) as { range?: [number, number] } | undefined : undefined;
    const at = lineCol(node?.range?.[0] ?? parent?.range?.[0] ?? 0);
    throw new StudyFileError(file, at.line, at.col, `${issue.path.join('.') || 'study'}: ${issue.message}`);
  }
  return r.data;
}

export function resolveIn(dir: string, p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.isAbsolute(p) ? p : path.join(dir, p);
}
