import * as vscode from 'vscode';
import {
  endDetails,
  formatGpuHours,
  gpuHours,
  groupJobs,
  type JobIcon,
  jobDescription,
  jobIcon,
  studySummary,
} from '../core/jobs/present';
import type { JobRecord } from '../core/jobs/registry';
import { COMMANDS } from './commandIds';

export type JobNode =
  | { kind: 'study'; study: string }
  | { kind: 'stage'; study: string; stage: string }
  | { kind: 'job'; job: JobRecord };

const ICONS: Record<JobIcon, vscode.ThemeIcon> = {
  pending: new vscode.ThemeIcon('clock'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash'),
  unknown: new vscode.ThemeIcon('question'),
};

/** Jobs grouped by study and stage, with Slurm's live state. */
export class JobTreeProvider implements vscode.TreeDataProvider<JobNode> {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;

  /** `stale(cluster)`: a note when the cluster's last poll failed, so live rows do not pretend to be current. */
  constructor(
    private readonly jobs: () => readonly JobRecord[],
    private readonly stale: (cluster: string) => string | undefined = () => undefined,
  ) {}

  refresh() {
    this.emitter.fire();
  }

  getChildren(node?: JobNode): JobNode[] {
    const groups = groupJobs(this.jobs());
    if (!node) return groups.map((g) => ({ kind: 'study', study: g.study }));
    if (node.kind === 'study')
      return (groups.find((g) => g.study === node.study)?.stages ?? []).map((s) => ({
        kind: 'stage',
        study: node.study,
        stage: s.stage,
      }));
    if (node.kind === 'stage')
      return (groups.find((g) => g.study === node.study)?.stages.find((s) => s.stage === node.stage)?.jobs ?? []).map(
        (job) => ({ kind: 'job', job }),
      );
    return [];
  }

  getTreeItem(node: JobNode): vscode.TreeItem {
    if (node.kind === 'study') {
      const jobs = this.jobs().filter((j) => j.study === node.study);
      const item = new vscode.TreeItem(node.study, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.description = formatGpuHours(gpuHours(jobs));
      item.tooltip = `${node.study}: ${studySummary(jobs)}`;
      item.contextValue = 'study';
      return item;
    }
    if (node.kind === 'stage') {
      const jobs = this.jobs().filter((j) => j.study === node.study && j.stage === node.stage);
      const labels: Record<string, string> = {
        'hf-to-megatron': vscode.l10n.t('Conversion: Hugging Face → Megatron'),
        cpt: vscode.l10n.t('Continued pretraining'),
        'megatron-to-hf': vscode.l10n.t('Conversion: Megatron → Hugging Face'),
        'hf-to-nemo': vscode.l10n.t('Conversion: Hugging Face → NeMo'),
        sft: vscode.l10n.t('Fine-tuning (SFT)'),
        'nemo-to-hf': vscode.l10n.t('Conversion: NeMo → Hugging Face'),
        eval: vscode.l10n.t('Evaluation'),
      };
      const item = new vscode.TreeItem(labels[node.stage] ?? node.stage, vscode.TreeItemCollapsibleState.Expanded);
      item.description = formatGpuHours(gpuHours(jobs));
      item.tooltip = studySummary(jobs);
      item.contextValue = 'stage';
      return item;
    }
    const j = node.job;
    const item = new vscode.TreeItem(j.model, vscode.TreeItemCollapsibleState.None);
    item.id = j.tag;
    item.description = jobDescription(j);
    item.iconPath = ICONS[jobIcon(j.state)];
    item.tooltip = new vscode.MarkdownString(
      [
        `**${j.name}**`,
        `${j.state}${j.reason ? ` — ${j.reason}` : ''}`,
        ...endDetails(j),
        `cluster: ${j.cluster}${j.jobId ? ` · job ${j.jobId}` : ''}`,
        `tag: \`${j.tag}\``,
        `log: \`${j.log}\``,
      ].join('\n\n'),
    );
    const stale = ['pending', 'running'].includes(jobIcon(j.state)) ? this.stale(j.cluster) : undefined;
    if (stale) {
      item.description = `${item.description} · ${stale}`;
      item.iconPath = new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    }
    item.contextValue = `job.${jobIcon(j.state)}${j.stage === 'cpt' ? '.cpt' : ''}`;
    item.command = { command: COMMANDS.openJobLog, title: vscode.l10n.t('Open Log'), arguments: [node] };
    return item;
  }
}
