import { parse } from 'csv-parse/sync';
import { halfUnit } from './precision';
import type { TableOneRow } from './schemas';

export type { TableOneRow } from './schemas';

import { COMPOSITION_COLUMNS, STATISTIC_IDS, type StatisticId } from './statistics';

/** A problem in an input table, located by file, one-based row (line) and column. */
export class TableError extends Error {
  constructor(
    readonly file: string,
    readonly row: number,
    readonly column: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}:${row}${column === undefined ? '' : `:${column}`}: ${reason}`);
    this.name = 'TableError';
  }
}

interface Row {
  readonly cells: string[];
  readonly line: number;
}

function readRows(file: string, text: string): { header: string[]; rows: Row[] } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as unknown as typeof records;
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw new TableError(file, err.lines ?? 1, undefined, `not valid CSV: ${err.message}`);
  }
  if (records.length === 0) throw new TableError(file, 1, undefined, 'empty table: expected a header row');
  const [head, ...body] = records;
  return { header: head.record, rows: body.map((r) => ({ cells: r.record, line: r.info.lines })) };
}

function numberCell(file: string, row: Row, col: number, header: string[]): number {
  const raw = row.cells[col];
  if (raw === undefined || raw === '')
    throw new TableError(file, row.line, col + 1, `missing value for "${header[col]}"`);
  const v = Number(raw);
  if (!Number.isFinite(v) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
    throw new TableError(file, row.line, col + 1, `"${header[col]}" must be a number, got "${raw}"`);
  }
  return v;
}

function checkWidth(file: string, row: Row, width: number) {
  if (row.cells.length !== width)
    throw new TableError(file, row.line, undefined, `row has ${row.cells.length} cells, the header has ${width}`);
}

export interface CompositionTable {
  readonly file: string;
  readonly corpora: readonly string[];
  readonly values: Readonly<Record<StatisticId, readonly number[]>>;
  /** Half a unit of each cell's last printed digit; absent for computed (exact) compositions. */
  readonly halfUnits?: Readonly<Record<StatisticId, readonly number[]>>;
}

/** `corpus,total_tokens_b,…,parallel_ratio_pct` — Table C.1's shape (billions, percent). */
export function parseCompositionCsv(file: string, text: string): CompositionTable {
  const { header, rows } = readRows(file, text);
  if (header[0] !== 'corpus') throw new TableError(file, 1, 1, `first column must be "corpus", got "${header[0]}"`);
  const col = {} as Record<StatisticId, number>;
  for (const id of STATISTIC_IDS) {
    const i = header.indexOf(COMPOSITION_COLUMNS[id]);
    if (i < 0) throw new TableError(file, 1, undefined, `missing column "${COMPOSITION_COLUMNS[id]}"`);
    col[id] = i;
  }
  const corpora: string[] = [];
  const values = Object.fromEntries(STATISTIC_IDS.map((id) => [id, [] as number[]])) as Record<StatisticId, number[]>;
  const halfUnits = Object.fromEntries(STATISTIC_IDS.map((id) => [id, [] as number[]])) as Record<
    StatisticId,
    number[]
  >;
  for (const row of rows) {
    checkWidth(file, row, header.length);
    const name = row.cells[0];
    if (!name) throw new TableError(file, row.line, 1, 'missing corpus name');
    if (corpora.includes(name)) throw new TableError(file, row.line, 1, `duplicate corpus "${name}"`);
    corpora.push(name);
    for (const id of STATISTIC_IDS) {
      values[id].push(numberCell(file, row, col[id], header));
      halfUnits[id].push(halfUnit(row.cells[col[id]]));
    }
  }
  return { file, corpora, values, halfUnits };
}

export interface TaskRow {
  readonly task: string;
  readonly language: string;
  readonly category: string;
  /** One value per corpus, in the table's corpus order. */
  readonly values: readonly number[];
  readonly line: number;
}

export interface ScoreTable {
  readonly file: string;
  readonly corpora: readonly string[];
  readonly tasks: readonly TaskRow[];
}

/** `task,language,category,<corpus>…` — the shape of Tables E.1–E.6 side by side. */
export function parseScoreCsv(file: string, text: string, minCorpora = 1): ScoreTable {
  const { header, rows } = readRows(file, text);
  const fixed = ['task', 'language', 'category'];
  fixed.forEach((name, i) => {
    if (header[i] !== name)
      throw new TableError(file, 1, i + 1, `column ${i + 1} must be "${name}", got "${header[i] ?? ''}"`);
  });
  const corpora = header.slice(3);
  if (corpora.length < minCorpora)
    throw new TableError(
      file,
      1,
      undefined,
      `needs at least ${minCorpora} corpus columns after task,language,category; found ${corpora.length}`,
    );
  corpora.forEach((c, i) => {
    if (!c) throw new TableError(file, 1, i + 4, 'empty corpus name in header');
    if (corpora.indexOf(c) !== i) throw new TableError(file, 1, i + 4, `duplicate corpus column "${c}"`);
  });
  const seen = new Map<string, number>();
  const tasks: TaskRow[] = [];
  for (const row of rows) {
    checkWidth(file, row, header.length);
    const [task, language, category] = row.cells;
    if (!task) throw new TableError(file, row.line, 1, 'missing task name');
    const first = seen.get(task);
    if (first !== undefined)
      throw new TableError(file, row.line, 1, `duplicate task "${task}" (first on row ${first})`);
    seen.set(task, row.line);
    if (!language) throw new TableError(file, row.line, 2, `missing language of task "${task}"`);
    if (!category) throw new TableError(file, row.line, 3, `missing category of task "${task}"`);
    tasks.push({
      task,
      language,
      category,
      values: corpora.map((_, i) => numberCell(file, row, i + 3, header)),
      line: row.line,
    });
  }
  if (tasks.length === 0) throw new TableError(file, 1, undefined, 'no task rows');
  return { file, corpora, tasks };
}

/**
 * Score differences from raw results: after − before per task and corpus. `before` holds either one
 * score column (the base model + SFT, shared by every corpus) or one column per corpus.
 */
export function differencesFromResults(before: ScoreTable, after: ScoreTable): ScoreTable {
  const beforeByTask = new Map(before.tasks.map((t) => [t.task, t]));
  const shared = before.corpora.length === 1 && !after.corpora.includes(before.corpora[0]);
  const tasks = after.tasks.map((t) => {
    const b = beforeByTask.get(t.task);
    if (!b)
      throw new TableError(
        before.file,
        1,
        undefined,
        `no "before" score for task "${t.task}" (row ${t.line} of ${after.file})`,
      );
    const values = after.corpora.map((c, i) => {
      const j = shared ? 0 : before.corpora.indexOf(c);
      if (j < 0)
        throw new TableError(before.file, 1, undefined, `missing corpus column "${c}" (present in ${after.file})`);
      return t.values[i] - b.values[j];
    });
    return { ...t, values };
  });
  return { file: after.file, corpora: after.corpora, tasks };
}

/** Table 1's shape: `corpus,japanese_tasks_avg,english_tasks_avg`. */
export function parseTableOneCsv(file: string, text: string): TableOneRow[] {
  const { header, rows } = readRows(file, text);
  ['corpus', 'japanese_tasks_avg', 'english_tasks_avg'].forEach((w, i) => {
    if (header[i] !== w)
      throw new TableError(file, 1, i + 1, `column ${i + 1} must be "${w}", got "${header[i] ?? ''}"`);
  });
  return rows.map((row) => {
    checkWidth(file, row, header.length);
    return {
      corpus: row.cells[0],
      japanese: numberCell(file, row, 1, header),
      english: numberCell(file, row, 2, header),
    };
  });
}
