import * as vscode from 'vscode';
import { localProfileName, localProfileOffer } from '../core/cluster/localTransport';
import type { ClusterProfile } from '../core/cluster/profile';

const DECLINED = 'corpusLab.localProfileDeclined';

/**
 * In a remote window (Remote-SSH on a login node) where Slurm's `sbatch` is on the path, offers a
 * `local` cluster profile: commands then run here as child processes, with no SSH from the login
 * node to itself. Asked once per machine until accepted or declined for good.
 */
export async function offerLocalProfile(
  profiles: () => readonly ClusterProfile[],
  state: vscode.Memento,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const remote = vscode.env.remoteName;
  const sbatch = await localProfileOffer(remote, profiles(), state.get(DECLINED) === true);
  if (!sbatch) return;
  log.info(`${remote}: Slurm's sbatch is here (${sbatch}); offering a local cluster profile`);
  const add = vscode.l10n.t('Add Local Profile');
  const never = vscode.l10n.t("Don't Ask Again");
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t(
      'Slurm is installed where this workspace is ({0}). Add a cluster profile of kind "local", so that Corpus Lab runs sbatch and squeue here, without SSH?',
      sbatch,
    ),
    add,
    never,
  );
  if (choice === never) await state.update(DECLINED, true);
  if (choice !== add) return;
  const name = localProfileName(profiles());
  const config = vscode.workspace.getConfiguration('corpusLab');
  await config.update(
    'clusters',
    [...(config.get<unknown[]>('clusters') ?? []), { name, kind: 'local' }],
    vscode.ConfigurationTarget.Global,
  );
  void vscode.window.showInformationMessage(vscode.l10n.t('Added the cluster profile "{0}" (kind local).', name));
}
