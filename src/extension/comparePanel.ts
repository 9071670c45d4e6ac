import * as vscode from 'vscode';
import { comparisonTable, type Run, summarize } from '../core/logs/runComparison';
import { toCsv } from '../core/report/dataTable';
import { decodePngDataUrl } from '../core/report/exportFile';
import { type CompareToHost, type CompareToPage, compareProtocol } from '../protocol/compare';
import { openPanel, type PanelContext, type PanelDescriptor } from './panelHost';
import { compareStrings } from './panelStrings';

const COMPARE_PANEL: PanelDescriptor<CompareToPage, CompareToHost> = {
  viewType: 'corpusLab.comparePanel',
  script: 'compare.js',
  protocol: compareProtocol,
  waiting: () => vscode.l10n.t('Reading the runs…'),
};

/**
 * The runs' curves overlaid and their summaries, from logs read once: the panel is not restored
 * after a reload (reading every log again over SFTP is the command's job, not a restore's).
 */
export function openComparePanel(runs: readonly Run[], context: PanelContext) {
  const title = vscode.l10n.t('Compare Runs');
  const summaries = runs.map((r) => summarize(r, runs));
  return openPanel(
    COMPARE_PANEL,
    context,
    { title, column: vscode.ViewColumn.Active },
    {
      ready: (panel) => {
        void panel.post({ type: 'runs', title, runs: [...runs], summaries, strings: compareStrings() });
      },
      exportCsv: (_m, panel) => panel.saveExport('compare-runs', 'csv', toCsv(comparisonTable(runs))),
      exportChart: (m, panel) => panel.saveExport('compare-runs', 'png', decodePngDataUrl(m.dataUrl)),
    },
  );
}
