import * as path from 'node:path';
import * as vscode from 'vscode';
import { studyDirOf } from '../core/study/findStudies';
import { workspaceFolder } from './workspaceFolder';

/**
 * The study the panels open: the `corpusLab.study` setting (a study folder or its study.yaml,
 * relative to the first workspace folder), else the first folder in the workspace holding score differences or results, else the
 * paper's study embedded in the extension. A folder with study.yaml is preferred — so every panel works with no cluster and no workspace.
 */
export async function locateStudy(setting: string, extensionUri: vscode.Uri): Promise<string> {
  const folder = workspaceFolder();
  if (setting) return studyDirOf(setting, folder?.uri.fsPath);
  const found = await vscode.workspace.findFiles(
    '**/{study.yaml,score-differences.csv,results-after.csv}',
    '**/{node_modules,.test-run}/**',
    50,
  );
  if (found.length > 0) {
    // Shallowest first, so a study at the root wins over copies in sub-folders.
    // A study.yaml first, then the shallowest, so a study at the root wins over copies in sub-folders.
    const rank = (u: vscode.Uri) => (u.fsPath.endsWith('study.yaml') ? 0 : 1);
    found.sort(
      (a, b) =>
        rank(a) - rank(b) ||
        a.fsPath.split(path.sep).length - b.fsPath.split(path.sep).length ||
        a.fsPath.localeCompare(b.fsPath),
    );
    return path.dirname(found[0].fsPath);
  }
  return vscode.Uri.joinPath(extensionUri, 'examples', 'paper-study').fsPath;
}
