import * as vscode from 'vscode';
import type { Labels } from '../core/analysis/views';
import type { PanelString } from '../protocol/panels';
import type { TrainingString } from '../protocol/training';

/** Labels of the tables (also used in exports), translated. Written out so the l10n check sees each. */
export function panelLabels(): Labels {
  return {
    task: vscode.l10n.t('Task'),
    language: vscode.l10n.t('Language'),
    category: vscode.l10n.t('Category'),
    statistic: vscode.l10n.t('Statistic'),
    covariates: vscode.l10n.t('Covariates'),
    group: vscode.l10n.t('Group'),
    corpus: vscode.l10n.t('Corpus'),
    r: 'r',
    ciLow: vscode.l10n.t('95 % CI low'),
    ciHigh: vscode.l10n.t('95 % CI high'),
    p: vscode.l10n.t('p (df = n − 2)'),
    pCorrected: vscode.l10n.t('p (df = n − 2 − k)'),
    pPermutation: vscode.l10n.t('p (permutation)'),
    q: vscode.l10n.t('q (BH)'),
    holm: vscode.l10n.t('p (Holm)'),
    note: vscode.l10n.t('Note'),
    scoreTitle: vscode.l10n.t('Score differences (after − before continued pretraining)'),
    averagesTitle: vscode.l10n.t('Average score differences'),
    tableOneTitle: vscode.l10n.t('Average scores after continued pretraining and SFT (Table 1)'),
    testsTitle: vscode.l10n.t('Correlation tests'),
    japaneseTasks: vscode.l10n.t('Japanese tasks'),
    englishTasks: vscode.l10n.t('English tasks'),
    regular: vscode.l10n.t('regular'),
    partial: vscode.l10n.t('partial'),
  };
}

/** The panels' own control texts, translated; the type makes a missing one a compile error. */
export function panelStrings(): Record<PanelString, string> {
  return {
    'Score differences': vscode.l10n.t('Score differences'),
    'Partial correlations': vscode.l10n.t('Partial correlations'),
    'Source: {0}': vscode.l10n.t('Source: {0}'),
    'Group by language and category': vscode.l10n.t('Group by language and category'),
    'Export CSV': vscode.l10n.t('Export CSV'),
    'Export LaTeX': vscode.l10n.t('Export LaTeX'),
    'Export PNG': vscode.l10n.t('Export PNG'),
    'Averages by language': vscode.l10n.t('Averages by language'),
    Statistic: vscode.l10n.t('Statistic'),
    Correlation: vscode.l10n.t('Correlation'),
    regular: vscode.l10n.t('regular'),
    partial: vscode.l10n.t('partial'),
    'p-value for stars': vscode.l10n.t('p-value for stars'),
    "paper's (df = n − 2)": vscode.l10n.t("paper's (df = n − 2)"),
    'corrected (df = n − 2 − k)': vscode.l10n.t('corrected (df = n − 2 − k)'),
    permutation: vscode.l10n.t('permutation'),
    'All statistics in the table': vscode.l10n.t('All statistics in the table'),
    'Controlled for: {0}': vscode.l10n.t('Controlled for: {0}'),
    none: vscode.l10n.t('none'),
    'Not defined for: {0}': vscode.l10n.t('Not defined for: {0}'),
    'Correlations among the compositional statistics': vscode.l10n.t('Correlations among the compositional statistics'),
    'Correlations among the tasks': vscode.l10n.t('Correlations among the tasks'),
    'Saved {0}': vscode.l10n.t('Saved {0}'),
    '{0} corpora, {1} tasks': vscode.l10n.t('{0} corpora, {1} tasks'),
    'Permutation p-values (Freedman–Lane): exhaustive over all {0} orderings': vscode.l10n.t(
      'Permutation p-values (Freedman–Lane): exhaustive over all {0} orderings',
    ),
    'Permutation p-values (Freedman–Lane): Monte Carlo, {0} orderings per test, seed {1}': vscode.l10n.t(
      'Permutation p-values (Freedman–Lane): Monte Carlo, {0} orderings per test, seed {1}',
    ),
    'Multiple testing: BH q and Holm p within one family per statistic ({0} tests here)': vscode.l10n.t(
      'Multiple testing: BH q and Holm p within one family per statistic ({0} tests here)',
    ),
    'Multiple testing: BH q and Holm p within one family of all tests ({0} tests, {1} duplicates counted once)':
      vscode.l10n.t(
        'Multiple testing: BH q and Holm p within one family of all tests ({0} tests, {1} duplicates counted once)',
      ),
    'Waiting for the study…': vscode.l10n.t('Waiting for the study…'),
    'Partial correlations are not available for this statistic: {0}': vscode.l10n.t(
      'Partial correlations are not available for this statistic: {0}',
    ),
    'r = {0}, 95 % CI [{1}, {2}], p = {3}': vscode.l10n.t('r = {0}, 95 % CI [{1}, {2}], p = {3}'),
    'r = {0}, 95 % CI undefined, p = {1}': vscode.l10n.t('r = {0}, 95 % CI undefined, p = {1}'),
    Warnings: vscode.l10n.t('Warnings'),
  };
}

/** The training chart's texts, translated; the type makes a missing one a compile error. */
export function trainingStrings(): Record<TrainingString, string> {
  return {
    'lm loss': vscode.l10n.t('lm loss'),
    'grad norm': vscode.l10n.t('grad norm'),
    'throughput per GPU (TFLOP/s)': vscode.l10n.t('throughput per GPU (TFLOP/s)'),
    'learning rate': vscode.l10n.t('learning rate'),
    iteration: vscode.l10n.t('iteration'),
    Smoothing: vscode.l10n.t('Smoothing'),
    'Log scale for loss': vscode.l10n.t('Log scale for loss'),
    'Export PNG': vscode.l10n.t('Export PNG'),
    'Waiting for iterations…': vscode.l10n.t('Waiting for iterations…'),
    '{0} iterations': vscode.l10n.t('{0} iterations'),
  };
}
