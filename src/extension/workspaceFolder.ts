import * as vscode from 'vscode';

/**
 * The folder Corpus Lab works in: the first of the workspace. Studies, results, exports and the job
 * registry are relative to it; asked in one place, so a multi-root choice can be made here later.
 */
export function workspaceFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

/** The workspace folder's path on disk, or undefined with no folder open. */
export function workspacePath(): string | undefined {
  return workspaceFolder()?.uri.fsPath;
}
