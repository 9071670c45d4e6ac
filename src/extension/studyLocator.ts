import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * The study the panels open: the `corpusLab.study` setting (relative to the first workspace
 * folder), else the first folder in the workspace holding score differences or results, else the
 * paper's study embedded in the extension — so every panel works with no cluster and no workspace.
 */
export async function locateStudy(setting: string, extensionUri: vscode.Uri): Promise<string> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (setting) return path.isAbsolute(setting) || !folder ? setting : path.join(folder.uri.fsPath, setting);
  const found = await vscode.workspace.findFiles('**/{score-differences.csv,results-after.csv}', '**/node_modules/**', 20);
  if (found.length > 0) {
    // Shallowest first, so a study at the root wins over copies in sub-folders.
    found.sort((a, b) => a.fsPath.split(path.sep).length - b.fsPath.split(path.sep).length || a.fsPath.localeCompare(b.fsPath));
    return path.dirname(found[0].fsPath);
  }
  return vscode.Uri.joinPath(extensionUri, 'examples', 'paper-study').fsPath;
}
