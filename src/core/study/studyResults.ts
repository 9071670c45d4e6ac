import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { ScoreTable, TaskRow } from '../analysis/tables';
import { readTextFile } from '../regularFile';
import {
  type Aggregation,
  aggregate,
  type McqaMetric,
  parseResultCsv,
  type ResultRow,
  TASKS,
} from '../results/jmedbench';

/**
 * Fetched evaluation results, `results/<study>/<model>/<shots>-shot/*.csv`, as before/after score
 * tables: "before" is the base model after SFT, "after" each recipe's model after CPT and SFT.
 * Every number keeps where it came from (file, row, template).
 */
export interface ResultsOptions {
  readonly base: string;
  readonly shots?: number;
  readonly aggregation: Aggregation;
  readonly metric: McqaMetric;
  /** Corpus order; others found are appended. */
  readonly corpora?: readonly string[];
}

export interface StudyResults {
  readonly before: ScoreTable;
  readonly after: ScoreTable;
  /** `task|model` → the rows behind the number. */
  readonly provenance: ReadonlyMap<string, readonly ResultRow[]>;
  readonly problems: string[];
  readonly shots: number;
}

async function dirs(d: string): Promise<string[]> {
  return (await readdir(d, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export async function readStudyResults(dir: string, o: ResultsOptions): Promise<StudyResults> {
  const problems: string[] = [];
  const models = await dirs(dir);
  if (!models.includes(o.base))
    throw new Error(
      `${dir}: no results of the base model "${o.base}" (found: ${models.join(', ') || 'nothing'}); its scores are the "before" of every difference`,
    );
  const shotDirs = new Set<string>();
  for (const m of models) for (const s of await dirs(path.join(dir, m))) shotDirs.add(s);
  let shots = o.shots;
  if (shots === undefined) {
    const found = [...shotDirs].map((s) => /^(\d+)-shot$/.exec(s)?.[1]).filter((x): x is string => x !== undefined);
    if (found.length !== 1)
      throw new Error(
        `${dir}: results for ${found.length ? `${found.join(', ')} shots` : 'no <n>-shot folder'}; choose one with "shots" in study.yaml`,
      );
    shots = Number(found[0]);
  }
  const perModel = new Map<string, Map<string, { score: number; from: ResultRow[] }>>();
  for (const m of models) {
    const shotDir = path.join(dir, m, `${shots}-shot`);
    const files = (await readdir(shotDir).catch(() => [] as string[])).filter((f) => f.endsWith('.csv')).sort();
    const rows: ResultRow[] = [];
    for (const f of files) {
      const file = path.join(shotDir, f);
      let text: string;
      try {
        text = await readTextFile(file);
      } catch (e) {
        problems.push((e as Error).message); // one unreadable file (a FIFO, not UTF-8) costs only its rows
        continue;
      }
      const parsed = parseResultCsv(file, text, o.metric);
      rows.push(...parsed.rows);
      problems.push(...parsed.problems);
    }
    if (rows.length === 0) problems.push(`${shotDir}: no results for model "${m}"`);
    else perModel.set(m, aggregate(rows, o.aggregation));
  }
  const corpora = [
    ...(o.corpora ?? []).filter((c) => perModel.has(c)),
    ...[...perModel.keys()].filter((m) => m !== o.base && !(o.corpora ?? []).includes(m)).sort(),
  ];
  for (const c of o.corpora ?? []) if (!perModel.has(c)) problems.push(`${dir}: no results for corpus "${c}"`);
  const base = perModel.get(o.base);
  if (!base) throw new Error(`${dir}/${o.base}/${shots}-shot: no readable results of the base model`);

  // Tasks in the paper's order, kept only where the base and every corpus have a score.
  const provenance = new Map<string, ResultRow[]>();
  const beforeRows: TaskRow[] = [];
  const afterRows: TaskRow[] = [];
  for (const info of Object.values(TASKS)) {
    const b = base.get(info.task);
    const missing = [o.base, ...corpora].filter((m) => !perModel.get(m)?.has(info.task));
    if (missing.length === corpora.length + 1) continue;
    if (missing.length > 0 || !b) {
      problems.push(`${info.task}: left out, no score for ${missing.join(', ')}`);
      continue;
    }
    provenance.set(`${info.task}|${o.base}`, b.from);
    const line = b.from[0].row;
    beforeRows.push({ task: info.task, language: info.language, category: info.category, values: [b.score], line });
    afterRows.push({
      task: info.task,
      language: info.language,
      category: info.category,
      values: corpora.map((c) => {
        const s = perModel.get(c)!.get(info.task)!;
        provenance.set(`${info.task}|${c}`, s.from);
        return s.score;
      }),
      line,
    });
  }
  return {
    before: { file: `${dir}/${o.base}`, corpora: [o.base], tasks: beforeRows },
    after: { file: dir, corpora, tasks: afterRows },
    provenance,
    problems,
    shots,
  };
}

/** "file:row (template)" lines for a number's tooltip. */
export function describeProvenance(rows: readonly ResultRow[], root: string): string {
  return rows
    .map((r) => `${path.relative(root, r.file)}:${r.row} (${r.template || 'no template'}) = ${r.score}`)
    .join('\n');
}
