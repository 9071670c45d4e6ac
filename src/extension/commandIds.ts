/**
 * Every command the extension contributes, declared once. No 'vscode' import: the unit tests check
 * these against package.json's contributes.commands, both ways.
 */
export const COMMANDS = {
  showStatistics: 'corpusLab.showStatistics',
  copyBlend: 'corpusLab.copyBlend',
  compareWithParent: 'corpusLab.compareWithParent',
  compareWith: 'corpusLab.compareWith',
  openScoreDifferences: 'corpusLab.openScoreDifferences',
  openCorrelations: 'corpusLab.openCorrelations',
  connectCluster: 'corpusLab.connectCluster',
  disconnectCluster: 'corpusLab.disconnectCluster',
  countTokensOnCluster: 'corpusLab.countTokensOnCluster',
  inspectDataset: 'corpusLab.inspectDataset',
  launchStudy: 'corpusLab.launchStudy',
  refreshJobs: 'corpusLab.refreshJobs',
  refreshCluster: 'corpusLab.refreshCluster',
  compareRuns: 'corpusLab.compareRuns',
  cancelJob: 'corpusLab.cancelJob',
  cancelStudy: 'corpusLab.cancelStudy',
  resubmitJob: 'corpusLab.resubmitJob',
  openJobLog: 'corpusLab.openJobLog',
  revealJobScript: 'corpusLab.revealJobScript',
  openTrainingChart: 'corpusLab.openTrainingChart',
  fetchResults: 'corpusLab.fetchResults',
  validateStudy: 'corpusLab.validateStudy',
  chooseStudy: 'corpusLab.chooseStudy',
} as const satisfies Record<string, `corpusLab.${string}`>;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
