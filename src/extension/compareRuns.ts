import * as vscode from 'vscode';
import { formatSlurmDuration, parseSlurmDuration } from '../core/jobs/accounting';
import { jobGpuHours } from '../core/jobs/present';
import type { JobRecord } from '../core/jobs/registry';
import { comparisonTable, type Run, type RunSummary, summarize } from '../core/logs/runComparison';
import { readRun } from '../core/logs/runLogs';
import { toCsv } from '../core/report/dataTable';
import { writeExport } from '../core/report/exportFile';
import type { ClusterManager } from './clusterManager';
import type { JobNode } from './jobTree';

export interface CompareRunsContext {
  readonly clusters: ClusterManager;
  readonly jobs: () => readonly JobRecord[];
  readonly exportDir: () => vscode.Uri | undefined;
}

/** Jobs that write training curves: Megatron CPT and NeMo SFT, once they have started. */
const comparable = (j: JobRecord) => (j.stage === 'cpt' || j.stage === 'sft') && j.state !== 'PENDING' && !!j.jobId;

/**
 * The jobs a Compare Runs invocation is about: those selected in the Jobs view (a study stands
 * for all its CPT jobs), else the user's pick among every comparable job.
 */
async function chosenJobs(ctx: CompareRunsContext, node?: JobNode, selected?: readonly JobNode[]) {
  const all = ctx.jobs().filter(comparable);
  const nodes = selected?.length ? selected : node ? [node] : [];
  if (nodes.length) {
    const tags = new Set<string>();
    for (const n of nodes) {
      if (n.kind === 'job') tags.add(n.job.tag);
      else
        for (const j of all)
          if (j.study === n.study && (n.kind === 'study' ? j.stage === 'cpt' : j.stage === n.stage)) tags.add(j.tag);
    }
    return all.filter((j) => tags.has(j.tag));
  }
  const picked = await vscode.window.showQuickPick(
    all.map((j) => ({ label: `${j.study}/${j.stage}/${j.model}`, description: `${j.state} · ${j.jobId}`, job: j })),
    { canPickMany: true, placeHolder: vscode.l10n.t('Runs to compare (CPT and SFT jobs that have started)') },
  );
  return picked?.map((p) => p.job) ?? [];
}

function wallSeconds(j: JobRecord): number | undefined {
  return j.end?.elapsedSeconds ?? (j.elapsed ? parseSlurmDuration(j.elapsed) : undefined);
}

const num = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));
const tokens = (v: number | undefined) => (v === undefined ? '—' : `${(v / 1e9).toFixed(3)}B`);

function summaryMarkdown(runs: readonly Run[], summaries: readonly RunSummary[]): string {
  const head = [
    vscode.l10n.t('run'),
    vscode.l10n.t('study'),
    vscode.l10n.t('iterations'),
    vscode.l10n.t('last loss'),
    vscode.l10n.t('best loss (iteration)'),
    vscode.l10n.t('tokens seen'),
    vscode.l10n.t('TFLOP/s per GPU'),
    vscode.l10n.t('wall time'),
    vscode.l10n.t('GPU-hours'),
  ];
  const rows = summaries.map((s, i) => [
    s.label,
    runs[i].study,
    String(s.iterations),
    num(s.lastLoss, 4),
    s.bestLoss === undefined ? '—' : `${s.bestLoss.toFixed(4)} (${s.bestIteration})`,
    tokens(s.tokensSeen),
    num(s.tflopsPerGpu, 1),
    s.wallSeconds === undefined ? '—' : formatSlurmDuration(s.wallSeconds),
    num(s.gpuHours, 2),
  ]);
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `# ${vscode.l10n.t('Compare Runs')}`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
  ].join('\n');
}

/**
 * Corpus Lab: Compare Runs. Each chosen run's log and script are read once over SFTP; the
 * summaries open as a document, and the curves (one row per run per iteration) can be exported as CSV.
 */
export async function compareRuns(ctx: CompareRunsContext, node?: JobNode, selected?: readonly JobNode[]) {
  const jobs = await chosenJobs(ctx, node, selected);
  if (jobs.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No CPT or SFT job that has started was chosen.'));
    return;
  }
  const runs = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading {0} run logs…', jobs.length) },
    () =>
      Promise.all(
        jobs.map((j) =>
          readRun(ctx.clusters.get(j.cluster), {
            id: j.tag,
            study: j.study,
            recipe: j.model,
            kind: j.stage === 'sft' ? 'sft' : 'cpt',
            script: j.script,
            log: j.log,
            wallSeconds: wallSeconds(j),
            gpuHours: j.end || j.elapsed ? jobGpuHours(j) : undefined,
          }),
        ),
      ),
  );
  const summaries = runs.map((r) => summarize(r, runs));
  const doc = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: summaryMarkdown(runs, summaries),
  });
  await vscode.window.showTextDocument(doc, { preview: false });
  const exportCsv = vscode.l10n.t('Export CSV');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t(
      '{0} runs compared ({1} iterations).',
      runs.length,
      runs.reduce((s, r) => s + r.points.length, 0),
    ),
    exportCsv,
  );
  const dir = ctx.exportDir();
  if (choice !== exportCsv) return;
  if (!dir) throw new Error(vscode.l10n.t('Open a folder to export into.'));
  const file = await writeExport(dir.fsPath, 'compare-runs', 'csv', toCsv(comparisonTable(runs)));
  void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0}', file));
}
