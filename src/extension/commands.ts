import * as vscode from 'vscode';
import { isCancelled } from '../core/cancellation';
import { errorMessage } from '../core/errors';
import { COMMANDS, type CommandId } from './commandIds';

/** What each command says when it fails: its purpose in the user's words, then why. */
const FAILURES: Record<CommandId, (message: string) => string> = {
  [COMMANDS.showStatistics]: (m) => vscode.l10n.t('Cannot show the statistics: {0}', m),
  [COMMANDS.copyBlend]: (m) => vscode.l10n.t('Cannot copy the blend: {0}', m),
  [COMMANDS.compareWithParent]: (m) => vscode.l10n.t('Cannot compare the recipes: {0}', m),
  [COMMANDS.compareWith]: (m) => vscode.l10n.t('Cannot compare the recipes: {0}', m),
  [COMMANDS.openScoreDifferences]: (m) => vscode.l10n.t('Cannot open the study: {0}', m),
  [COMMANDS.openCorrelations]: (m) => vscode.l10n.t('Cannot open the study: {0}', m),
  [COMMANDS.chooseStudy]: (m) => vscode.l10n.t('Cannot open the study: {0}', m),
  [COMMANDS.connectCluster]: (m) => vscode.l10n.t('Cannot connect: {0}', m),
  [COMMANDS.disconnectCluster]: (m) => vscode.l10n.t('Cannot disconnect: {0}', m),
  [COMMANDS.countTokensOnCluster]: (m) => vscode.l10n.t('Cannot count tokens: {0}', m),
  [COMMANDS.inspectDataset]: (m) => vscode.l10n.t('Cannot inspect the dataset: {0}', m),
  [COMMANDS.launchStudy]: (m) => vscode.l10n.t('The study was not fully submitted: {0}', m),
  [COMMANDS.refreshJobs]: (m) => vscode.l10n.t('Cannot refresh the jobs: {0}', m),
  [COMMANDS.refreshCluster]: (m) => vscode.l10n.t('Cannot read the cluster: {0}', m),
  [COMMANDS.compareRuns]: (m) => vscode.l10n.t('Cannot compare the runs: {0}', m),
  [COMMANDS.validateStudy]: (m) => vscode.l10n.t('Cannot validate the study: {0}', m),
  [COMMANDS.fetchResults]: (m) => vscode.l10n.t('Cannot fetch results: {0}', m),
  [COMMANDS.cancelJob]: (m) => vscode.l10n.t('Cannot cancel the job: {0}', m),
  [COMMANDS.cancelStudy]: (m) => vscode.l10n.t('Cannot cancel the study: {0}', m),
  [COMMANDS.resubmitJob]: (m) => vscode.l10n.t('Cannot resubmit the job: {0}', m),
  [COMMANDS.openJobLog]: (m) => vscode.l10n.t('Cannot open the log: {0}', m),
  [COMMANDS.revealJobScript]: (m) => vscode.l10n.t('Cannot show the job script: {0}', m),
  [COMMANDS.openTrainingChart]: (m) => vscode.l10n.t('Cannot open the training chart: {0}', m),
};

/** A failure whose text already says what failed and where: the guard shows it as it is. */
class ExplainedError extends Error {}

/**
 * Runs `work`; a failure is re-thrown worded by `describe` (which knows what the command was
 * doing: the cluster, the source), for the command's guard to show. A cancellation passes as is.
 */
export async function explained<T>(describe: (message: string) => string, work: () => PromiseLike<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isCancelled(e) || e instanceof ExplainedError) throw e;
    throw new ExplainedError(describe(errorMessage(e)), { cause: e });
  }
}

/**
 * Registers commands behind one guard: whatever a command throws is logged with the command's id
 * and shown once, in the command's own words (FAILURES); a cancellation is said as such, not as an error.
 */
export class CommandRegistry {
  constructor(private readonly log: vscode.LogOutputChannel) {}

  register<A extends unknown[]>(id: CommandId, run: (...args: A) => unknown): vscode.Disposable {
    return vscode.commands.registerCommand(id, async (...args: A) => {
      try {
        return await run(...args);
      } catch (e) {
        if (isCancelled(e)) {
          this.log.info(`${id}: cancelled`);
          void vscode.window.showInformationMessage(FAILURES[id](vscode.l10n.t('cancelled')));
          return undefined;
        }
        const shown = e instanceof ExplainedError ? e.message : FAILURES[id](errorMessage(e));
        this.log.error(`${id}: ${shown}`);
        void vscode.window.showErrorMessage(shown);
        return undefined;
      }
    });
  }
}
