import * as vscode from 'vscode';
import { type JobNode, JobTreeModel, type NodeView } from '../core/jobs/jobTreeModel';
import type { JobRecord } from '../core/jobs/registry';
import { COMMANDS } from './commandIds';

export type { JobNode };

const ICONS: Record<NonNullable<NodeView['icon']>, vscode.ThemeIcon> = {
  pending: new vscode.ThemeIcon('clock'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash'),
  unknown: new vscode.ThemeIcon('question'),
  stale: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('problemsWarningIcon.foreground')),
};

const stageLabel = (stage: string): string =>
  ({
    'hf-to-megatron': vscode.l10n.t('Conversion: Hugging Face → Megatron'),
    cpt: vscode.l10n.t('Continued pretraining'),
    'megatron-to-hf': vscode.l10n.t('Conversion: Megatron → Hugging Face'),
    'hf-to-nemo': vscode.l10n.t('Conversion: Hugging Face → NeMo'),
    sft: vscode.l10n.t('Fine-tuning (SFT)'),
    'nemo-to-hf': vscode.l10n.t('Conversion: NeMo → Hugging Face'),
    eval: vscode.l10n.t('Evaluation'),
  })[stage] ?? stage;

/**
 * Jobs grouped by study and stage, with Slurm's live state. The items stay the same objects across
 * polls (JobTreeModel): only those whose text changed are redrawn, so a click on a job between two
 * polls still opens its log.
 */
export class JobTreeProvider implements vscode.TreeDataProvider<JobNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<JobNode | JobNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly model = new JobTreeModel();

  /**
   * `stale(cluster)`: a note when the cluster's last poll failed, so live rows do not pretend to be
   * current. `loaded()`: settles once the registry is read; the first answer waits for it, so a
   * window that opens with the view shows the jobs, not an empty tree.
   */
  constructor(
    private readonly jobs: () => readonly JobRecord[],
    private readonly stale: (cluster: string) => string | undefined = () => undefined,
    private readonly loaded: () => Promise<void> = () => Promise.resolve(),
  ) {}

  refresh() {
    const change = this.model.update(this.jobs(), this.stale);
    if (change.root) this.emitter.fire(undefined);
    else if (change.nodes.length > 0) this.emitter.fire([...change.nodes]);
  }

  async getChildren(node?: JobNode): Promise<JobNode[]> {
    if (!this.model.ready) {
      // An untrusted folder's registry is not read until trust is granted (then refresh() runs).
      if (vscode.workspace.isTrusted) await this.loaded().catch(() => undefined);
      if (!this.model.ready) this.model.update(this.jobs(), this.stale);
    }
    return this.model.children(node);
  }

  getTreeItem(node: JobNode): vscode.TreeItem {
    const v = this.model.view(node);
    const label = node.kind === 'stage' ? stageLabel(node.stage) : v.label;
    const item = new vscode.TreeItem(
      label,
      node.kind === 'job' ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = node.id;
    item.description = v.description;
    item.contextValue = v.contextValue;
    if (node.kind === 'study') {
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.tooltip = v.tooltip.join('\n\n');
      return item;
    }
    if (node.kind === 'stage') {
      item.tooltip = v.tooltip.join('\n\n');
      return item;
    }
    if (v.icon) item.iconPath = ICONS[v.icon];
    item.tooltip = new vscode.MarkdownString(v.tooltip.join('\n\n'));
    item.command = { command: COMMANDS.openJobLog, title: vscode.l10n.t('Open Log'), arguments: [node] };
    return item;
  }

  dispose() {
    this.emitter.dispose();
  }
}
