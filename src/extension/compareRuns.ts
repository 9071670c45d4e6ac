import * as vscode from 'vscode';
import type { JobRecord } from '../core/jobs/registry';
import { type CompareHost, openComparePanel } from './comparePanel';
import type { JobNode } from './jobTree';

export interface CompareRunsContext extends CompareHost {
  readonly jobs: () => readonly JobRecord[];
}

/** Jobs that write training curves: Megatron CPT and NeMo SFT, once submitted (a pending one is followed until it writes). */
const comparable = (j: JobRecord) => (j.stage === 'cpt' || j.stage === 'sft') && !!j.jobId;
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
    {
      canPickMany: true,
      placeHolder: vscode.l10n.t('Runs to compare (submitted CPT and SFT jobs; those still running are followed live)'),
    },
  );
  return picked?.map((p) => p.job) ?? [];
}

/**
 * Corpus Lab: Compare Runs. Finished runs' logs and scripts are read once over SFTP; runs still
 * training are followed live through the shared log followers. The curves and summaries open in
 * the Compare Runs panel (which exports the CSV and the figures).
 */
export async function compareRuns(ctx: CompareRunsContext, node?: JobNode, selected?: readonly JobNode[]) {
  const jobs = await chosenJobs(ctx, node, selected);
  if (jobs.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No submitted CPT or SFT job was chosen.'));
    return;
  }
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading {0} run logs…', jobs.length) },
    () => openComparePanel(jobs, ctx),
  );
}
