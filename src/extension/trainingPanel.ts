import * as vscode from 'vscode';
import type { ClusterTransport } from '../core/cluster/transport';
import type { JobRecord } from '../core/jobs/registry';
import { LogFollower } from '../core/logs/logFollower';
import { type IterationMetrics, MegatronMetrics } from '../core/logs/megatronLog';
import { decodePngDataUrl, writeExport } from '../core/report/exportFile';
import { parseMessage } from '../protocol/panels';
import { type TrainingHostMessage, trainingWebviewMessage } from '../protocol/training';
import { webviewHtml } from './webviewHtml';

/** The live loss / throughput chart of one continued-pretraining job: its log followed and parsed as it grows. */
export class TrainingPanel implements vscode.Disposable {
  private readonly metrics = new MegatronMetrics();
  private readonly follower: LogFollower;
  private pending: IterationMetrics[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private jobState: string;
  /** The follower's current failure, shown beside the job's state until it follows again. */
  private trouble: string | undefined;
  private readonly panel: vscode.WebviewPanel;

  constructor(
    job: JobRecord,
    connection: () => ClusterTransport,
    extensionUri: vscode.Uri,
    private readonly exportDir: () => vscode.Uri | undefined,
  ) {
    this.panel = vscode.window.createWebviewPanel(
      'corpusLab.training',
      vscode.l10n.t('Training: {0}', job.model),
      vscode.ViewColumn.Beside,
      {
        enableScripts: true,
        localResourceRoots: [
          vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
          vscode.Uri.joinPath(extensionUri, 'media'),
        ],
      },
    );
    this.panel.webview.html = webviewHtml(
      this.panel.webview,
      extensionUri,
      'training.js',
      vscode.l10n.t('Training: {0}', job.model),
    );
    // From the first byte: a chart of only the last megabyte would miss the start of training.
    this.follower = new LogFollower(connection, job.log, { offset: 0 });
    // A failure is shown and the follower goes on (it resumes at the exact byte once the cluster is back).
    this.jobState = job.state;
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
      this.timer ??= setTimeout(() => this.flush(), 300);
    });
    this.panel.webview.onDidReceiveMessage(async (raw: unknown) => {
      const r = parseMessage(trainingWebviewMessage, raw);
      if (!r.ok) return;
      if (r.message.type === 'ready') {
        this.ready = true;
        this.pending = [];
        void this.post({
          type: 'reset',
          title: job.name,
          state: this.jobState,
          iterations: [...this.metrics.iterations],
          strings: this.strings(),
        });
      } else {
        const dir = this.exportDir();
        if (!dir) return;
        const file = await writeExport(dir.fsPath, `training-${job.model}`, 'png', decodePngDataUrl(r.message.dataUrl));
        void vscode.window.showInformationMessage(vscode.l10n.t('Exported {0}', vscode.workspace.asRelativePath(file)));
      }
    });
    this.panel.onDidDispose(() => this.dispose());
    this.follower.start();
  }

  private strings(): Record<string, string> {
    return {
      'lm loss': vscode.l10n.t('lm loss'),
      'throughput per GPU (TFLOP/s)': vscode.l10n.t('throughput per GPU (TFLOP/s)'),
      'learning rate': vscode.l10n.t('learning rate'),
      iteration: vscode.l10n.t('iteration'),
      'Export PNG': vscode.l10n.t('Export PNG'),
      'Waiting for iterations…': vscode.l10n.t('Waiting for iterations…'),
      '{0} iterations': vscode.l10n.t('{0} iterations'),
    };
  }

  setState(state: string) {
    this.jobState = state;
    this.showState();
  }

  private showState() {
    if (this.ready)
      void this.post({ type: 'state', state: this.trouble ? `${this.jobState} — ${this.trouble}` : this.jobState });
  }

  private flush() {
    this.timer = undefined;
    if (!this.ready || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    void this.post({ type: 'append', iterations: batch });
  }

  private post(m: TrainingHostMessage) {
    return this.panel.webview.postMessage(m);
  }

  reveal() {
    this.panel.reveal();
  }

  readonly onDidDispose = (fn: () => void) => this.panel.onDidDispose(fn);

  dispose() {
    clearTimeout(this.timer);
    this.follower.stop();
  }
}
