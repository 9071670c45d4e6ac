import * as path from 'node:path';
import { Document, isMap, isScalar, parseDocument } from 'yaml';
import { z } from 'zod';
import { STATISTIC_IDS } from '../analysis/statistics';
import { LineIndex } from '../diagnostics';
import { FileError, readTextFile } from '../regularFile';

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
/**
 * A file or folder of the study, inside it: a study.yaml that came with a download must not make the
 * panels read (and echo in their errors) `/etc/passwd` or `../../.ssh/id_ed25519`.
 */
const inside = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !/^[A-Za-z]:/.test(p) && !path.normalize(p).split(/[\\/]/).includes('..'), {
    message: 'must be a path inside the study folder (relative, without "..")',
  });
export const studyFileSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    cluster: z.string().optional(),
    results: inside.optional(),
    base: z.string().default('base'),
    shots: z.number().int().nonnegative().optional(),
    aggregation: z.union([z.enum(['mean', 'max']), z.object({ template: z.string().min(1) }).strict()]).default('mean'),
    metric: z.enum(['Accuracy', 'Norm_accuracy']).default('Accuracy'),
    corpora: z.array(z.string()).optional(),
    scores: inside.optional(),
    composition: inside.optional(),
    tableOne: inside.optional(),
    covariates: z.record(statistic, z.array(statistic)).optional(),
  })
  .strict()
  .refine((s) => s.results !== undefined || s.scores !== undefined, {
    message: 'a study needs "results" (fetched evaluation CSVs) or "scores" (precomputed differences)',
  });
export type StudyFile = z.infer<typeof studyFileSchema>;

export class StudyFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(`${file}:${line}:${col}: ${message}`);
    this.name = 'StudyFileError';
  }
}

/** Reads and validates study.yaml; an error names the line and field. */
export async function readStudyFile(file: string): Promise<StudyFile> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (e) {
    throw e instanceof FileError ? new StudyFileError(file, e.line ?? 1, 1, e.reason) : e;
  }
  const doc = parseDocument(text);
  const lines = new LineIndex(text);
  const lineCol = (offset: number) => {
    const p = lines.position(offset);
    return { line: p.line + 1, col: p.character + 1 };
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = lineCol(e.pos[0]);
    throw new StudyFileError(file, at.line, at.col, `YAML: ${e.message.split('\n')[0]}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new StudyFileError(file, 1, 1, `YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = studyFileSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    // An unknown key is pointed at itself, not at the mapping that holds it.
    const keyPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : undefined;
    const keyNode = keyPath ? keyAt(doc, keyPath) : undefined;
    const node = issue.path.length
      ? (doc.getIn(issue.path, true) as { range?: [number, number] } | undefined)
      : undefined;
    const parent =
      issue.path.length > 1
        ? (doc.getIn(issue.path.slice(0, -1), true) as { range?: [number, number] } | undefined)
        : undefined;
    const at = lineCol(keyNode?.range?.[0] ?? node?.range?.[0] ?? parent?.range?.[0] ?? 0);
    const field = (keyPath ?? issue.path).join('.') || 'study';
    throw new StudyFileError(file, at.line, at.col, `${field}: ${issue.message}`);
  }
  return r.data;
}

function keyAt(doc: Document.Parsed, keyPath: readonly (string | number)[]): { range?: [number, number] } | undefined {
  const map = keyPath.length > 1 ? doc.getIn(keyPath.slice(0, -1), true) : doc.contents;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === keyPath[keyPath.length - 1]);
  return pair?.key as { range?: [number, number] } | undefined;
}

export function resolveIn(dir: string, p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.isAbsolute(p) ? p : path.join(dir, p);
}

/**
 * study.yaml's text for a study, checked against the schema first so that what is written can be
 * read back; `note` becomes the comment at its top.
 */
export function studyFileText(study: z.input<typeof studyFileSchema>, note: string): string {
  const doc = new Document(studyFileSchema.parse(study));
  doc.commentBefore = ` ${note}`;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
