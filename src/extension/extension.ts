import * as vscode from 'vscode';
import { parseSettings } from '../core/settings';
import { registerRecipeCommands, REPORT_SCHEME, ReportDocuments } from './recipeCommands';
import { registerRecipeDiagnostics } from './recipeDiagnostics';
import { RECIPE_SELECTOR, RecipeCodeLensProvider, RecipeHoverProvider } from './recipeEditorProviders';
import { RecipeTreeProvider } from './recipeTree';
import { RecipeWorkspace } from './recipeWorkspace';

/** Wires the core to the editor. Everything registered is owned by `context.subscriptions`. */
export function activate(context: vscode.ExtensionContext) {
  const settings = () => {
    const { settings, problems } = parseSettings(vscode.workspace.getConfiguration('corpusLab') as unknown as Record<string, unknown>);
    for (const p of problems) void vscode.window.showWarningMessage(vscode.l10n.t('Invalid setting: {0}', p));
    return settings;
  };
  const workspace = new RecipeWorkspace(settings().recipeGlob);
  const load = () => workspace.recipes();
  const tree = new RecipeTreeProvider(load);
  const lenses = new RecipeCodeLensProvider(load);
  const reports = new ReportDocuments();

  context.subscriptions.push(
    workspace,
    vscode.window.createTreeView('corpusLab.recipes', { treeDataProvider: tree, showCollapseAll: true }),
    workspace.onDidChange((set) => {
      tree.refresh(set);
      lenses.refresh();
    }),
    registerRecipeDiagnostics(workspace.onDidChange),
    vscode.languages.registerCodeLensProvider(RECIPE_SELECTOR, lenses),
    vscode.languages.registerHoverProvider(RECIPE_SELECTOR, new RecipeHoverProvider(load)),
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    ...registerRecipeCommands(load, reports, () => settings().dataRoot),
  );
  // Diagnostics should appear without the user opening the view first.
  void load();
}

export function deactivate() {}
