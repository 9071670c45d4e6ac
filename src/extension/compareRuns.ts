import * as vscode from 'vscode';
import { parseSlurmDuration } from '../core/jobs/accounting';
import { jobGpuHours } from '../core/jobs/present';
import type { JobRecord } from '../core/jobs/registry';
import { readRun } from '../core/logs/runLogs';
import type { ClusterManager } from './clusterManager';
import { openComparePanel } from './comparePanel';
import type { JobNode } from './jobTree';
import type { PanelContext } from './panelHost';

export interface CompareRunsContext extends PanelContext {
  readonly clusters: ClusterManager;
  readonly jobs: () => readonly JobRecord[];
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

/**
 * Corpus Lab: Compare Runs. Each chosen run's log and script are read once over SFTP; the curves
 * and summaries open in the Compare Runs panel (which exports the CSV and the figure).
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
  openComparePanel(runs, ctx);
}
