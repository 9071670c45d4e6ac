import * as vscode from 'vscode';
import { isStatisticId, STATISTIC_NAMES } from '../core/analysis/statistics';
import { exportStem, panelTable } from '../core/analysis/views';
import { toCsv, toLatex } from '../core/report/dataTable';
import { decodePngDataUrl } from '../core/report/exportFile';
import { figureStem } from '../core/report/figure';
import { sortTable } from '../core/report/sort';
import { withStatisticNames } from '../core/report/statisticNames';
import { checkSvg } from '../core/report/svgCheck';
import type { StudyModel } from '../core/study/loadStudy';
import {
  type AnalysisToHost,
  type AnalysisToPage,
  analysisProtocol,
  PANEL_KINDS,
  type PanelKind,
} from '../protocol/panels';
import { toStudyPayload } from '../protocol/studyPayload';
import {
  openPanel,
  Panel,
  type PanelContext,
  type PanelDescriptor,
  type PanelHandlers,
  registerPanelSerializer,
} from './panelHost';
import { panelLabels, panelStrings } from './panelStrings';

type AnalysisPanel = Panel<AnalysisToPage, AnalysisToHost>;

/** The two analysis panels: the same protocol and host, one page script each. */
const DESCRIPTORS: Record<PanelKind, PanelDescriptor<AnalysisToPage, AnalysisToHost>> = {
  scores: {
    viewType: 'corpusLab.scores',
    script: 'scores.js',
    protocol: analysisProtocol,
    waiting: () => vscode.l10n.t('Waiting for the study…'),
  },
  correlations: {
    viewType: 'corpusLab.correlations',
    script: 'correlations.js',
    protocol: analysisProtocol,
    waiting: () => vscode.l10n.t('Waiting for the study…'),
  },
};

export interface AnalysisPanelsOptions extends PanelContext {
  /** The study directory the panels show. */
  readonly studyDir: () => Promise<string>;
}

/**
 * The two analysis panels: one of each at most, restored after a reload, fed from the core study
 * model once their page says `ready`, re-fed when the study's files change.
 */
export class AnalysisPanels implements vscode.Disposable {
  private readonly panels = new Map<PanelKind, AnalysisPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private study: Promise<StudyModel> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedDir: string | undefined;

  constructor(private readonly options: AnalysisPanelsOptions) {
    for (const kind of PANEL_KINDS) {
      this.disposables.push(
        registerPanelSerializer(DESCRIPTORS[kind], (webviewPanel) => {
          // The page restores its own view from its saved state; the host only needs to attach.
          webviewPanel.title = this.title(kind);
          this.track(kind, new Panel(webviewPanel, DESCRIPTORS[kind], this.options, this.handlers(kind)));
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
    const panel = openPanel(
      DESCRIPTORS[kind],
      this.options,
      { title: this.title(kind), column: vscode.ViewColumn.Active },
      this.handlers(kind),
    );
    this.track(kind, panel);
  }

  /** Forget the loaded study (settings or files changed) and refresh the open panels. */
  reload() {
    this.study = undefined;
    for (const [kind, panel] of this.panels) void this.sendStudy(kind, panel);
  }

  private track(kind: PanelKind, panel: AnalysisPanel) {
    this.panels.set(kind, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(kind) === panel) this.panels.delete(kind);
    });
  }

  /** One handler per message type (GitLens style). */
  private handlers(kind: PanelKind): PanelHandlers<AnalysisToPage, AnalysisToHost> {
    return {
      ready: (panel) => this.sendStudy(kind, panel),
      exportTable: async (m, panel) => {
        const model = await this.loadStudy();
        const strings = panelStrings();
        const computed = withStatisticNames(
          panelTable(toStudyPayload(model), m.table, m.view, panelLabels(), strings),
          (id) => (isStatisticId(id) ? (strings[STATISTIC_NAMES[id]] ?? id) : id),
        );
        // The tests table is sorted in the panel by header clicks; the scores table sorts itself.
        const table = m.table === 'tests' ? sortTable(computed, m.view.sortKey, m.view.descending) : computed;
        const text = m.format === 'csv' ? toCsv(table) : toLatex(table);
        await panel.saveExport(exportStem(m.table, m.view), m.format === 'csv' ? 'csv' : 'tex', text);
      },
      exportChart: async (m, panel) => {
        await panel.saveExport(figureStem(m.chart, m.view), 'png', decodePngDataUrl(m.dataUrl));
      },
      exportSvg: async (m, panel) => {
        await panel.saveExport(figureStem(m.chart, m.view), 'svg', checkSvg(m.svg));
      },
    };
  }

  private async sendStudy(kind: PanelKind, panel: AnalysisPanel) {
    try {
      const model = await this.loadStudy();
      await panel.post({
        type: 'study',
        panel: kind,
        study: toStudyPayload(model),
        labels: panelLabels(),
        strings: panelStrings(),
      });
    } catch (e) {
      await panel.showError(vscode.l10n.t('Cannot open the study: {0}', e instanceof Error ? e.message : String(e)));
    }
  }

  private loadStudy(): Promise<StudyModel> {
    if (!this.study) {
      this.study = this.options.studyDir().then((dir) => {
        this.watch(dir);
        // The analysis (ml-matrix, @stdlib betainc, csv-parse) loads with the first panel, not at start-up.
        return import('../core/study/loadStudy.js').then((m) => m.loadStudy(dir));
      });
      this.study.catch(() => {
        this.study = undefined;
      });
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

  dispose() {
    this.watcher?.dispose();
    for (const p of this.panels.values()) p.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
