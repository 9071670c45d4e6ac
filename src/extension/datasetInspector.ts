import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RecipeSet, ResolvedRecipe, ResolvedSource } from '../core/recipe/resolve';
import type { PathKind } from '../core/tokenizers/locate';
import type { ClusterManager } from './clusterManager';
import { COMMANDS } from './commandIds';
import { type CommandRegistry, explained } from './commands';
import { toRange } from './convert';
import { Disposable } from './dispose';

export const INSPECT_SCHEME = 'corpus-lab-inspect';

/** Read-only documents holding inspections: a virtual document cannot be edited or saved over anything. */
class InspectionDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly emitter = this.own(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.emitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  async show(name: string, text: string) {
    const uri = vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${name.replace(/[/\\]/g, '∕')}.txt` });
    this.contents.set(uri.toString(), text);
    this.emitter.fire(uri);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
  }
}

/** What the command is called with: a tree node, a CodeLens or hover link, or nothing (the palette). */
type InspectArg = { recipe: string | ResolvedRecipe; source: string | ResolvedSource } | undefined;

export interface InspectorDeps {
  readonly load: () => Promise<RecipeSet>;
  readonly clusters: ClusterManager;
  readonly settings: () => { dataCluster: string; dataRoot: string };
  readonly storageUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly commands: CommandRegistry;
}

/** Inspect Dataset: document lengths, decoded samples and the language check of a recipe's `megatron:` source. */
export function registerDatasetInspector(deps: InspectorDeps): vscode.Disposable[] {
  const docs = new InspectionDocuments();
  const languageDiagnostics = vscode.languages.createDiagnosticCollection('corpus-recipe-language');
  // The latest verdict per source (file, id): a later inspection that agrees clears it.
  const verdicts = new Map<string, Map<string, vscode.Diagnostic>>();
  const setLanguageDiagnostic = (source: ResolvedSource, d: vscode.Diagnostic | undefined) => {
    const inFile = verdicts.get(source.file) ?? new Map<string, vscode.Diagnostic>();
    verdicts.set(source.file, inFile);
    if (d) inFile.set(source.id, d);
    else inFile.delete(source.id);
    languageDiagnostics.set(vscode.Uri.file(source.file), [...inFile.values()]);
  };
  // Loaded on first use: the tokenizers (WebAssembly) and the inspector stay out of activation.
  let cache: Promise<import('../core/tokenizers/cache').TokenizerCache> | undefined;
  const tokenizerCache = () =>
    (cache ??= import('../core/tokenizers/cache.js').then(
      (m) => new m.TokenizerCache(path.join(deps.storageUri.fsPath, 'tokenizers')),
    ));

  const pickSource = async (
    arg: InspectArg,
  ): Promise<{ recipe: ResolvedRecipe; source: ResolvedSource } | undefined> => {
    const set = await deps.load();
    if (arg) {
      const recipe = typeof arg.recipe === 'string' ? set.recipes.get(arg.recipe) : arg.recipe;
      const source =
        recipe && (typeof arg.source === 'string' ? recipe.sources.find((s) => s.id === arg.source) : arg.source);
      if (recipe && source) {
        if (source.megatron) return { recipe, source };
        void vscode.window.showWarningMessage(
          vscode.l10n.t('Source {0} names no megatron: dataset to inspect.', source.id),
        );
        return undefined;
      }
    }
    const editor = vscode.window.activeTextEditor;
    if (editor) {
      const { sourceAt } = await import('../core/recipe/report.js');
      const hit = sourceAt(
        set,
        editor.document.uri.fsPath,
        editor.selection.active.line,
        editor.selection.active.character,
      );
      if (hit?.source.megatron) return hit;
    }
    const items = [...set.recipes.values()].flatMap((recipe) =>
      recipe.sources
        .filter((s) => s.megatron && s.definedIn === recipe.name)
        .map((source) => ({
          label: source.id,
          description: `${recipe.name} · ${source.language}`,
          detail: source.megatron,
          recipe,
          source,
        })),
    );
    if (items.length === 0) {
      void vscode.window.showWarningMessage(vscode.l10n.t('No recipe source names a megatron: dataset.'));
      return undefined;
    }
    return vscode.window.showQuickPick(items, { title: vscode.l10n.t('Inspect which dataset?') });
  };

  const pickChoice = async (): Promise<import('../core/megatron/inspect').SampleChoice | undefined> => {
    const items = [
      {
        label: vscode.l10n.t('Random sample of {0} (seed {1})', 10, 0),
        choice: { kind: 'random', count: 10, seed: 0 } as const,
      },
      { label: vscode.l10n.t('First {0} documents', 10), choice: { kind: 'first', count: 10 } as const },
      { label: vscode.l10n.t('Last {0} documents', 10), choice: { kind: 'last', count: 10 } as const },
      { label: vscode.l10n.t('Documents by number…'), choice: undefined },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Which documents to decode?') });
    if (!picked) return undefined;
    if (picked.choice) return picked.choice;
    const text = await vscode.window.showInputBox({
      prompt: vscode.l10n.t('Document numbers, separated by commas (0 is the first)'),
      validateInput: (v) =>
        /^\s*\d+(\s*,\s*\d+)*\s*$/.test(v)
          ? undefined
          : vscode.l10n.t('Whole numbers separated by commas, e.g. 0, 17, 2048'),
    });
    return text === undefined ? undefined : { kind: 'indices', indices: text.split(',').map((x) => Number(x.trim())) };
  };

  const inspect = async (arg: InspectArg) => {
    const target = await pickSource(arg);
    if (!target) return;
    const choice = await pickChoice();
    if (!choice) return;
    const { recipe, source } = target;
    const { dataCluster, dataRoot } = deps.settings();
    const text = await explained(
      (m) => vscode.l10n.t('Cannot inspect {0}: {1}', source.id, m),
      () =>
        vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Inspecting {0}…', source.id) },
          async () => {
            const [
              { inspectDataset, openLocalDataset, closeDataset },
              { formatInspection },
              { locateTokenizer },
              { clusterPrefix },
              { languageDiagnostic },
            ] = await Promise.all([
              import('../core/megatron/datasetInspection.js'),
              import('../core/megatron/inspectionText.js'),
              import('../core/tokenizers/locate.js'),
              import('../core/recipe/blend.js'),
              import('../core/recipe/languageCheck.js'),
            ]);
            const localKind = async (p: string): Promise<PathKind> =>
              stat(p).then(
                (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'directory' : undefined),
                () => undefined,
              );
            const isLocal =
              source.datasetPath !== undefined && (await localKind(`${source.datasetPath}.idx`)) === 'file';
            // The cluster is connected to only when something is not here: the dataset, or then its tokenizer.
            let session: Promise<import('../core/cluster/transport').RemoteFiles | undefined> | undefined;
            const sftp = () => (session ??= remoteSftp(dataCluster, isLocal));
            let dataset;
            if (isLocal) dataset = await openLocalDataset(source.datasetPath!);
            else {
              const s = await sftp();
              if (!s)
                throw new Error(
                  vscode.l10n.t(
                    '{0} is not on this machine, and no data cluster is set (corpusLab.dataCluster).',
                    source.megatron!,
                  ),
                );
              const { openRemoteDataset } = await import('../core/cluster/sftpRangeReader.js');
              dataset = await openRemoteDataset(s, clusterPrefix(source.megatron!, dataRoot), dataCluster);
            }
            try {
              let decoder;
              let note = '';
              if (recipe.tokenizer) {
                const { sftpCall } = await import('../core/cluster/sftp.js');
                const remoteKind = async (p: string): Promise<PathKind> => {
                  const s = await sftp();
                  return s
                    ? sftpCall.stat(s, p).then(
                        (st) => (st.isFile() ? 'file' : st.isDirectory() ? 'directory' : undefined),
                        () => undefined,
                      )
                    : undefined;
                };
                const found = await locateTokenizer(
                  recipe.tokenizer,
                  recipe.doc.file,
                  localKind,
                  dataCluster ? { dataRoot, kind: remoteKind } : undefined,
                );
                if (found.where === 'none')
                  note = vscode.l10n.t(
                    'The tokenizer "{0}" is not a tokenizer.json, a SentencePiece .model or a directory holding one (looked at: {1}); samples are shown as token ids.',
                    recipe.tokenizer,
                    found.looked.join(', '),
                  );
                else if (found.where === 'local') decoder = await (await tokenizerCache()).local(found.file);
                else decoder = await (await tokenizerCache()).remote((await sftp())!, dataCluster, found.file);
              } else note = vscode.l10n.t('The recipe names no tokenizer; samples are shown as token ids.');
              const r = await inspectDataset(dataset, {
                choice,
                decoder,
                declared: decoder ? source.language : undefined,
              });
              const diagnostic =
                r.language && languageDiagnostic(source.file, source, r.language.verdict, r.samples.length);
              setLanguageDiagnostic(
                source,
                diagnostic &&
                  Object.assign(
                    new vscode.Diagnostic(
                      toRange(diagnostic.range),
                      diagnostic.message,
                      vscode.DiagnosticSeverity.Warning,
                    ),
                    { source: 'Corpus Lab' },
                  ),
              );
              return `${note ? `${note}\n\n` : ''}${formatInspection(r)}`;
            } finally {
              await closeDataset(dataset);
            }
          },
        ),
    );
    await docs.show(`${recipe.name} · ${source.id}`, text);
  };

  /** The data cluster's SFTP session; for a local dataset only when a cluster is configured (its tokenizer may live there). */
  const remoteSftp = async (dataCluster: string, optional: boolean) => {
    if (!dataCluster) return undefined;
    try {
      return await deps.clusters.get(dataCluster).files();
    } catch (e) {
      if (optional) return undefined;
      throw e;
    }
  };

  return [
    docs,
    languageDiagnostics,
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, docs),
    deps.commands.register(
      COMMANDS.inspectDataset,
      (arg?: InspectArg | { kind: 'source'; recipe: ResolvedRecipe; source: ResolvedSource }) => inspect(arg),
    ),
  ];
}
