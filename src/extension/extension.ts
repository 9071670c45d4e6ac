import * as vscode from 'vscode';
import { AnalysisPanels } from './analysisPanels';
import { registerClusterCommands } from './clusterCommands';
import { ClusterManager } from './clusterManager';
import { ClusterView } from './clusterView';
import { COMMANDS } from './commandIds';
import { CommandRegistry } from './commands';
import { type CompareHost, registerComparePanels } from './comparePanel';
import { compareRuns } from './compareRuns';
import { registerDatasetInspector } from './datasetInspector';
import { JobsController } from './jobsController';
import type { JobNode } from './jobTree';
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
import { SettingsStore } from './settings';
import { chooseStudy } from './studyCommands';
import { locateStudy } from './studyLocator';
import { workspaceFolder } from './workspaceFolder';

/** Wires the core to the editor. Everything registered is owned by `context.subscriptions`. */
export function activate(context: vscode.ExtensionContext) {
  const store = new SettingsStore();
  const settings = () => store.get();
  const log = vscode.window.createOutputChannel('Corpus Lab', { log: true });
  const workspace = new RecipeWorkspace(settings().recipeGlob, {
    countCacheFile: context.storageUri && vscode.Uri.joinPath(context.storageUri, 'token-counts.json').fsPath,
    dataCluster: settings,
    log: (m) => log.warn(m),
  });
  const load = () => workspace.recipes();
  const tree = new RecipeTreeProvider(load);
  const estimate = () => settings().jobs;
  const lenses = new RecipeCodeLensProvider(load, estimate);
  const reports = new ReportDocuments();
  const commands = new CommandRegistry(log);
  const clusters = new ClusterManager(() => settings().clusters, context.secrets, log);
  const exportDir = () => {
    const folder = workspaceFolder();
    return folder && vscode.Uri.joinPath(folder.uri, settings().exportFolder);
  };
  const jobs = new JobsController({
    extensionUri: context.extensionUri,
    storageUri: context.globalStorageUri,
    clusters,
    settings,
    recipes: load,
    countCache: () => workspace.countCache(),
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
    store,
    workspace,
    tree,
    lenses,
    reports,
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
    ...registerRecipeCommands(commands, load, reports, () => settings().dataRoot),
    log,
    panels,
    commands.register(COMMANDS.openScoreDifferences, () => panels.open('scores')),
    commands.register(COMMANDS.openCorrelations, () => panels.open('correlations')),
    commands.register(COMMANDS.chooseStudy, () => chooseStudy(context.extensionUri)),
    store.onDidChange((keys) => {
      if (keys.has('study')) panels.reload();
      if (keys.has('recipeGlob')) void workspace.setGlob(settings().recipeGlob);
    }),
    clusters,
    ...registerClusterCommands(commands, clusters, workspace, settings),
    ...registerDatasetInspector({ commands, load, clusters, settings, storageUri: context.globalStorageUri, log }),
    jobs,
    vscode.window.createTreeView('corpusLab.jobs', { treeDataProvider: jobs.tree, canSelectMany: true }),
    ...jobs.commands(commands),
  );
  const compareHost: CompareHost = {
    clusters,
    followers: jobs.followers,
    job: (tag) => jobs.registry.get(tag),
    onDidPoll: jobs.onDidPoll,
    exportDir,
    extensionUri: context.extensionUri,
    log,
  };
  const clusterView = new ClusterView(clusters, () => settings().jobs.pollSeconds, log);
  context.subscriptions.push(
    clusterView,
    commands.register(COMMANDS.refreshCluster, () => clusterView.refresh()),
    commands.register(COMMANDS.compareRuns, (node?: JobNode, selected?: JobNode[]) =>
      compareRuns({ ...compareHost, jobs: () => jobs.registry.all() }, node, selected),
    ),
    registerComparePanels(compareHost, () => jobs.whenLoaded()),
  );
  // Diagnostics should appear without the user opening the view first.
  void load();
  void offerLocalProfile(() => settings().clusters, context.globalState, log);
}

export function deactivate() {}
