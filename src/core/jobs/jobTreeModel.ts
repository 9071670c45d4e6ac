import { stateText } from './jobState';
import {
  endDetails,
  formatGpuHours,
  gpuHours,
  groupJobs,
  type JobIcon,
  jobDescription,
  jobIcon,
  studySummary,
} from './present';
import type { JobRecord } from './registry';

/**
 * The Jobs tree's nodes. Each is one object for as long as what it stands for exists: a poll updates
 * a job node's record in place, so the editor keeps its item (selection, expansion, the command a
 * click runs) and redraws only the nodes whose text changed.
 */
export type JobNode =
  | { readonly kind: 'study'; readonly id: string; readonly study: string }
  | { readonly kind: 'stage'; readonly id: string; readonly study: string; readonly stage: string }
  | { readonly kind: 'job'; readonly id: string; job: JobRecord };

/** What a node shows; the editor adapter turns it into a tree item (stage labels translated there). */
export interface NodeView {
  readonly label: string;
  readonly description: string;
  /** Markdown paragraphs. */
  readonly tooltip: readonly string[];
  /** A job's icon, `stale` for a live job whose cluster did not answer the last poll; none for groups. */
  readonly icon?: JobIcon | 'stale';
  readonly contextValue: string;
}

/** What changed since the last update: the nodes to redraw, or the whole tree when its top level changed. */
export interface TreeChange {
  readonly root: boolean;
  readonly nodes: readonly JobNode[];
}

const TOP = '';

function jobView(j: JobRecord, stale: string | undefined): NodeView {
  const icon = jobIcon(j.state);
  const shownStale = icon === 'pending' || icon === 'running' ? stale : undefined;
  const description = jobDescription(j);
  return {
    label: j.model,
    description: shownStale ? `${description} · ${shownStale}` : description,
    tooltip: [
      `**${j.name}**`,
      `${stateText(j)}${j.reason ? ` — ${j.reason}` : ''}`,
      ...endDetails(j),
      `cluster: ${j.cluster}${j.jobId ? ` · job ${j.jobId}` : ''}`,
      `tag: \`${j.tag}\``,
      `log: \`${j.log}\``,
    ],
    icon: shownStale ? 'stale' : icon,
    contextValue: `job.${icon}${j.stage === 'cpt' ? '.cpt' : ''}`,
  };
}

export class JobTreeModel {
  private readonly nodes = new Map<string, JobNode>();
  private readonly views = new Map<string, NodeView>();
  /** Children by parent id (TOP for the top level), as ids. */
  private readonly kids = new Map<string, readonly string[]>();
  private updated = false;

  /** Whether `update` has run once. */
  get ready(): boolean {
    return this.updated;
  }

  children(node?: JobNode): JobNode[] {
    return (this.kids.get(node?.id ?? TOP) ?? []).map((id) => this.nodes.get(id)!);
  }

  view(node: JobNode): NodeView {
    const v = this.views.get(node.id);
    if (!v) throw new Error(`no node ${node.id} in the Jobs tree`);
    return v;
  }

  /**
   * Rebuilds the tree from the records and says what to redraw: a node whose own text changed, and
   * a node whose children changed (added, removed or reordered). `stale(cluster)` is the note for
   * live jobs of a cluster whose last poll failed.
   */
  update(jobs: readonly JobRecord[], stale: (cluster: string) => string | undefined = () => undefined): TreeChange {
    const nodes = new Map<string, JobNode>();
    const views = new Map<string, NodeView>();
    const kids = new Map<string, string[]>([[TOP, []]]);
    const keep = <N extends JobNode>(fresh: N): N => {
      const old = this.nodes.get(fresh.id);
      const node = (old ?? fresh) as N;
      nodes.set(node.id, node);
      return node;
    };
    for (const g of groupJobs(jobs)) {
      const inStudy = jobs.filter((j) => j.study === g.study);
      const study = keep({ kind: 'study', id: `study:${JSON.stringify(g.study)}`, study: g.study });
      kids.get(TOP)!.push(study.id);
      kids.set(study.id, []);
      views.set(study.id, {
        label: g.study,
        description: formatGpuHours(gpuHours(inStudy)),
        tooltip: [`${g.study}: ${studySummary(inStudy)}`],
        contextValue: 'study',
      });
      for (const s of g.stages) {
        const stage = keep({
          kind: 'stage',
          id: `stage:${JSON.stringify([g.study, s.stage])}`,
          study: g.study,
          stage: s.stage,
        });
        kids.get(study.id)!.push(stage.id);
        kids.set(
          stage.id,
          s.jobs.map((j) => {
            const node = keep({ kind: 'job', id: `job:${j.tag}`, job: j });
            node.job = j;
            views.set(node.id, jobView(j, stale(j.cluster)));
            return node.id;
          }),
        );
        views.set(stage.id, {
          label: s.stage,
          description: formatGpuHours(gpuHours(s.jobs)),
          tooltip: [studySummary(s.jobs)],
          contextValue: 'stage',
        });
      }
    }
    const sameList = (a: readonly string[] | undefined, b: readonly string[]) =>
      a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
    const root = !this.updated || !sameList(this.kids.get(TOP), kids.get(TOP)!);
    const changed: JobNode[] = [];
    for (const [id, node] of nodes) {
      const old = this.views.get(id);
      if (!old) continue; // new: drawn when its parent is
      const own = JSON.stringify(old) !== JSON.stringify(views.get(id));
      const children = kids.has(id) && !sameList(this.kids.get(id), kids.get(id)!);
      if (own || children) changed.push(node);
    }
    this.replace(this.nodes, nodes);
    this.replace(this.views, views);
    this.replace(this.kids, kids);
    this.updated = true;
    return { root, nodes: root ? [] : changed };
  }

  private replace<K, V>(target: Map<K, V>, source: Map<K, V>) {
    target.clear();
    for (const [k, v] of source) target.set(k, v);
  }
}
