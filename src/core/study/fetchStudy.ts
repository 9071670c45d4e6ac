import { lstat, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { COMPOSITION_COLUMNS, STATISTIC_IDS } from '../analysis/statistics';
import { labelProblem } from '../jobs/labels';
import type { JobRecord } from '../jobs/registry';
import type { CompositionStatistics } from '../recipe/statistics';
import { writeFileAtomic } from '../report/exportFile';
import { type FetchOptions, type FetchReport, fetchStudyResults } from '../results/fetch';
import { compositionFromRecipes } from './loadStudy';
import { studyFileText } from './studyFile';

/** What the study folder of a fetch holds afterwards, and whether this fetch wrote it. */
export interface StudyFolderReport {
  /** `results/<study>` of the workspace: open it in the panels, or set `corpusLab.study` to it. */
  readonly dir: string;
  readonly studyFile: string;
  /** `written`: made by this fetch; `kept`: one was there (perhaps edited) and was left as it is. */
  readonly studyFileState: 'written' | 'kept';
  /** Corpora of the study without a recipe in the workspace: their composition could not be written. */
  readonly withoutRecipe: string[];
}

export interface FetchStudyOptions {
  /** The workspace folder: results go to its `results/<study>/`. */
  readonly workspace: string;
  readonly study: string;
  /** The registry's records (every study's; this study's are taken). */
  readonly jobs: readonly JobRecord[];
  /** The few-shot setting the evaluation ran with (`jobs.numFewshot`). */
  readonly shots: number;
  /** The workspace's recipes by name: the study's composition is recorded from them when study.yaml is first written. */
  readonly recipes: ReadonlyMap<string, { readonly statistics: CompositionStatistics }>;
}

export type FetchStudyReport = FetchReport & { readonly study: StudyFolderReport };

/** The transport the results come over: whatever `fetchStudyResults` takes. */
type ResultsSource = Parameters<typeof fetchStudyResults>[0];

/**
 * Fetch Results as one use case, shared by the editor and the CLI: the CSVs of the study's
 * completed evaluation jobs into `results/<study>/`, then that folder made a study of its own —
 * `study.yaml` pointing at the results and `composition.csv` of the corpora's recipes — so that
 * the panels and `corpus-lab analyze` can open it as it is. A study.yaml already there is the
 * researcher's (it says "edit freely") and is left alone, and said to be.
 */
export async function fetchStudy(
  source: ResultsSource,
  o: FetchStudyOptions,
  transfer: FetchOptions = {},
): Promise<FetchStudyReport> {
  const problem = labelProblem(o.study);
  if (problem) throw new Error(`study ${problem}`);
  const jobs = o.jobs.filter((j) => j.study === o.study);
  const evals = jobs.filter((j) => j.stage === 'eval');
  if (evals.length === 0) throw new Error(`study ${o.study} has no evaluation jobs in the registry`);
  const dir = path.join(o.workspace, 'results', o.study);
  // Cancelled, nothing more is fetched and no study.yaml is written; the files fetched so far are whole.
  const report = await fetchStudyResults(source, evals, dir, transfer);
  const corpora = [...new Set(jobs.filter((j) => j.stage === 'cpt').map((j) => j.model))];
  const study = await writeStudyFolder(dir, { ...o, cluster: evals[0].cluster, corpora });
  return { ...report, study };
}

/**
 * Makes `dir` (results/<study>) a study of its own, unless it has a study.yaml: `study.yaml`
 * pointing at the results beside it and `composition.csv` of the corpora that have a recipe.
 */
export async function writeStudyFolder(
  dir: string,
  o: Pick<FetchStudyOptions, 'study' | 'shots' | 'recipes'> & { cluster: string; corpora: readonly string[] },
): Promise<StudyFolderReport> {
  const { cluster, corpora } = o;
  const studyFile = path.join(dir, 'study.yaml');
  const withRecipe = corpora.filter((c) => o.recipes.has(c));
  const withoutRecipe = corpora.filter((c) => !o.recipes.has(c));
  const existing = await lstat(studyFile).catch(() => undefined);
  if (existing) return { dir, studyFile, studyFileState: 'kept', withoutRecipe };
  await mkdir(dir, { recursive: true });
  // A composition.csv already in the folder is the study's own (put there by hand): used, never written over.
  const hadComposition = (await lstat(path.join(dir, 'composition.csv')).catch(() => undefined)) !== undefined;
  const composition = withRecipe.length || hadComposition ? 'composition.csv' : undefined;
  if (composition && !hadComposition) {
    const recipes = withRecipe.map((name) => ({ name, statistics: o.recipes.get(name)!.statistics }));
    await writeFileAtomic(path.join(dir, composition), compositionCsv(recipes));
  }
  const text = studyFileText(
    {
      name: o.study,
      cluster,
      results: '.',
      base: 'base',
      shots: o.shots,
      aggregation: 'mean',
      metric: 'Accuracy',
      corpora: [...corpora],
      ...(composition ? { composition } : {}),
    },
    `Written by Corpus Lab when the results of ${o.study} were first fetched. Edit freely.`,
  );
  await writeFileAtomic(studyFile, text);
  return { dir, studyFile, studyFileState: 'written', withoutRecipe };
}

/** Decimals written: billions to the token, percent to a millionth — what the recipes' exact counts allow. */
const BILLIONS_DECIMALS = 9;
const PERCENT_DECIMALS = 6;

/**
 * Table C.1's CSV of the recipes as they were at the fetch: the study keeps the composition it was
 * trained on even when the recipes are edited later. Names are labels (checked at launch): no quoting needed.
 */
export function compositionCsv(recipes: { name: string; statistics: CompositionStatistics }[]): string {
  const table = compositionFromRecipes('', recipes);
  const decimals = (id: (typeof STATISTIC_IDS)[number]) =>
    id.endsWith('_ratio') ? PERCENT_DECIMALS : BILLIONS_DECIMALS;
  const lines = [
    ['corpus', ...STATISTIC_IDS.map((id) => COMPOSITION_COLUMNS[id])].join(','),
    ...table.corpora.map((c, i) =>
      [c, ...STATISTIC_IDS.map((id) => table.values[id][i].toFixed(decimals(id)))].join(','),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
