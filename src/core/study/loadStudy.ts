import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { type AnalysisOptions, type AnalysisResult, analyze } from '../analysis/analyze';
import { type AnalysisMessage, message } from '../analysis/messages';
import { STATISTIC_IDS, type StatisticId } from '../analysis/statistics';
import { readCompositionFile, readScoreFile, readTableOneFile } from '../analysis/tableFiles';
import {
  type CompositionTable,
  differencesFromResults,
  type ScoreTable,
  TableError,
  type TableOneRow,
} from '../analysis/tables';
import { type JobRecord, workspaceRegistry } from '../jobs/registry';
import { loadRecipes } from '../recipe/loader';
import type { CompositionStatistics } from '../recipe/statistics';
import { readStudyFile, resolveIn } from './studyFile';
import { describeProvenance, readStudyResults } from './studyResults';

export interface AnalysisInputs {
  readonly composition: CompositionTable;
  readonly scores: ScoreTable;
}

/** Table C.1's shape computed from recipes: counts in billions, ratios in percent. */
export function compositionFromRecipes(
  file: string,
  recipes: { name: string; statistics: CompositionStatistics }[],
): CompositionTable {
  const values = Object.fromEntries(STATISTIC_IDS.map((id) => [id, [] as number[]])) as Record<StatisticId, number[]>;
  for (const { statistics: s } of recipes) {
    values.total_tokens.push(s.total / 1e9);
    values.japanese_tokens.push(s.japanese / 1e9);
    values.english_tokens.push(s.english / 1e9);
    values.parallel_tokens.push(s.parallel / 1e9);
    values.japanese_ratio.push(s.japaneseRatio * 100);
    values.english_ratio.push(s.englishRatio * 100);
    values.parallel_ratio.push(s.parallelRatio * 100);
  }
  return { file, corpora: recipes.map((r) => r.name), values };
}

/**
 * A study directory: `score-differences.csv` (or `results-before.csv` + `results-after.csv`), and
 * `composition.csv` — or, without one, the composition computed from the directory's recipes.
 */
export async function readStudyDirectory(dir: string): Promise<AnalysisInputs> {
  const file = (name: string) => path.join(dir, name);
  let scores: ScoreTable;
  if (await exists(file('score-differences.csv'))) scores = await readScoreFile(file('score-differences.csv'));
  else if ((await exists(file('results-before.csv'))) && (await exists(file('results-after.csv')))) {
    scores = differencesFromResults(
      await readScoreFile(file('results-before.csv')),
      await readScoreFile(file('results-after.csv')),
    );
  } else
    throw new TableError(
      dir,
      1,
      undefined,
      'a study directory needs score-differences.csv, or results-before.csv and results-after.csv',
    );

  if (await exists(file('composition.csv')))
    return { composition: await readCompositionFile(file('composition.csv')), scores };
  const { set } = await loadRecipes([dir]);
  const recipes = [...set.recipes.values()].filter((r) => scores.corpora.includes(r.name));
  return { composition: compositionFromRecipes(`${dir} (recipes)`, recipes), scores };
}

/** Everything the analysis panels show about one study directory. */
export interface StudyModel {
  readonly name: string;
  readonly dir: string;
  readonly inputs: AnalysisInputs;
  readonly result: AnalysisResult;
  readonly tableOne: TableOneRow[] | null;
  /** How the numbers were made (results, aggregation, metric, shots), in the reader's words when shown. */
  readonly notes: AnalysisMessage[];
  /** Results that could not be read or were left out, each naming its file, row and column. */
  readonly problems: string[];
  /** `task|model` → where its score came from, for results-based studies. */
  readonly provenance: Map<string, string>;
}

/**
 * The evaluation job behind each model's results, from the job registry of the study's workspace:
 * the nearest folder, from the study's own up, that has one (a fetched study lives in
 * `results/<study>/`, its registry at the workspace root).
 */
async function evalJobsByModel(dir: string, study: string): Promise<Map<string, JobRecord>> {
  const out = new Map<string, JobRecord>();
  for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
    const registry = workspaceRegistry(folder);
    if (await exists(registry.file)) {
      try {
        await registry.load();
      } catch {
        return out; // a damaged registry is reported by the Jobs view; the analysis does not need it
      }
      for (const j of registry.all()) if (j.study === study && j.stage === 'eval') out.set(j.model, j);
      return out;
    }
    if (path.dirname(folder) === folder) return out;
  }
}

async function exists(f: string) {
  return stat(f).then(
    () => true,
    () => false,
  );
}

/** A study's inputs and how they were made, before analysis (the CLI and the panels share it). */
export interface StudyInputs {
  readonly name: string;
  readonly inputs: AnalysisInputs;
  readonly covariates: AnalysisOptions['covariates'];
  readonly tableOne: TableOneRow[] | null;
  readonly notes: AnalysisMessage[];
  /** Results that could not be read or were left out, each naming its file, row and column. */
  readonly problems: string[];
  readonly provenance: Map<string, string>;
}

/**
 * A study directory: with a `study.yaml`, as it says (fetched results or precomputed differences);
 * without one, `score-differences.csv` (or results-before/after) and `composition.csv` or recipes.
 */
export async function readStudy(dir: string): Promise<StudyInputs> {
  const studyYaml = path.join(dir, 'study.yaml');
  if (!(await exists(studyYaml))) {
    const inputs = await readStudyDirectory(dir);
    const tableOneFile = path.join(dir, 'average-scores.csv');
    const tableOne = (await exists(tableOneFile)) ? await readTableOneFile(tableOneFile) : null;
    return {
      name: path.basename(path.resolve(dir)),
      inputs,
      covariates: undefined,
      tableOne,
      notes: [],
      problems: [],
      provenance: new Map(),
    };
  }
  const study = await readStudyFile(studyYaml);
  const notes: AnalysisMessage[] = [];
  const problems: string[] = [];
  const provenance = new Map<string, string>();
  let scores: ScoreTable;
  if (study.scores) {
    scores = await readScoreFile(resolveIn(dir, study.scores)!);
    notes.push(message('scoresFrom', { file: study.scores }));
  } else {
    const resultsDir = resolveIn(dir, study.results)!;
    const r = await readStudyResults(resultsDir, {
      base: study.base,
      shots: study.shots,
      aggregation: study.aggregation,
      metric: study.metric,
      corpora: study.corpora,
    });
    scores = differencesFromResults(r.before, r.after);
    const made = { shots: r.shots, metric: study.metric, base: study.base };
    const here = study.results === '.';
    const folder = study.results!;
    notes.push(
      typeof study.aggregation === 'object'
        ? here
          ? message('resultsOneTemplateHere', { ...made, template: study.aggregation.template })
          : message('resultsOneTemplate', { ...made, folder, template: study.aggregation.template })
        : here
          ? message('resultsAggregatedHere', { ...made, aggregation: study.aggregation })
          : message('resultsAggregated', { ...made, folder, aggregation: study.aggregation }),
    );
    problems.push(...r.problems);
    const jobs = await evalJobsByModel(dir, study.name);
    for (const [k, rows] of r.provenance) {
      const job = jobs.get(k.split('|')[1]);
      provenance.set(
        k,
        `${describeProvenance(rows, dir)}${job ? `\njob ${job.jobId} on ${job.cluster} (${job.name})` : ''}`,
      );
    }
  }
  let composition: CompositionTable;
  if (study.composition) composition = await readCompositionFile(resolveIn(dir, study.composition)!);
  else {
    const { set } = await loadRecipes([dir]);
    const recipes = [...set.recipes.values()].filter((r) => scores.corpora.includes(r.name));
    composition = compositionFromRecipes(`${dir} (recipes)`, recipes);
  }
  const tableOneFile = resolveIn(dir, study.tableOne);
  const tableOne = tableOneFile ? await readTableOneFile(tableOneFile) : null;
  return {
    name: study.name,
    inputs: { composition, scores },
    covariates: study.covariates,
    tableOne,
    notes,
    problems,
    provenance,
  };
}

export async function loadStudy(dir: string, options: AnalysisOptions = {}): Promise<StudyModel> {
  const s = await readStudy(dir);
  const result = analyze(s.inputs.composition, s.inputs.scores, {
    ...options,
    covariates: { ...s.covariates, ...options.covariates },
  });
  return {
    name: s.name,
    dir,
    inputs: s.inputs,
    result,
    tableOne: s.tableOne,
    notes: s.notes,
    problems: s.problems,
    provenance: s.provenance,
  };
}
