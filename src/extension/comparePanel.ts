import * as vscode from 'vscode';
import { comparisonTable, type Run, summarize } from '../core/logs/runComparison';
import { toCsv } from '../core/report/dataTable';
import { decodePngDataUrl } from '../core/report/exportFile';
import { type CompareString, type CompareToHost, type CompareToPage, compareProtocol } from '../protocol/compare';
import { openPanel, type PanelContext, type PanelDescriptor } from './panelHost';

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
