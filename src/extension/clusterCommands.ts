import * as vscode from 'vscode';
import { countDatasetsOnCluster } from '../core/cluster/recipeCounts';
import type { ClusterManager } from './clusterManager';
import { COMMANDS } from './commandIds';
import { type CommandRegistry, explained } from './commands';
import type { RecipeWorkspace } from './recipeWorkspace';

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
            { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Connecting to {0}…', picked) },
            async () => {
              // The user asks: a failure that waited for them is lifted, and no backoff is waited out.
              await connection.retry();
              return (await connection.exec(['hostname'])).stdout.trim();
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
      const { counts, problems } = await explained(
        (m) => vscode.l10n.t('Cannot count tokens on {0}: {1}', picked, m),
        () =>
          vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: vscode.l10n.t('Counting {0} datasets on {1}…', datasets.length, picked),
            },
            () => countDatasetsOnCluster(clusters.get(picked), datasets),
          ),
      );
      await recipes.setRemoteCounts(counts);
      if (problems.length)
        void vscode.window.showWarningMessage(
          vscode.l10n.t(
            '{0} of {1} datasets could not be counted; see the Problems panel.',
            problems.length,
            datasets.length,
          ),
        );
      else
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Counted {0} datasets on {1}.', datasets.length, picked),
        );
    }),
  ];
}
