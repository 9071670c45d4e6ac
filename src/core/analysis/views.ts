import type { Cell, Column, DataTable } from '../report/dataTable';
import { type AnalysisMessage, message, renderMessage, type Translations } from './messages';
import type {
  AnalysisResult,
  CorrelationMode,
  Interval,
  PanelView,
  PKind,
  TableId,
  TableOneRow,
  TaskScores,
  TestResult,
} from './schemas';
import { STATISTIC_NAMES, type StatisticId } from './statistics';

/**
 * The tables and chart series the analysis panels show, computed here so that the panel, its
 * exports and the tests all see the same numbers. Labels come in as a parameter: the extension
 * passes translated ones, the CLI and tests the English defaults. The analysis's messages and the
 * statistics' names are put in words with `translations` (the panels' strings, keyed by the English),
 * English where it is empty.
 */

export type ScoreViewOptions = Partial<Pick<PanelView, 'sortKey' | 'descending' | 'grouped'>>;

export const DEFAULT_LABELS = {
  task: 'Task',
  language: 'Language',
  category: 'Category',
  statistic: 'Statistic',
  covariates: 'Covariates',
  group: 'Group',
  corpus: 'Corpus',
  r: 'r',
  ciLow: '95 % CI low',
  ciHigh: '95 % CI high',
  p: 'p (df = n − 2)',
  pCorrected: 'p (df = n − 2 − k)',
  pPermutation: 'p (permutation)',
  q: 'q (BH)',
  holm: 'p (Holm)',
  note: 'Note',
  scoreTitle: 'Score differences (after − before continued pretraining)',
  averagesTitle: 'Average score differences',
  tableOneTitle: 'Average scores after continued pretraining and SFT (Table 1)',
  testsTitle: 'Correlation tests',
  japaneseTasks: 'Japanese tasks',
  englishTasks: 'English tasks',
  regular: 'regular',
  partial: 'partial',
};
export type Labels = typeof DEFAULT_LABELS;

const SCORE_DIGITS = 4;
const STAT_DIGITS = 4;

function orderedGroups<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  return groups;
}

function compareBy(key: string | undefined, corpora: readonly string[], descending: boolean) {
  if (key === undefined) return undefined;
  const sign = descending ? -1 : 1;
  if (key === 'task') return (a: TaskScores, b: TaskScores) => sign * a.task.localeCompare(b.task);
  const i = corpora.indexOf(key);
  if (i < 0) return undefined;
  return (a: TaskScores, b: TaskScores) => sign * (a.values[i] - b.values[i]) || a.task.localeCompare(b.task);
}

/** Tables E.1–E.6 side by side: tasks × corpora, grouped by language and category, best per row marked. */
export function scoreDifferenceTable(
  tasks: readonly TaskScores[],
  corpora: readonly string[],
  options: ScoreViewOptions = {},
  labels: Labels = DEFAULT_LABELS,
): DataTable {
  const grouped = options.grouped ?? true;
  const compare = compareBy(options.sortKey, corpora, options.descending ?? false);
  const columns: Column[] = [
    { key: 'task', label: labels.task },
    ...(grouped
      ? []
      : [
          { key: 'language', label: labels.language },
          { key: 'category', label: labels.category },
        ]),
    ...corpora.map((c) => ({ key: c, label: c, digits: SCORE_DIGITS })),
  ];
  const ordered: { label?: string; tasks: TaskScores[] }[] = grouped
    ? [...orderedGroups(tasks, (t) => `${t.language} / ${t.category}`)].map(([label, ts]) => ({
        label,
        tasks: compare ? [...ts].sort(compare) : ts,
      }))
    : [{ tasks: compare ? [...tasks].sort(compare) : [...tasks] }];
  const rows: Cell[][] = [];
  const marks: number[][] = [];
  const groups: { row: number; label: string }[] = [];
  const first = grouped ? 1 : 3;
  for (const g of ordered) {
    if (g.label !== undefined) groups.push({ row: rows.length, label: g.label });
    for (const t of g.tasks) {
      rows.push([t.task, ...(grouped ? [] : [t.language, t.category]), ...t.values]);
      const best = Math.max(...t.values);
      marks.push(t.values.flatMap((v, i) => (v === best ? [first + i] : [])));
    }
  }
  return { title: labels.scoreTitle, columns, rows, groups: grouped ? groups : undefined, marks };
}

/** Mean score difference per language and per language/category (the shape of Table 1). */
export function averagesTable(
  result: Pick<AnalysisResult, 'corpora' | 'averages'>,
  labels: Labels = DEFAULT_LABELS,
): DataTable {
  const columns: Column[] = [
    { key: 'group', label: labels.group },
    ...result.corpora.map((c) => ({ key: c, label: c, digits: SCORE_DIGITS })),
  ];
  const rows: Cell[][] = [];
  const marks: number[][] = [];
  const add = (label: string, byCorpus: Readonly<Record<string, number>>) => {
    const values = result.corpora.map((c) => byCorpus[c]);
    rows.push([label, ...values]);
    const best = Math.max(...values);
    marks.push(values.flatMap((v, i) => (v === best ? [1 + i] : [])));
  };
  for (const [lang, v] of Object.entries(result.averages.language)) add(lang, v);
  const languageRows = rows.length;
  for (const [cat, v] of Object.entries(result.averages.category)) add(cat.replace('/', ' / '), v);
  return {
    title: labels.averagesTitle,
    columns,
    rows,
    marks,
    groups: [
      { row: 0, label: labels.language },
      { row: languageRows, label: labels.category },
    ],
  };
}

/** Table 1 as the paper printed it: absolute averages per corpus, best per column marked. */
export function tableOneTable(rows: readonly TableOneRow[], labels: Labels = DEFAULT_LABELS): DataTable {
  const bestJa = Math.max(...rows.map((r) => r.japanese));
  const bestEn = Math.max(...rows.map((r) => r.english));
  return {
    title: labels.tableOneTitle,
    columns: [
      { key: 'corpus', label: labels.corpus },
      { key: 'japanese', label: labels.japaneseTasks, digits: 3 },
      { key: 'english', label: labels.englishTasks, digits: 3 },
    ],
    rows: rows.map((r) => [r.corpus, r.japanese, r.english]),
    marks: rows.map((r) => [...(r.japanese === bestJa ? [1] : []), ...(r.english === bestEn ? [2] : [])]),
  };
}

export function pValueOf(t: TestResult, mode: CorrelationMode, kind: PKind): number | null {
  if (mode === 'regular') return t.regular.p;
  return kind === 'paper' ? t.partial.p : kind === 'corrected' ? t.partial.pCorrected : t.partial.pPermutation;
}

export function stars(p: number | null): string {
  if (p === null) return '';
  return p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : '';
}

/** The tests of one statistic (or all), in the panel's mode: regular shows r and p, partial everything. */
export function testsTable(
  result: Pick<AnalysisResult, 'tests'>,
  statistic: StatisticId | 'all',
  mode: CorrelationMode,
  labels: Labels = DEFAULT_LABELS,
  translations: Translations = {},
): DataTable {
  const tests = result.tests.filter((t) => statistic === 'all' || t.statistic === statistic);
  const columns: Column[] = [
    { key: 'task', label: labels.task },
    { key: 'language', label: labels.language },
    { key: 'category', label: labels.category },
    ...(statistic === 'all' ? [{ key: 'statistic', label: labels.statistic }] : []),
    ...(mode === 'partial'
      ? [
          { key: 'covariates', label: labels.covariates },
          { key: 'r', label: labels.r, digits: STAT_DIGITS },
          { key: 'ciLow', label: labels.ciLow, digits: STAT_DIGITS },
          { key: 'ciHigh', label: labels.ciHigh, digits: STAT_DIGITS },
          { key: 'p', label: labels.p, digits: STAT_DIGITS },
          { key: 'pCorrected', label: labels.pCorrected, digits: STAT_DIGITS },
          { key: 'pPermutation', label: labels.pPermutation, digits: STAT_DIGITS },
          { key: 'q', label: labels.q, digits: STAT_DIGITS },
          { key: 'holm', label: labels.holm, digits: STAT_DIGITS },
        ]
      : [
          { key: 'r', label: labels.r, digits: STAT_DIGITS },
          { key: 'ciLow', label: labels.ciLow, digits: STAT_DIGITS },
          { key: 'ciHigh', label: labels.ciHigh, digits: STAT_DIGITS },
          { key: 'p', label: labels.p, digits: STAT_DIGITS },
        ]),
    { key: 'note', label: labels.note },
  ];
  const rows = tests.map((t): Cell[] => [
    t.task,
    t.language,
    t.category,
    ...(statistic === 'all' ? [t.statistic] : []),
    ...(mode === 'partial'
      ? [
          t.covariates.join(' + ') || '—',
          t.partial.r,
          t.partial.ci?.low ?? null,
          t.partial.ci?.high ?? null,
          t.partial.p,
          t.partial.pCorrected,
          t.partial.pPermutation,
          t.q,
          t.holm,
        ]
      : [t.regular.r, t.regular.ci?.low ?? null, t.regular.ci?.high ?? null, t.regular.p]),
    testNote(t, mode, translations),
  ]);
  const name =
    statistic === 'all' ? '' : ` — ${translations[STATISTIC_NAMES[statistic]] ?? STATISTIC_NAMES[statistic]}`;
  return { title: `${labels.testsTitle}${name} (${labels[mode]})`, columns, rows };
}

/**
 * Why a test has no numbers (in regular mode only when its regular r is missing: the partial error is
 * not the regular test's), why its interval is missing, or (partial) that its family counted it once
 * under another statistic.
 */
function testNote(t: TestResult, mode: CorrelationMode, translations: Translations): string | null {
  const side = mode === 'regular' ? t.regular : t.partial;
  if (t.error !== undefined && (mode === 'partial' || t.regular.r === null))
    return renderMessage(t.error, translations);
  const notes: AnalysisMessage[] = [];
  if (side.ciError !== undefined) notes.push(side.ciError);
  if (mode === 'partial' && t.duplicateOf) {
    const d = t.duplicateOf;
    const original = [d.statistic === t.statistic ? '' : d.statistic, d.task === t.task ? '' : `"${d.task}"`]
      .filter(Boolean)
      .join(' ~ ');
    notes.push(message(d.sign < 0 ? 'sameTestNegated' : 'sameTest', { original, family: t.family }));
  }
  return notes.length ? notes.map((m) => renderMessage(m, translations)).join('; ') : null;
}

export interface Bar {
  readonly task: string;
  readonly category: string;
  readonly language: string;
  readonly r: number;
  /** The 95 % Fisher-z interval of r, null when n − 3 − k ≤ 0. */
  readonly ci: Interval | null;
  readonly p: number | null;
  readonly stars: string;
  /** `Task (0.011) *`: the figures' labelling. */
  readonly label: string;
}

/** Tasks without a bar, one entry per cause: a cause shared by every task is said once, not per task. */
export interface UndefinedGroup {
  readonly reason: string;
  readonly tasks: readonly string[];
}

/**
 * Figs 3–6: one bar per task with a defined r, sorted by r descending; the tasks without one are
 * grouped by cause. Stars by the corrected p unless told otherwise: with covariates, n − 2 − k is the
 * partial r's degrees of freedom (the paper's n − 2 is a choice of the panel).
 */
export function correlationBars(
  result: Pick<AnalysisResult, 'tests'>,
  statistic: StatisticId,
  mode: CorrelationMode,
  kind: PKind = 'corrected',
  translations: Translations = {},
): { bars: Bar[]; undefinedTasks: UndefinedGroup[] } {
  const bars: Bar[] = [];
  const undefinedTasks = new Map<string, string[]>();
  for (const t of result.tests) {
    if (t.statistic !== statistic) continue;
    const side = mode === 'regular' ? t.regular : t.partial;
    if (side.r === null) {
      const reason = renderMessage(t.error ?? NOT_COMPUTED, translations);
      undefinedTasks.set(reason, [...(undefinedTasks.get(reason) ?? []), t.task]);
      continue;
    }
    const p = pValueOf(t, mode, kind);
    const s = stars(p);
    bars.push({
      task: t.task,
      category: t.category,
      language: t.language,
      r: side.r,
      ci: side.ci,
      p,
      stars: s,
      label: `${t.task} (${p === null ? '–' : p.toFixed(3)})${s ? ` ${s}` : ''}`,
    });
  }
  bars.sort((a, b) => b.r - a.r || a.task.localeCompare(b.task));
  return { bars, undefinedTasks: [...undefinedTasks].map(([reason, tasks]) => ({ reason, tasks })) };
}

/**
 * Why no task of the statistic has a partial r, when none has: the causes, each once (with three
 * corpora and two covariates, the design has n − 2 − k = −1 degrees of freedom for every task).
 * Null when at least one task has a partial r, or the statistic has no tests.
 */
export function partialUnavailable(
  result: Pick<AnalysisResult, 'tests'>,
  statistic: StatisticId,
  translations: Translations = {},
): string | null {
  const tests = result.tests.filter((t) => t.statistic === statistic);
  if (tests.length === 0 || tests.some((t) => t.partial.r !== null)) return null;
  return [...new Set(tests.map((t) => renderMessage(t.error ?? NOT_COMPUTED, translations)))].join('; ');
}

/** The cause of a missing r when the analysis named none (it always does; this keeps the page honest if not). */
const NOT_COMPUTED = message('notComputed', {});

/** The mode the panel shows: the one asked for, unless it is partial and partial has no numbers. */
export function shownMode(
  result: Pick<AnalysisResult, 'tests'>,
  statistic: StatisticId,
  mode: CorrelationMode,
): CorrelationMode {
  return mode === 'partial' && partialUnavailable(result, statistic) !== null ? 'regular' : mode;
}

/** `{0}`-style text with its arguments filled in: the English default of a translation function. */
function fill(key: string, ...args: (string | number)[]): string {
  return key.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
}

/** The numbers of a bar's tooltip: r, its 95 % interval (or that it has none) and the p the stars use. */
export function barTooltip(bar: Bar, translate: (key: string, ...args: (string | number)[]) => string = fill): string {
  const p = bar.p === null ? '–' : bar.p.toPrecision(4);
  return bar.ci
    ? translate(
        'r = {0}, 95 % CI [{1}, {2}], p = {3}',
        bar.r.toFixed(4),
        bar.ci.low.toFixed(4),
        bar.ci.high.toFixed(4),
        p,
      )
    : translate('r = {0}, 95 % CI undefined, p = {1}', bar.r.toFixed(4), p);
}

export interface PanelStudy {
  readonly corpora: readonly string[];
  readonly tasks: readonly TaskScores[];
  readonly result: Pick<AnalysisResult, 'corpora' | 'averages' | 'tests'>;
  readonly tableOne: readonly TableOneRow[] | null;
}

/** The table a panel shows under `id` in the given view: the one the panel rendered, for export. */
export function panelTable(
  study: PanelStudy,
  id: TableId,
  view: PanelView,
  labels: Labels = DEFAULT_LABELS,
  translations: Translations = {},
): DataTable {
  switch (id) {
    case 'scores':
      return scoreDifferenceTable(study.tasks, study.corpora, view, labels);
    case 'averages':
      return averagesTable(study.result, labels);
    case 'tableOne':
      if (!study.tableOne) throw new Error('this study has no average-scores.csv (Table 1)');
      return tableOneTable(study.tableOne, labels);
    case 'tests':
      return testsTable(study.result, view.allStatistics ? 'all' : view.statistic, view.mode, labels, translations);
  }
}

/**
 * File names of table exports: what was exported and in which view, so several exports do not blur
 * together (figures are named by report/figure.ts's figureStem).
 */
export function exportStem(id: TableId, view: PanelView): string {
  switch (id) {
    case 'tests':
      return `tests-${view.allStatistics ? 'all' : view.statistic}-${view.mode}`;
    case 'tableOne':
      return 'table-1';
    case 'averages':
    case 'scores':
      return id;
  }
}
