import * as vscode from 'vscode';
import type { JobRecord } from '../core/jobs/registry';
import type { IterationMetrics } from '../core/logs/iterationMetrics';
import { MegatronMetrics } from '../core/logs/megatronLog';
import type { FollowView, SharedFollowers } from '../core/logs/sharedFollowers';
import { decodePngDataUrl } from '../core/report/exportFile';
import {
  appendMessages,
  type TrainingToHost,
  type TrainingToPage,
  trainingProtocol,
  trainingView,
} from '../protocol/training';
import {
  openPanel,
  Panel,
  type PanelContext,
  type PanelDescriptor,
  type PanelHandlers,
  registerPanelSerializer,
} from './panelHost';
import { trainingStrings } from './panelStrings';

const TRAINING_PANEL: PanelDescriptor<TrainingToPage, TrainingToHost> = {
  viewType: 'corpusLab.training',
  script: 'training.js',
  protocol: trainingProtocol,
  waiting: () => vscode.l10n.t('Waiting for iterations…'),
};

/** New iterations are sent at most this often: a log read in one go is one message, not thousands. */
const FLUSH_MS = 300;

/** The live chart of one continued-pretraining job: its log followed and parsed as it grows. */
export class TrainingPanel implements vscode.Disposable {
  private readonly metrics = new MegatronMetrics();
  private readonly follower: FollowView;
  private pending: IterationMetrics[] = [];
  private timer: NodeJS.Timeout | undefined;
  private jobState: string;
  /** The follower's current failure, shown beside the job's state until it follows again. */
  private trouble: string | undefined;
  private readonly panel: Panel<TrainingToPage, TrainingToHost>;
  private disposed = false;

  /** A new chart, or (restored) one VS Code brought back after a reload. */
  constructor(job: JobRecord, followers: SharedFollowers, context: PanelContext, restored?: vscode.WebviewPanel) {
    this.jobState = job.state;
    const title = vscode.l10n.t('Training: {0}', job.model);
    const handlers: PanelHandlers<TrainingToPage, TrainingToHost> = {
      ready: (panel) => {
        // Everything so far in one message; what arrives later is appended.
        this.pending = [];
        void panel.post({
          type: 'reset',
          job: job.tag,
          title: job.name,
          state: this.stateText(),
          iterations: [...this.metrics.iterations],
          strings: trainingStrings(),
        });
      },
      exportChart: (m, panel) => panel.saveExport(`training-${job.model}`, 'png', decodePngDataUrl(m.dataUrl)),
    };
    if (restored) {
      restored.title = title;
      this.panel = new Panel(restored, TRAINING_PANEL, context, handlers);
    } else this.panel = openPanel(TRAINING_PANEL, context, { title, column: vscode.ViewColumn.Beside }, handlers);
    // From the first byte: a chart of only the last megabyte would miss the start of training.
    this.follower = followers.follow(job.cluster, job.log, 'all');
    // A failure is shown and the follower goes on (it resumes at the exact byte once the cluster is back).
    this.follower.on('problem', (e: Error) => {
      this.trouble = e.message;
      this.showState();
    });
    this.follower.on('state', (s: string) => {
      if (s !== 'following' || !this.trouble) return;
      this.trouble = undefined;
      this.showState();
    });
    this.follower.on('lines', (lines: string[]) => {
      this.pending.push(...this.metrics.add(lines));
      this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
    });
    this.panel.onDidDispose(() => this.dispose());
  }

  setState(state: string) {
    this.jobState = state;
    this.showState();
  }

  private stateText(): string {
    return this.trouble ? `${this.jobState} — ${this.trouble}` : this.jobState;
  }

  private showState() {
    void this.panel.post({ type: 'state', state: this.stateText() });
  }

  private flush() {
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const message of appendMessages(batch)) void this.panel.post(message);
  }

  reveal() {
    this.panel.reveal();
  }

  readonly onDidDispose = (fn: () => void) => this.panel.onDidDispose(fn);

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.follower.stop();
    this.panel.dispose();
  }
}

/**
 * Brings back the training charts that were open before a window reload: each page kept its job's
 * tag; `find` gives that job and its cluster (after the registry is loaded), else the chart closes.
 */
export function registerTrainingCharts(
  context: PanelContext,
  find: (tag: string) => Promise<{ job: JobRecord; followers: SharedFollowers } | undefined>,
  opened: (tag: string, chart: TrainingPanel) => void,
): vscode.Disposable {
  return registerPanelSerializer(TRAINING_PANEL, async (webviewPanel, state) => {
    const tag = trainingView.safeParse(state ?? {}).data?.job;
    const found = tag === undefined ? undefined : await find(tag);
    if (!tag || !found) {
      webviewPanel.dispose();
      return;
    }
    opened(tag, new TrainingPanel(found.job, found.followers, context, webviewPanel));
  });
}
