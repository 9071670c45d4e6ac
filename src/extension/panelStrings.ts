import * as vscode from 'vscode';
import type { MessageTemplate } from '../core/analysis/messages';
import type { Labels } from '../core/analysis/views';
import type { FigureString } from '../core/report/figure';
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

/**
 * The panels' own control texts, translated; the type makes a missing one a compile error. The
 * statistic names (keys: the English names of STATISTIC_NAMES) are checked by test/unit/l10n.test.ts.
 */
export function panelStrings(): Record<PanelString | FigureString | MessageTemplate, string> & Record<string, string> {
  return {
    ...messageStrings(),
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
    // Figures, sorting and statistic names (issue #15, items 13, 14, 17): FIGURE_STRINGS and STATISTIC_NAMES.
    '{0}: {1} by task': vscode.l10n.t('{0}: {1} by task'),
    'Pearson r': vscode.l10n.t('Pearson r'),
    'partial r': vscode.l10n.t('partial r'),
    'Stars: {0}; * p < 0.05, ** p < 0.01, *** p < 0.001': vscode.l10n.t(
      'Stars: {0}; * p < 0.05, ** p < 0.01, *** p < 0.001',
    ),
    'p (df = n − 2)': vscode.l10n.t('p (df = n − 2)'),
    'p (df = n − 2 − k)': vscode.l10n.t('p (df = n − 2 − k)'),
    'p (permutation, Freedman–Lane)': vscode.l10n.t('p (permutation, Freedman–Lane)'),
    'Task (p)': vscode.l10n.t('Task (p)'),
    'Pearson r of the statistics across corpora': vscode.l10n.t('Pearson r of the statistics across corpora'),
    'Pearson r of the score differences across corpora': vscode.l10n.t(
      'Pearson r of the score differences across corpora',
    ),
    'Average score differences by language': vscode.l10n.t('Average score differences by language'),
    Corpus: vscode.l10n.t('Corpus'),
    'Score difference (after − before)': vscode.l10n.t('Score difference (after − before)'),
    'Export SVG': vscode.l10n.t('Export SVG'),
    'Light background for exports': vscode.l10n.t('Light background for exports'),
    'Sort by {0}': vscode.l10n.t('Sort by {0}'),
    'after − before': vscode.l10n.t('after − before'),
    'after: {0}': vscode.l10n.t('after: {0}'),
    'before ({0}): {1}': vscode.l10n.t('before ({0}): {1}'),
    'Total token count': vscode.l10n.t('Total token count'),
    'Japanese token count': vscode.l10n.t('Japanese token count'),
    'English token count': vscode.l10n.t('English token count'),
    'Parallel token count': vscode.l10n.t('Parallel token count'),
    'Japanese token ratio': vscode.l10n.t('Japanese token ratio'),
    'English token ratio': vscode.l10n.t('English token ratio'),
    'Parallel token ratio': vscode.l10n.t('Parallel token ratio'),
  };
}

/**
 * The analysis's messages (src/core/analysis/messages.ts) as translated templates, keyed by their
 * English: the pages and the exports fill in the arguments. The type makes a missing one a compile error.
 */
function messageStrings(): Record<MessageTemplate, string> {
  return {
    'the score differences of "{task}" do not vary across corpora': vscode.l10n.t(
      'the score differences of "{task}" do not vary across corpora',
    ),
    'the score differences of "{task}" are a linear function of the covariates {covariates}: nothing is left to correlate':
      vscode.l10n.t(
        'the score differences of "{task}" are a linear function of the covariates {covariates}: nothing is left to correlate',
      ),
    'the residuals of "{task}" have no variance': vscode.l10n.t('the residuals of "{task}" have no variance'),
    '{statistic} cannot be its own covariate': vscode.l10n.t('{statistic} cannot be its own covariate'),
    'covariate {covariate} is listed twice for {statistic}': vscode.l10n.t(
      'covariate {covariate} is listed twice for {statistic}',
    ),
    'too few corpora: n = {n} with {k} covariates leaves n − 2 − k = {df} degrees of freedom': vscode.l10n.t(
      'too few corpora: n = {n} with {k} covariates leaves n − 2 − k = {df} degrees of freedom',
    ),
    '{statistic} does not vary across the corpora': vscode.l10n.t('{statistic} does not vary across the corpora'),
    'covariate {covariate} does not vary across the corpora': vscode.l10n.t(
      'covariate {covariate} does not vary across the corpora',
    ),
    'the covariates of {statistic} are collinear: {covariate} is a linear function of {others} (rank-deficient design)':
      vscode.l10n.t(
        'the covariates of {statistic} are collinear: {covariate} is a linear function of {others} (rank-deficient design)',
      ),
    '{statistic} is a linear function of its covariates {covariates} (e.g. total = Japanese + English + parallel): its partial correlation is undefined':
      vscode.l10n.t(
        '{statistic} is a linear function of its covariates {covariates} (e.g. total = Japanese + English + parallel): its partial correlation is undefined',
      ),
    'the covariates of {statistic} are collinear within the printed precision of {file}: {covariate} is a linear function of {others} up to the rounding of the table':
      vscode.l10n.t(
        'the covariates of {statistic} are collinear within the printed precision of {file}: {covariate} is a linear function of {others} up to the rounding of the table',
      ),
    "{statistic} is determined by its covariates {covariates} within the printed precision of {file} (each cell ± half its last digit): its partial correlation would measure the table's rounding":
      vscode.l10n.t(
        "{statistic} is determined by its covariates {covariates} within the printed precision of {file} (each cell ± half its last digit): its partial correlation would measure the table's rounding",
      ),
    '{statistic} is nearly collinear with its covariates {covariates} (VIF = {vif}): its partial correlations are unstable':
      vscode.l10n.t(
        '{statistic} is nearly collinear with its covariates {covariates} (VIF = {vif}): its partial correlations are unstable',
      ),
    'no 95 % confidence interval: Fisher z needs n − 3 − k > 0, here {n} − 3 − {k} = {df}': vscode.l10n.t(
      'no 95 % confidence interval: Fisher z needs n − 3 − k > 0, here {n} − 3 − {k} = {df}',
    ),
    '{file}: corpus "{corpus}", {column} = {value} differs from japanese + english + parallel = {sum} by more than the printed precision allows (±{room})':
      vscode.l10n.t(
        '{file}: corpus "{corpus}", {column} = {value} differs from japanese + english + parallel = {sum} by more than the printed precision allows (±{room})',
      ),
    '{file}: corpus "{corpus}", {column} = {value} does not match 100 × {count} / {total} = {expected} within the printed precision (±{room})':
      vscode.l10n.t(
        '{file}: corpus "{corpus}", {column} = {value} does not match 100 × {count} / {total} = {expected} within the printed precision (±{room})',
      ),
    'same test as {original}: counted once in family {family}': vscode.l10n.t(
      'same test as {original}: counted once in family {family}',
    ),
    'same test as {original} (negated): counted once in family {family}': vscode.l10n.t(
      'same test as {original} (negated): counted once in family {family}',
    ),
    undefined: vscode.l10n.t('undefined'),
    'score differences from {file}': vscode.l10n.t('score differences from {file}'),
    'results in {folder}: {shots}-shot, {aggregation} over templates, MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"':
      vscode.l10n.t(
        'results in {folder}: {shots}-shot, {aggregation} over templates, MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
      ),
    'results in this folder: {shots}-shot, {aggregation} over templates, MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"':
      vscode.l10n.t(
        'results in this folder: {shots}-shot, {aggregation} over templates, MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
      ),
    'results in {folder}: {shots}-shot, template "{template}", MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"':
      vscode.l10n.t(
        'results in {folder}: {shots}-shot, template "{template}", MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
      ),
    'results in this folder: {shots}-shot, template "{template}", MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"':
      vscode.l10n.t(
        'results in this folder: {shots}-shot, template "{template}", MCQA/DC metric {metric}, MT BLEU ÷ 100; differences = each corpus − "{base}"',
      ),
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
