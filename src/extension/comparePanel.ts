import * as vscode from 'vscode';
import type { ClusterTransport } from '../core/cluster/transport';
import { parseSlurmDuration } from '../core/jobs/accounting';
import { isActive, jobGpuHours } from '../core/jobs/present';
import type { JobRecord } from '../core/jobs/registry';
import {
  compareFigureStem,
  comparisonTable,
  mergePoints,
  type Run,
  type RunPoint,
  type RunSummary,
  summarize,
} from '../core/logs/runComparison';
import { LiveRun, type RunFiles, readRun } from '../core/logs/runLogs';
import type { SharedFollowers } from '../core/logs/sharedFollowers';
import { toCsv } from '../core/report/dataTable';
import { decodePngDataUrl } from '../core/report/exportFile';
import { checkSvg } from '../core/report/svgCheck';
import {
  type CompareString,
  type CompareToHost,
  type CompareToPage,
  compareProtocol,
  compareView,
} from '../protocol/compare';
import { MAX_BATCH } from '../protocol/panelProtocol';
import { openPanel, Panel, type PanelContext, type PanelDescriptor, registerPanelSerializer } from './panelHost';

const COMPARE_PANEL: PanelDescriptor<CompareToPage, CompareToHost> = {
  viewType: 'corpusLab.comparePanel',
  script: 'compare.js',
  protocol: compareProtocol,
  waiting: () => vscode.l10n.t('Reading the runs…'),
};

/** New points are sent at most this often: a log read in one go is one message, not thousands. */
const FLUSH_MS = 300;
/** A run that ended is followed this much longer: its last lines may still be on their way. */
const FINAL_LINES_MS = 15_000;

/** What Compare Runs needs of the extension: the jobs, their clusters and the shared log followers. */
export interface CompareHost extends PanelContext {
  readonly clusters: { get(cluster: string): ClusterTransport };
  readonly followers: SharedFollowers;
  readonly job: (tag: string) => JobRecord | undefined;
  /** Fires after each poll: a live run's end (wall time, GPU-hours) is read from its job then. */
  readonly onDidPoll: vscode.Event<unknown>;
}

type Ref = { readonly id: string; readonly study: string };

interface TrackedRun {
  readonly id: string;
  finished?: Run;
  live?: LiveRun;
  /** A live run whose job ended: still followed a little for its last lines, shown as finished. */
  ended: boolean;
  end: Pick<RunFiles, 'wallSeconds' | 'gpuHours'>;
}

function wallSeconds(j: JobRecord): number | undefined {
  return j.end?.elapsedSeconds ?? (j.elapsed ? parseSlurmDuration(j.elapsed) : undefined);
}

/** What the job's end (or squeue) says of a run: wall time, and GPU-hours once it has run. */
function endOf(j: JobRecord): Pick<RunFiles, 'wallSeconds' | 'gpuHours'> {
  return { wallSeconds: wallSeconds(j), gpuHours: j.end || j.elapsed ? jobGpuHours(j) : undefined };
}

function filesOf(j: JobRecord): RunFiles {
  return {
    id: j.tag,
    study: j.study,
    recipe: j.model,
    kind: j.stage === 'sft' ? 'sft' : 'cpt',
    script: j.script,
    log: j.log,
    ...endOf(j),
  };
}

/**
 * The runs' curves overlaid and their summaries. Finished runs are read once; a run still training
 * is followed through the shared followers and its new points are sent as they come (a `points`
 * message per flush, not the whole set). The page keeps which runs it shows, so after a window
 * reload the panel comes back and reads (or follows) them again from the registry.
 */
class ComparePanel implements vscode.Disposable {
  private readonly panel: Panel<CompareToPage, CompareToHost>;
  /** Each run in the order asked: a finished one's points, or the live follow of one training. */
  private runs: TrackedRun[] = [];
  private missing: Ref[] = [];
  private loaded = false;
  private pending = new Map<string, RunPoint[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly endings = new Set<NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly host: CompareHost,
    restored?: vscode.WebviewPanel,
  ) {
    const title = vscode.l10n.t('Compare Runs');
    const handlers = {
      ready: (panel: Panel<CompareToPage, CompareToHost>) => this.sendAll(panel),
      exportCsv: (_m: unknown, panel: Panel<CompareToPage, CompareToHost>) =>
        panel.saveExport('compare-runs', 'csv', toCsv(comparisonTable(this.current()))),
      exportChart: (m: Extract<CompareToHost, { type: 'exportChart' }>, panel: Panel<CompareToPage, CompareToHost>) =>
        panel.saveExport(compareFigureStem(m.metric, m.axis), 'png', decodePngDataUrl(m.dataUrl)),
      exportSvg: (m: Extract<CompareToHost, { type: 'exportSvg' }>, panel: Panel<CompareToPage, CompareToHost>) =>
        panel.saveExport(compareFigureStem(m.metric, m.axis), 'svg', checkSvg(m.svg)),
    };
    if (restored) {
      restored.title = title;
      this.panel = new Panel(restored, COMPARE_PANEL, host, handlers);
    } else this.panel = openPanel(COMPARE_PANEL, host, { title, column: vscode.ViewColumn.Active }, handlers);
    this.panel.onDidDispose(() => this.dispose());
    this.subscriptions.push(host.onDidPoll(() => this.polled()));
  }

  /** Reads the finished runs and starts following the live ones; refs whose job is gone are named on the page. */
  async load(jobs: readonly JobRecord[], missing: readonly Ref[] = []) {
    this.missing = [...missing];
    const runs = await Promise.all(
      jobs.map(async (j): Promise<TrackedRun> => {
        const conn = this.host.clusters.get(j.cluster);
        const files = filesOf(j);
        if (!isActive(j)) return { id: j.tag, finished: await readRun(conn, files), ended: true, end: endOf(j) };
        const live = await LiveRun.start(conn, this.host.followers, j.cluster, files, (points) =>
          this.added(j.tag, points),
        );
        live.on('problem', (e) => void this.panel.post({ type: 'status', text: `${j.model}: ${e.message}` }));
        live.on('state', (s) => {
          if (s === 'following') void this.panel.post({ type: 'status', text: '' });
        });
        return { id: j.tag, live, ended: false, end: endOf(j) };
      }),
    );
    if (this.disposed) {
      for (const r of runs) r.live?.stop();
      return;
    }
    this.runs = runs;
    this.loaded = true;
    this.sendAll(this.panel);
  }

  private current(): Run[] {
    return this.runs.map((r) => (r.live ? r.live.run(r.end) : r.finished!));
  }

  private summaries(runs: readonly Run[]): RunSummary[] {
    return runs.map((r) => summarize(r, runs));
  }

  private liveIds(): string[] {
    return this.runs.filter((r) => r.live && !r.ended).map((r) => r.id);
  }

  /** Everything in one message; what arrives later is sent as `points`. */
  private sendAll(panel: Panel<CompareToPage, CompareToHost>) {
    if (!this.loaded) return;
    this.pending.clear();
    const runs = this.current();
    void panel.post({
      type: 'runs',
      title: this.panel.title,
      runs,
      summaries: this.summaries(runs),
      live: this.liveIds(),
      missing: this.missing,
      strings: compareStrings(),
    });
  }

  private added(id: string, points: RunPoint[]) {
    this.pending.set(id, mergePoints(this.pending.get(id) ?? [], points));
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush() {
    this.timer = undefined;
    if (!this.loaded) return;
    // A long log's history arriving at once is more than a `points` message carries: the whole set then.
    if ([...this.pending.values()].some((p) => p.length > MAX_BATCH)) return this.sendAll(this.panel);
    const runs = this.current();
    const batch = [...this.pending].map(([id, points]) => ({ id, points }));
    this.pending.clear();
    void this.panel.post({ type: 'points', runs: batch, summaries: this.summaries(runs), live: this.liveIds() });
  }

  /** After a poll: each run's end as its job now says; a live run that ended is let go after its last lines. */
  private polled() {
    let changed = false;
    for (const r of this.runs) {
      const j = this.host.job(r.id);
      if (!j) continue;
      const end = endOf(j);
      if (end.wallSeconds !== r.end.wallSeconds || end.gpuHours !== r.end.gpuHours) {
        r.end = end;
        changed = true;
      }
      const live = r.live;
      if (!live || r.ended || isActive(j)) continue;
      // From now on it counts as finished: the page shows it so, and its channel is freed soon.
      r.ended = true;
      changed = true;
      const t = setTimeout(() => {
        this.endings.delete(t);
        r.finished = live.run(r.end);
        r.live = undefined;
        live.stop();
      }, FINAL_LINES_MS);
      this.endings.add(t);
    }
    if (changed) this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  reveal() {
    this.panel.reveal();
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    for (const t of this.endings) clearTimeout(t);
    for (const r of this.runs) r.live?.stop();
    for (const d of this.subscriptions) d.dispose();
    this.panel.dispose();
  }
}

/** Opens Compare Runs on `jobs`: finished ones read once, live ones followed. */
export async function openComparePanel(jobs: readonly JobRecord[], host: CompareHost): Promise<void> {
  const panel = new ComparePanel(host);
  try {
    await panel.load(jobs);
  } catch (e) {
    panel.dispose();
    throw e;
  }
}

/**
 * Brings back the Compare Runs panels that were open before a window reload: each page kept its
 * runs; those still in the registry (after it is loaded) are read or followed again, the others named.
 */
export function registerComparePanels(host: CompareHost, loaded: () => Promise<void>): vscode.Disposable {
  return registerPanelSerializer(COMPARE_PANEL, async (webviewPanel, state) => {
    const refs = compareView.safeParse(state ?? {}).data?.runs ?? [];
    if (refs.length === 0) {
      webviewPanel.dispose();
      return;
    }
    // The page says it is reading the runs while the registry loads.
    const panel = new ComparePanel(host, webviewPanel);
    await loaded();
    const jobs = refs.map((r) => host.job(r.id)).filter((j): j is JobRecord => j !== undefined);
    try {
      await panel.load(
        jobs,
        refs.filter((r) => !host.job(r.id)),
      );
    } catch (e) {
      host.log.error(`Compare Runs: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showErrorMessage(
        vscode.l10n.t('Cannot compare the runs: {0}', e instanceof Error ? e.message : String(e)),
      );
    }
  });
}

/** The page's texts, translated; the type makes a missing one a compile error. */
function compareStrings(): Record<CompareString, string> {
  return {
    'lm loss': vscode.l10n.t('lm loss'),
    'learning rate': vscode.l10n.t('learning rate'),
    'grad norm': vscode.l10n.t('grad norm'),
    'throughput per GPU (TFLOP/s)': vscode.l10n.t('throughput per GPU (TFLOP/s)'),
    iteration: vscode.l10n.t('iteration'),
    'consumed samples': vscode.l10n.t('consumed samples'),
    'consumed tokens': vscode.l10n.t('consumed tokens'),
    'x-axis': vscode.l10n.t('x-axis'),
    Smoothing: vscode.l10n.t('Smoothing'),
    'Log scale for loss': vscode.l10n.t('Log scale for loss'),
    'Export CSV': vscode.l10n.t('Export CSV'),
    'Export PNG': vscode.l10n.t('Export PNG'),
    'Export SVG': vscode.l10n.t('Export SVG'),
    'Light background for exports': vscode.l10n.t('Light background for exports'),
    live: vscode.l10n.t('live'),
    'The job of run {0} (study {1}) is no longer in the job registry: it is not shown.': vscode.l10n.t(
      'The job of run {0} (study {1}) is no longer in the job registry: it is not shown.',
    ),
    run: vscode.l10n.t('run'),
    study: vscode.l10n.t('study'),
    iterations: vscode.l10n.t('iterations'),
    'last loss': vscode.l10n.t('last loss'),
    'best loss (iteration)': vscode.l10n.t('best loss (iteration)'),
    'tokens seen': vscode.l10n.t('tokens seen'),
    'TFLOP/s per GPU': vscode.l10n.t('TFLOP/s per GPU'),
    'wall time': vscode.l10n.t('wall time'),
    'GPU-hours': vscode.l10n.t('GPU-hours'),
    '{0} runs, {1} iterations': vscode.l10n.t('{0} runs, {1} iterations'),
    '{0} points of {1} cannot be placed on this axis (no consumed samples or sequence length)': vscode.l10n.t(
      '{0} points of {1} cannot be placed on this axis (no consumed samples or sequence length)',
    ),
  };
}
