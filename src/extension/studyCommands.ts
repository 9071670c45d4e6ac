import * as path from 'node:path';
import * as vscode from 'vscode';
import { findStudies } from '../core/study/findStudies';
import { COMMANDS } from './commandIds';
import { workspaceFolder } from './workspaceFolder';

/** The paper's study, shipped with the extension: always offered, workspace or not. */
function embeddedStudy(extensionUri: vscode.Uri): string {
  return vscode.Uri.joinPath(extensionUri, 'examples', 'paper-study').fsPath;
}

/**
 * Shows the study in `dir` in the analysis panels: `corpusLab.study` names it (relative to the
 * workspace folder when inside it, so the setting travels with the workspace), and the score
 * differences open. Changing the setting reloads the panels already open.
 */
export async function showStudyInPanels(dir: string): Promise<void> {
  const folder = workspaceFolder();
  const rel = folder ? path.relative(folder.uri.fsPath, dir) : undefined;
  const inside = rel !== undefined && !rel.startsWith('..') && !path.isAbsolute(rel);
  await vscode.workspace
    .getConfiguration('corpusLab')
    .update(
      'study',
      inside ? rel || '.' : dir,
      folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
    );
  await vscode.commands.executeCommand(COMMANDS.openScoreDifferences);
}

/** Corpus Lab: Choose Study… — every study.yaml of the workspace, and the paper's study. */
export async function chooseStudy(extensionUri: vscode.Uri): Promise<void> {
  const folder = workspaceFolder()?.uri.fsPath;
  const found = folder ? await findStudies(folder) : [];
  const paper = embeddedStudy(extensionUri);
  const items = [
    ...found.map((s) => ({
      label: s.problem ? `$(warning) ${s.name ?? path.basename(s.dir)}` : (s.name ?? path.basename(s.dir)),
      description: vscode.workspace.asRelativePath(s.file),
      detail: s.problem,
      dir: s.dir,
    })),
    {
      label: 'paper-study',
      description: vscode.l10n.t('the paper’s study, embedded in Corpus Lab'),
      detail: undefined,
      dir: paper,
    },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    placeHolder: vscode.l10n.t('The study the analysis panels show'),
    matchOnDescription: true,
  });
  if (pick) await showStudyInPanels(pick.dir);
}
