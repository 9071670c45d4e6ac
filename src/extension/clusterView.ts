import * as vscode from 'vscode';
import { type Capacity, type PartitionCapacity, type PendingJob, readCapacity } from '../core/cluster/capacity';
import { errorMessage } from '../core/errors';
import type { ClusterManager } from './clusterManager';
import { Disposable, toDisposable } from './dispose';

type ClusterNode =
  | { kind: 'cluster'; cluster: string }
  | { kind: 'partition'; cluster: string; partition: PartitionCapacity }
  | { kind: 'node'; node: PartitionCapacity['unavailable'][number] }
  | { kind: 'pending'; cluster: string; mine: boolean; jobs: PendingJob[] }
  | { kind: 'job'; job: PendingJob };

type Reading = { capacity: Capacity; at: Date } | { error: string; at: Date; last?: Capacity };

const MS_PER_SECOND = 1000;

/**
 * The Cluster view: each configured cluster's partitions (nodes and GPUs idle, allocated, down)
 * and its queue of pending jobs, the user's with their estimated start. Read with one command per
 * cluster, while the view is visible (every `jobs.pollSeconds`) and on "Refresh Cluster"; a
 * hidden view polls nothing, so no cluster is connected just because it is configured.
 */
export class ClusterView extends Disposable {
  private readonly emitter = this.own(new vscode.EventEmitter<void>());
  private readonly readings = new Map<string, Reading>();
  private readonly view: vscode.TreeView<ClusterNode>;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly clusters: ClusterManager,
    private readonly pollSeconds: () => number,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.view = vscode.window.createTreeView<ClusterNode>('corpusLab.cluster', {
      treeDataProvider: {
        onDidChangeTreeData: this.emitter.event,
        getChildren: (n) => this.children(n),
        getTreeItem: (n) => this.item(n),
      },
    });
    this.own(this.view);
    this.own(this.view.onDidChangeVisibility((e) => (e.visible ? void this.refresh() : this.stop())));
    this.own(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('corpusLab.clusters') && this.view.visible) void this.refresh();
      }),
    );
    this.own(toDisposable(() => this.stop()));
  }

  /** Reads every configured cluster once (a poll already under way is joined, not doubled). */
  refresh(): Promise<void> {
    this.inFlight ??= this.readAll().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    return this.inFlight;
  }

  private async readAll(): Promise<void> {
    const names = this.clusters.names();
    for (const known of [...this.readings.keys()]) if (!names.includes(known)) this.readings.delete(known);
    await Promise.all(
      names.map(async (name) => {
        try {
          const capacity = await readCapacity(this.clusters.get(name));
          for (const p of capacity.problems) this.log.warn(`${name}: ${p}`);
          this.readings.set(name, { capacity, at: new Date() });
        } catch (e) {
          const error = errorMessage(e);
          this.log.warn(`${name}: cluster capacity: ${error}`);
          const before = this.readings.get(name);
          const last = before && ('capacity' in before ? before.capacity : before.last);
          this.readings.set(name, { error, at: new Date(), last });
        }
      }),
    );
    this.emitter.fire();
  }

  private schedule() {
    this.stop();
    if (this.isDisposed || !this.view.visible) return;
    this.timer = setTimeout(() => void this.refresh(), this.pollSeconds() * MS_PER_SECOND);
  }

  private stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private children(node?: ClusterNode): ClusterNode[] {
    if (!node) return this.clusters.names().map((cluster) => ({ kind: 'cluster', cluster }));
    if (node.kind === 'cluster') {
      const r = this.readings.get(node.cluster);
      const capacity = r && ('capacity' in r ? r.capacity : r.last);
      if (!capacity) return [];
      const mine = capacity.pending.filter((j) => j.mine);
      return [
        ...capacity.partitions.map(
          (partition): ClusterNode => ({ kind: 'partition', cluster: node.cluster, partition }),
        ),
        { kind: 'pending', cluster: node.cluster, mine: true, jobs: mine },
        { kind: 'pending', cluster: node.cluster, mine: false, jobs: capacity.pending },
      ];
    }
    if (node.kind === 'partition') return node.partition.unavailable.map((n) => ({ kind: 'node', node: n }));
    if (node.kind === 'pending') return node.jobs.map((job) => ({ kind: 'job', job }));
    return [];
  }

  private item(node: ClusterNode): vscode.TreeItem {
    switch (node.kind) {
      case 'cluster':
        return this.clusterItem(node.cluster);
      case 'partition':
        return partitionItem(node.cluster, node.partition);
      case 'node': {
        const n = node.node;
        const item = new vscode.TreeItem(n.node, vscode.TreeItemCollapsibleState.None);
        item.description = n.reason ? `${n.state} — ${n.reason}` : n.state;
        item.tooltip = vscode.l10n.t(
          '{0}: {1}, {2} of its {3} GPUs held by running jobs. {4}',
          n.node,
          n.state,
          n.gpusAllocated,
          n.gpus,
          n.reason,
        );
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'clusterNode';
        return item;
      }
      case 'pending': {
        const label = node.mine
          ? vscode.l10n.t('Your pending jobs ({0})', node.jobs.length)
          : vscode.l10n.t('All pending jobs ({0})', node.jobs.length);
        // The same state whatever the count: the workbench keeps an item's first collapsible state by its id.
        const item = new vscode.TreeItem(
          label,
          node.mine ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `${node.cluster}/pending/${node.mine ? 'mine' : 'all'}`;
        item.iconPath = new vscode.ThemeIcon(node.mine ? 'account' : 'organization');
        item.contextValue = 'clusterPending';
        return item;
      }
      case 'job':
        return jobItem(node.job);
    }
  }

  private clusterItem(cluster: string): vscode.TreeItem {
    const r = this.readings.get(cluster);
    const item = new vscode.TreeItem(cluster, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `${cluster}`;
    item.contextValue = 'cluster';
    item.iconPath = new vscode.ThemeIcon('server');
    if (!r) {
      item.description = vscode.l10n.t('not read yet');
      return item;
    }
    const time = r.at.toLocaleTimeString();
    if ('error' in r) {
      item.description = vscode.l10n.t('cannot be read: {0}', r.error);
      item.tooltip = vscode.l10n.t('{0} could not be read at {1}: {2}', cluster, time, r.error);
      item.iconPath = new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      return item;
    }
    const gpus = r.capacity.partitions.reduce(
      (s, p) => ({
        idle: s.idle + p.gpus.idle,
        allocated: s.allocated + p.gpus.allocated,
        down: s.down + p.gpus.down,
        total: s.total + p.gpus.total,
      }),
      { idle: 0, allocated: 0, down: 0, total: 0 },
    );
    item.description = gpuText(gpus);
    item.tooltip = vscode.l10n.t('{0} as {1}, read at {2}', cluster, r.capacity.user, time);
    return item;
  }
}

function gpuText(g: { idle: number; allocated: number; down: number; total: number }): string {
  return vscode.l10n.t('GPUs: {0} idle · {1} allocated · {2} down of {3}', g.idle, g.allocated, g.down, g.total);
}

function partitionItem(cluster: string, p: PartitionCapacity): vscode.TreeItem {
  const item = new vscode.TreeItem(
    p.name,
    p.unavailable.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
  );
  // The workbench keeps an item's first collapsible state by its id: a partition that gains down
  // nodes must be a new item to open.
  item.id = `${cluster}/partition/${p.name}${p.unavailable.length ? '/down' : ''}`;
  const nodes = vscode.l10n.t(
    'nodes: {0} idle · {1} mixed · {2} allocated · {3} down',
    p.nodes.idle,
    p.nodes.mixed,
    p.nodes.allocated,
    p.nodes.down,
  );
  item.description = `${gpuText(p.gpus)} — ${nodes}`;
  item.tooltip = [
    vscode.l10n.t('Partition {0} ({1})', p.name, p.available),
    gpuText(p.gpus),
    nodes,
    ...p.unavailable.map((n) => `${n.node}: ${n.state}${n.reason ? ` — ${n.reason}` : ''}`),
  ].join('\n');
  item.iconPath = new vscode.ThemeIcon(
    'circuit-board',
    p.gpus.down > 0 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined,
  );
  item.contextValue = 'clusterPartition';
  return item;
}

function jobItem(j: PendingJob): vscode.TreeItem {
  const item = new vscode.TreeItem(`${j.name} (${j.jobId})`, vscode.TreeItemCollapsibleState.None);
  const start = j.estimatedStart
    ? vscode.l10n.t('estimated start {0}', j.estimatedStart)
    : vscode.l10n.t('no start estimated');
  item.description = [j.mine ? undefined : j.user, j.reason || undefined, start, vscode.l10n.t('{0} GPUs', j.gpus)]
    .filter(Boolean)
    .join(' · ');
  item.tooltip = vscode.l10n.t(
    'Job {0} of {1} on {2}: {3} node(s), {4} GPUs, submitted {5}. Waiting: {6}. {7}',
    j.jobId,
    j.user,
    j.partition,
    j.nodes,
    j.gpus,
    j.submitted,
    j.reason || vscode.l10n.t('no reason given'),
    start,
  );
  item.iconPath = new vscode.ThemeIcon('clock');
  item.contextValue = 'clusterJob';
  return item;
}
