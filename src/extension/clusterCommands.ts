import * as vscode from 'vscode';
import { abortable } from '../core/cancellation';
import { countDatasetsOnCluster } from '../core/recipe/recipeCounts';
import { abortSignalOf } from './cancellation';
import type { ClusterManager } from './clusterManager';
import { COMMANDS } from './commandIds';
import { type CommandRegistry, explained } from './commands';
import type { RecipeWorkspace } from './recipeWorkspace';

/** Datasets named in the notification; the Problems panel names every one. */
const MAX_NAMED_PROBLEMS = 3;

export function registerClusterCommands(
  commands: CommandRegistry,
  clusters: ClusterManager,
  recipes: RecipeWorkspace,
  settings: () => { dataCluster: string; dataRoot: string },
): vscode.Disposable[] {
  return [
    commands.register(COMMANDS.connectCluster, async (name?: string) => {
      const picked = await clusters.pick(name);
      if (!picked) return;
      const connection = clusters.get(picked);
      const host = await explained(
        (m) => vscode.l10n.t('Cannot connect to {0}: {1}', picked, m),
        () =>
          vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: vscode.l10n.t('Connecting to {0}…', picked),
              cancellable: true,
            },
            async (_, token) => {
              const signal = abortSignalOf(token);
              // The user asks: a failure that waited for them is lifted, and no backoff is waited out.
              // Cancelled, the command stops waiting; the shared connection's attempt ends on its own deadline.
              await abortable(connection.retry(), signal);
              return (await connection.exec(['hostname'], { signal })).stdout.trim();
            },
          ),
      );
      void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0} ({1}).', picked, host));
    }),
    commands.register(COMMANDS.disconnectCluster, async (name?: string) => {
      const picked = await clusters.pick(name);
      if (picked) clusters.disconnect(picked);
    }),
    commands.register(COMMANDS.countTokensOnCluster, async () => {
      const { dataCluster, dataRoot } = settings();
      const picked = await clusters.pick(dataCluster);
      if (!picked) return;
      const datasets = await recipes.remoteDatasets(dataRoot);
      if (datasets.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No recipe names a megatron: dataset.'));
        return;
      }
      const { counts, problems, reused } = await explained(
        (m) => vscode.l10n.t('Cannot count tokens on {0}: {1}', picked, m),
        () =>
          vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: vscode.l10n.t('Counting {0} datasets on {1}…', datasets.length, picked),
              cancellable: true,
            },
            async (_, token) =>
              countDatasetsOnCluster(clusters.get(picked), datasets, {
                cache: await recipes.countCache(),
                signal: abortSignalOf(token),
              }),
          ),
      );
      await recipes.setRemoteCounts(counts);
      if (problems.length)
        void vscode.window.showWarningMessage(
          vscode.l10n.t(
            '{0} of {1} datasets could not be counted: {2}. Each is named at its megatron: line in the Problems panel.',
            problems.length,
            datasets.length,
            problems.slice(0, MAX_NAMED_PROBLEMS).join('; ') + (problems.length > MAX_NAMED_PROBLEMS ? '; …' : ''),
          ),
        );
      else
        void vscode.window.showInformationMessage(
          vscode.l10n.t(
            'Counted {0} datasets on {1} ({2} unchanged since their last count).',
            datasets.length,
            picked,
            reused.length,
          ),
        );
    }),
  ];
}
