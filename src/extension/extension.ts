import * as vscode from 'vscode';
import { parseSettings } from '../core/settings';
import { AnalysisPanels } from './analysisPanels';
import { registerClusterCommands } from './clusterCommands';
import { ClusterManager } from './clusterManager';
import { registerDatasetInspector } from './datasetInspector';
import { JobsController } from './jobsController';
import { offerLocalProfile } from './localProfileOffer';
import { REPORT_SCHEME, ReportDocuments, registerRecipeCommands } from './recipeCommands';
import { registerRecipeDiagnostics } from './recipeDiagnostics';
import {
  RECIPE_SELECTOR,
  RecipeCodeLensProvider,
  RecipeCompletionProvider,
  RecipeDefinitionProvider,
  RecipeHoverProvider,
} from './recipeEditorProviders';
import { RecipeTreeProvider } from './recipeTree';
import { RecipeWorkspace } from './recipeWorkspace';
import { locateStudy } from './studyLocator';

/** Wires the core to the editor. Everything registered is owned by `context.subscriptions`. */
export function activate(context: vscode.ExtensionContext) {
  // Settings are read often; each invalid value is reported once, not at every read.
  const reported = new Set<string>();
  const settings = () => {
    const { settings, problems } = parseSettings(
      vscode.workspace.getConfiguration('corpusLab') as unknown as Record<string, unknown>,
    );
    for (const p of problems) {
      if (reported.has(p)) continue;
      reported.add(p);
      void vscode.window.showWarningMessage(vscode.l10n.t('Invalid setting: {0}', p));
    }
    return settings;
  };
  const workspace = new RecipeWorkspace(settings().recipeGlob);
  const load = () => workspace.recipes();
  const tree = new RecipeTreeProvider(load);
  const estimate = () => settings().jobs;
  const lenses = new RecipeCodeLensProvider(load, estimate);
  const reports = new ReportDocuments();
  const log = vscode.window.createOutputChannel('Corpus Lab', { log: true });
  const clusters = new ClusterManager(() => settings().clusters, context.secrets, log);
  const exportDir = () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder && vscode.Uri.joinPath(folder.uri, settings().exportFolder);
  };
  const jobs = new JobsController({
    extensionUri: context.extensionUri,
    storageUri: context.globalStorageUri,
    clusters,
    settings,
    recipes: load,
    exportDir,
    log,
    onResultsFetched: () => panels.reload(),
  });
  const panels = new AnalysisPanels({
    extensionUri: context.extensionUri,
    studyDir: () => locateStudy(settings().study, context.extensionUri),
    exportDir,
    log,
  });

  context.subscriptions.push(
    workspace,
    vscode.window.createTreeView('corpusLab.recipes', { treeDataProvider: tree, showCollapseAll: true }),
    workspace.onDidChange((set) => {
      tree.refresh(set);
      lenses.refresh();
    }),
    registerRecipeDiagnostics(workspace.onDidChange),
    vscode.languages.registerCodeLensProvider(RECIPE_SELECTOR, lenses),
    vscode.languages.registerHoverProvider(RECIPE_SELECTOR, new RecipeHoverProvider(load, estimate)),
    vscode.languages.registerDefinitionProvider(RECIPE_SELECTOR, new RecipeDefinitionProvider(load)),
    vscode.languages.registerCompletionItemProvider(
      RECIPE_SELECTOR,
      new RecipeCompletionProvider(load),
      ...RecipeCompletionProvider.triggerCharacters,
    ),
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    ...registerRecipeCommands(load, reports, () => settings().dataRoot),
    log,
    panels,
    vscode.commands.registerCommand('corpusLab.openScoreDifferences', () => panels.open('scores')),
    vscode.commands.registerCommand('corpusLab.openCorrelations', () => panels.open('correlations')),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('corpusLab.study') && panels.reload()),
    clusters,
    ...registerClusterCommands(clusters, workspace, settings),
    ...registerDatasetInspector({ load, clusters, settings, storageUri: context.globalStorageUri, log }),
    jobs,
    vscode.window.createTreeView('corpusLab.jobs', { treeDataProvider: jobs.tree }),
    ...jobs.commands(),
  );
  // Diagnostics should appear without the user opening the view first.
  void load();
  void offerLocalProfile(() => settings().clusters, context.globalState, log);
}

export function deactivate() {}
