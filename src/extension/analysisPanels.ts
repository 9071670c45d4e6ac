import * as path from 'node:path';
import * as vscode from 'vscode';
import { STATISTIC_NAMES, type StatisticId } from '../core/analysis/statistics';
import type { StudyModel } from '../core/analysis/study';
import { exportStem, panelTable } from '../core/analysis/views';
import { toCsv, toLatex } from '../core/report/dataTable';
import { decodePngDataUrl, writeExport } from '../core/report/exportFile';
import { figureStem } from '../core/report/figure';
import { sortTable } from '../core/report/sort';
import { withStatisticNames } from '../core/report/statisticNames';
import { checkSvg } from '../core/report/svgCheck';
import {
  type HostMessage,
  type PanelKind,
  parseMessage,
  type WebviewMessage,
  webviewMessage,
} from '../protocol/panels';
import { toStudyPayload } from '../protocol/studyPayload';
import { panelLabels, panelStrings } from './panelStrings';
import { webviewHtml } from './webviewHtml';

const VIEW_TYPES: Record<PanelKind, string> = { scores: 'corpusLab.scores', correlations: 'corpusLab.correlations' };
const SCRIPTS: Record<PanelKind, string> = { scores: 'scores.js', correlations: 'correlations.js' };

export interface PanelHostOptions {
  readonly extensionUri: vscode.Uri;
  /** The study directory the panels show. */
  readonly studyDir: () => Promise<string>;
  /** Where exports go; undefined asks the user. */
  readonly exportDir: () => vscode.Uri | undefined;
  readonly log: vscode.LogOutputChannel;
}

/**
 * Hosts the two analysis panels: one of each at most, restored after a reload, fed from the core
 * study model once their page says `ready`, re-fed when the study's files change.
 */
export class AnalysisPanels implements vscode.Disposable {
  private readonly panels = new Map<PanelKind, vscode.WebviewPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private study: Promise<StudyModel> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedDir: string | undefined;

  constructor(private readonly options: PanelHostOptions) {
    for (const kind of Object.keys(VIEW_TYPES) as PanelKind[]) {
      this.disposables.push(
        vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
          deserializeWebviewPanel: async (panel) => this.attach(kind, panel),
        }),
      );
    }
  }

  title(kind: PanelKind): string {
    return kind === 'scores' ? vscode.l10n.t('Score Differences') : vscode.l10n.t('Partial Correlations');
  }

  open(kind: PanelKind) {
    const existing = this.panels.get(kind);
    if (existing) {
      existing.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPES[kind],
      this.title(kind),
      vscode.ViewColumn.Active,
      this.webviewOptions(),
    );
    this.attach(kind, panel);
  }

  /** Forget the loaded study (settings or files changed) and refresh the open panels. */
  reload() {
    this.study = undefined;
    for (const [kind, panel] of this.panels) void this.sendStudy(kind, panel);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const { extensionUri } = this.options;
    return {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(extensionUri, 'media'),
      ],
    };
  }

  private attach(kind: PanelKind, panel: vscode.WebviewPanel) {
    this.panels.set(kind, panel);
    panel.webview.options = this.webviewOptions();
    panel.iconPath = vscode.Uri.joinPath(this.options.extensionUri, 'media', 'corpus-lab.svg');
    panel.webview.html = webviewHtml(panel.webview, this.options.extensionUri, SCRIPTS[kind], this.title(kind));
    const subscription = panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(kind, panel, raw));
    panel.onDidDispose(() => {
      subscription.dispose();
      if (this.panels.get(kind) === panel) this.panels.delete(kind);
    });
  }

  private async receive(kind: PanelKind, panel: vscode.WebviewPanel, raw: unknown) {
    const parsed = parseMessage(webviewMessage, raw);
    if (!parsed.ok) {
      this.options.log.warn(`ignored an invalid message from the ${kind} panel: ${parsed.error}`);
      return;
    }
    try {
      await this.handlers[parsed.message.type](kind, panel, parsed.message as never);
    } catch (e) {
      const message = (e as Error).message;
      this.options.log.error(`${kind} panel: ${message}`);
      void this.post(panel, { type: 'error', message });
      void vscode.window.showErrorMessage(message);
    }
  }

  /** One handler per message type (GitLens style). */
  private readonly handlers: {
    [K in WebviewMessage['type']]: (
      kind: PanelKind,
      panel: vscode.WebviewPanel,
      m: Extract<WebviewMessage, { type: K }>,
    ) => Promise<void>;
  } = {
    ready: (kind, panel) => this.sendStudy(kind, panel),
    exportTable: async (_kind, panel, m) => {
      const model = await this.loadStudy();
      const strings = panelStrings();
      const computed = withStatisticNames(
        panelTable(toStudyPayload(model), m.table, m.view, panelLabels()),
        (id) => strings[STATISTIC_NAMES[id as StatisticId]] ?? id,
      );
      // The tests table is sorted in the panel by header clicks; the scores table sorts itself.
      const table = m.table === 'tests' ? sortTable(computed, m.view.sortKey, m.view.descending) : computed;
      const text = m.format === 'csv' ? toCsv(table) : toLatex(table);
      await this.saveExport(panel, exportStem(m.table, m.view), m.format === 'csv' ? 'csv' : 'tex', text);
    },
    exportChart: async (_kind, panel, m) => {
      await this.saveExport(panel, figureStem(m.chart, m.view), 'png', decodePngDataUrl(m.dataUrl));
    },
    exportSvg: async (_kind, panel, m) => {
      await this.saveExport(panel, figureStem(m.chart, m.view), 'svg', checkSvg(m.svg));
    },
  };

  private async sendStudy(kind: PanelKind, panel: vscode.WebviewPanel) {
    try {
      const model = await this.loadStudy();
      await this.post(panel, {
        type: 'study',
        panel: kind,
        study: toStudyPayload(model),
        labels: panelLabels(),
        strings: panelStrings(),
      });
    } catch (e) {
      const message = vscode.l10n.t('Cannot open the study: {0}', (e as Error).message);
      this.options.log.error(message);
      await this.post(panel, { type: 'error', message });
    }
  }

  private loadStudy(): Promise<StudyModel> {
    if (!this.study) {
      this.study = this.options.studyDir().then((dir) => {
        this.watch(dir);
        // The analysis (ml-matrix, @stdlib betainc, csv-parse) loads with the first panel, not at start-up.
        return import('../core/analysis/study.js').then((m) => m.loadStudy(dir));
      });
      this.study.catch(() => (this.study = undefined));
    }
    return this.study;
  }

  private watch(dir: string) {
    if (this.watchedDir === dir) return;
    this.watcher?.dispose();
    this.watchedDir = dir;
    this.watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(dir), '*.{csv,yaml}'),
    );
    const changed = () => this.reload();
    this.watcher.onDidChange(changed);
    this.watcher.onDidCreate(changed);
    this.watcher.onDidDelete(changed);
  }

  private async saveExport(panel: vscode.WebviewPanel, stem: string, ext: string, content: string | Uint8Array) {
    let dir = this.options.exportDir()?.fsPath;
    if (!dir) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: vscode.l10n.t('Export here'),
      });
      if (!picked?.[0]) return;
      dir = picked[0].fsPath;
    }
    const file = await writeExport(dir, stem, ext, content);
    this.options.log.info(`exported ${file}`);
    await this.post(panel, { type: 'exported', file: path.basename(file) });
    const open = vscode.l10n.t('Open');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Exported {0}', vscode.workspace.asRelativePath(file)), open)
      .then((choice) => {
        if (choice === open) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file));
      });
  }

  private post(panel: vscode.WebviewPanel, message: HostMessage): Thenable<boolean> {
    return panel.webview.postMessage(message);
  }

  dispose() {
    this.watcher?.dispose();
    for (const p of this.panels.values()) p.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
