import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatGpuHours, gpuHours } from '../core/jobs/present';
import type { JobRegistry } from '../core/jobs/registry';
import { writeFileAtomic } from '../core/report/exportFile';
import { type FetchReport, fetchStudyResults } from '../core/results/fetch';
import type { ClusterManager } from './clusterManager';
import { workspacePath } from './workspaceFolder';

const fileExists = (f: string) =>
  stat(f).then(
    () => true,
    () => false,
  );

/** The study.yaml written after the first fetch: the panels then show this study's own results. */
function studyYaml(name: string, cluster: string, results: string, shots: number, corpora: string[]): string {
  return [
    `# Written by Corpus Lab when the results of ${name} were first fetched. Edit freely.`,
    `name: ${JSON.stringify(name)}`,
    `cluster: ${JSON.stringify(cluster)}`,
    `results: ${JSON.stringify(results)}`,
    'base: base',
    `shots: ${shots}`,
    'aggregation: mean',
    'metric: Accuracy',
    `corpora: [${corpora.map((c) => JSON.stringify(c)).join(', ')}]`,
    '',
  ].join('\n');
}

export interface FetchDeps {
  readonly registry: JobRegistry;
  readonly clusters: ClusterManager;
  readonly log: vscode.LogOutputChannel;
  /** The few-shot setting the study's evaluations ran with (corpusLab.jobs.numFewshot). */
  readonly shots: () => number;
  /** Results changed on disk: the analysis panels reload. */
  readonly fetched: () => void;
}

/**
 * Copies a study's evaluation results into `results/<study>/` of the workspace and, when the
 * workspace has no study.yaml yet, writes one that points the analysis panels at them. The caller
 * polls first, so that the jobs' states are current.
 */
export async function fetchResults(deps: FetchDeps, study?: string): Promise<FetchReport | undefined> {
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
  const jobs = deps.registry.all().filter((j) => j.study === name);
  const evals = jobs.filter((j) => j.stage === 'eval');
  const cluster = evals[0]?.cluster;
  if (!cluster) throw new Error(vscode.l10n.t('Study {0} has no evaluation jobs.', name));
  const local = path.join(folder, 'results', name);
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Fetching results of {0}…', name) },
    () => fetchStudyResults(deps.clusters.get(cluster), evals, local),
  );
  for (const p of report.problems) deps.log.warn(p);
  const studyFile = path.join(folder, 'study.yaml');
  if (!(await fileExists(studyFile))) {
    const corpora = [...new Set(jobs.filter((j) => j.stage === 'cpt').map((j) => j.model))];
    await writeFileAtomic(studyFile, studyYaml(name, cluster, `results/${name}`, deps.shots(), corpora));
  }
  deps.fetched();
  const msg = vscode.l10n.t(
    'Fetched {0} result files of {1} ({2} unchanged, {3} older versions kept). The study used {4}.',
    report.fetched.length,
    name,
    report.unchanged.length,
    report.kept.length,
    formatGpuHours(gpuHours(jobs)),
  );
  if (report.problems.length)
    void vscode.window.showWarningMessage(
      `${msg} ${vscode.l10n.t('{0} problems: see the Corpus Lab output.', report.problems.length)}`,
    );
  else void vscode.window.showInformationMessage(msg);
  return report;
}
