import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatGpuHours, gpuHours } from '../core/jobs/present';
import type { JobRegistry } from '../core/jobs/registry';
import type { RecipeSet } from '../core/recipe/resolve';
import { type FetchStudyReport, fetchStudy } from '../core/study/fetchStudy';
import { abortSignalOf } from './cancellation';
import type { ClusterManager } from './clusterManager';
import { showStudyInPanels } from './studyCommands';
import { workspacePath } from './workspaceFolder';

export interface FetchDeps {
  readonly registry: JobRegistry;
  readonly clusters: ClusterManager;
  readonly log: vscode.LogOutputChannel;
  /** The few-shot setting the study's evaluations ran with (corpusLab.jobs.numFewshot). */
  readonly shots: () => number;
  /** The workspace's recipes: their composition goes into the fetched study. */
  readonly recipes: () => Promise<RecipeSet>;
  /** Results changed on disk: the analysis panels reload. */
  readonly fetched: () => void;
}

/**
 * Copies a study's evaluation results into `results/<study>/` of the workspace, which becomes a
 * study of its own (core: fetchStudy), and offers to show it in the analysis panels. The caller
 * polls first, so that the jobs' states are current.
 */
export async function fetchResults(deps: FetchDeps, study?: string): Promise<FetchStudyReport | undefined> {
  const studies = [
    ...new Set(
      deps.registry
        .all()
        .filter((j) => j.stage === 'eval')
        .map((j) => j.study),
    ),
  ];
  const name =
    study ??
    (studies.length === 1
      ? studies[0]
      : await vscode.window.showQuickPick(studies, {
          placeHolder: vscode.l10n.t('Fetch the results of which study?'),
        }));
  if (!name) return undefined;
  const folder = workspacePath();
  if (!folder) throw new Error(vscode.l10n.t('Open a folder to fetch results into.'));
  const jobs = deps.registry.all();
  const cluster = jobs.find((j) => j.study === name && j.stage === 'eval')?.cluster;
  if (!cluster) throw new Error(vscode.l10n.t('Study {0} has no evaluation jobs.', name));
  const recipes = (await deps.recipes()).recipes;
  const report = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Fetching results of {0}…', name),
      cancellable: true,
    },
    (progress, token) =>
      fetchStudy(
        deps.clusters.get(cluster),
        { workspace: folder, study: name, jobs, shots: deps.shots(), recipes },
        {
          signal: abortSignalOf(token),
          onFile: (f) => progress.report({ message: path.relative(path.join(folder, 'results', name), f) }),
        },
      ),
  );
  for (const p of report.problems) deps.log.warn(p);
  const studyFile = vscode.workspace.asRelativePath(report.study.studyFile);
  if (report.study.withoutRecipe.length)
    deps.log.warn(
      `${name}: no recipe in the workspace for ${report.study.withoutRecipe.join(', ')}; their composition is not in the study`,
    );
  deps.fetched();
  const msg = [
    vscode.l10n.t(
      'Fetched {0} result files of {1} ({2} unchanged, {3} older versions kept). The study used {4}.',
      report.fetched.length,
      name,
      report.unchanged.length,
      report.kept.length,
      formatGpuHours(gpuHours(jobs.filter((j) => j.study === name))),
    ),
    report.study.studyFileState === 'written'
      ? vscode.l10n.t('Wrote {0}.', studyFile)
      : vscode.l10n.t('{0} was already there and is kept as it is.', studyFile),
    report.problems.length ? vscode.l10n.t('{0} problems: see the Corpus Lab output.', report.problems.length) : '',
  ]
    .filter(Boolean)
    .join(' ');
  const open = vscode.l10n.t('Open in Panels');
  const shown = report.problems.length
    ? vscode.window.showWarningMessage(msg, open)
    : vscode.window.showInformationMessage(msg, open);
  void shown.then((pick) => {
    if (pick === open)
      void showStudyInPanels(report.study.dir).catch((e: Error) => vscode.window.showErrorMessage(e.message));
  });
  return report;
}
