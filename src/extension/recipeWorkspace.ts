import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { RecipeCatalog } from '../core/recipe/catalog';
import type { CountCache } from '../core/recipe/countCache';
import type { RecipeSet } from '../core/recipe/resolve';
import { FileError, readTextFile } from '../core/regularFile';
import { Disposable, toDisposable } from './dispose';

/** How long typing must pause before the recipes are resolved again. */
const TYPING_PAUSE_MS = 150;

interface RecipeWorkspaceOptions {
  /** Where exact counts are kept across reloads (in the workspace's storage); none: not kept. */
  readonly countCacheFile?: string;
  /** `corpusLab.dataCluster` and `dataRoot`, read at each resolve so a changed setting needs no reload. */
  readonly dataCluster: () => { dataCluster: string; dataRoot: string };
  readonly log: (message: string) => void;
}

/**
 * Feeds the core RecipeCatalog from the workspace: files on disk, and the unsaved text of open
 * editors, so that statistics and diagnostics follow typing. Owns no logic beyond that.
 */
export class RecipeWorkspace extends Disposable {
  // The parser (yaml, zod schemas) loads just after activation, not during it.
  private catalogLoad: Promise<RecipeCatalog> | undefined;
  private catalog(): Promise<RecipeCatalog> {
    this.catalogLoad ??= Promise.all([import('../core/recipe/catalog.js'), this.loadCache()]).then(
      ([m, cache]) => new m.RecipeCatalog(cache),
    );
    return this.catalogLoad;
  }
  /** Saves of the count cache, one after another. */
  private saving: Promise<void> = Promise.resolve();
  private readonly emitter = this.own(new vscode.EventEmitter<RecipeSet>());
  private current: RecipeSet | undefined;
  private pending: NodeJS.Timeout | undefined;
  private resolving: Promise<RecipeSet> | undefined;
  private watcher: vscode.Disposable;

  readonly onDidChange = this.emitter.event;

  constructor(
    private glob: string,
    private readonly options: RecipeWorkspaceOptions,
  ) {
    super();
    this.watcher = this.watch(glob);
    this.own(
      toDisposable(() => {
        clearTimeout(this.pending);
        this.watcher.dispose();
      }),
    );
    this.own(
      vscode.workspace.onDidChangeTextDocument((e) => this.isRecipe(e.document) && this.fromDocument(e.document)),
    );
    this.own(vscode.workspace.onDidOpenTextDocument((d) => this.isRecipe(d) && this.fromDocument(d)));
  }

  private watch(glob: string): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(glob);
    return vscode.Disposable.from(
      watcher,
      watcher.onDidCreate((uri) => this.readFile(uri)),
      watcher.onDidChange((uri) => this.readFile(uri)),
      watcher.onDidDelete(async (uri) => (await this.catalog()).delete(uri.fsPath) && this.schedule()),
    );
  }

  /**
   * Another corpusLab.recipeGlob: files it no longer matches leave the catalog (their counts with
   * them), the ones it matches now are read, and the set is published again. No reload needed.
   */
  async setGlob(glob: string): Promise<void> {
    if (glob === this.glob) return;
    this.glob = glob;
    this.watcher.dispose();
    this.watcher = this.watch(glob);
    const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**');
    const matched = new Set(uris.map((u) => u.fsPath));
    const catalog = await this.catalog();
    for (const f of catalog.files) if (!matched.has(f)) catalog.delete(f);
    await Promise.all(uris.map((u) => this.readFile(u, false)));
    await this.publish();
  }

  /** The resolved set; the first call scans the workspace. */
  async recipes(): Promise<RecipeSet> {
    if (this.current) return this.current;
    // A scan that failed is not kept: the next call (tree, CodeLens, Launch Study) tries again.
    if (!this.resolving) this.resolving = this.scan().finally(() => (this.resolving = undefined));
    return this.resolving;
  }

  private async scan(): Promise<RecipeSet> {
    const uris = await vscode.workspace.findFiles(this.glob, '**/node_modules/**');
    await Promise.all(uris.map((u) => this.readFile(u, false)));
    const catalog = await this.catalog();
    for (const d of vscode.workspace.textDocuments) if (this.isRecipe(d)) catalog.update(d.uri.fsPath, d.getText());
    return this.publish();
  }

  /** Datasets the recipes name, with their paths on the cluster under `dataRoot`. */
  async remoteDatasets(dataRoot: string) {
    return (await this.catalog()).remoteDatasets(dataRoot);
  }

  /** Counts read on the cluster; statistics, tree and diagnostics update at once, and the cache keeps them. */
  async setRemoteCounts(counts: Parameters<RecipeCatalog['setRemoteCounts']>[0]) {
    (await this.catalog()).setRemoteCounts(counts);
    await this.publish();
  }

  /** The count cache, which Count Dataset Tokens on Cluster consults and fills. */
  async countCache(): Promise<CountCache> {
    return (await this.catalog()).cache;
  }

  private async loadCache(): Promise<CountCache> {
    const m = await import('../core/recipe/countCache.js');
    const file = this.options.countCacheFile;
    if (!file) return new m.CountCache();
    const { cache, problem } = await m.loadCountCache(file);
    if (problem) this.options.log(`Token counts will be read again: ${problem}`);
    return cache;
  }

  private saveCache(cache: CountCache) {
    const file = this.options.countCacheFile;
    if (!file || !cache.changed) return;
    this.saving = this.saving.then(async () => {
      if (!cache.changed) return;
      const { saveCountCache } = await import('../core/recipe/countCache.js');
      await saveCountCache(file, cache).catch((e) =>
        this.options.log(`Cannot keep token counts in ${file}: ${errorMessage(e)}`),
      );
    });
  }

  private isRecipe(d: vscode.TextDocument): boolean {
    return d.uri.scheme === 'file' && d.fileName.endsWith('.recipe.yaml');
  }

  private async fromDocument(d: vscode.TextDocument) {
    (await this.catalog()).update(d.uri.fsPath, d.getText());
    this.schedule();
  }

  private async readFile(uri: vscode.Uri, schedule = true) {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && d.isDirty);
    if (open) return; // the editor's unsaved text wins over the file on disk
    const catalog = await this.catalog();
    try {
      // Through the core's reader: regular files only (a FIFO would hold a threadpool thread forever), strict UTF-8.
      const text =
        uri.scheme === 'file'
          ? await readTextFile(uri.fsPath)
          : new TextDecoder('utf-8', { fatal: true }).decode(await vscode.workspace.fs.readFile(uri));
      catalog.update(uri.fsPath, text);
    } catch (e) {
      catalog.fail(
        uri.fsPath,
        e instanceof FileError ? e.reason : errorMessage(e),
        e instanceof FileError ? e.line : undefined,
      );
    }
    if (schedule) this.schedule();
  }

  /** Typing fires many changes; resolve once they pause. */
  private schedule() {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => void this.publish(), TYPING_PAUSE_MS);
  }

  private async publish(): Promise<RecipeSet> {
    const catalog = await this.catalog();
    const { dataCluster, dataRoot } = this.options.dataCluster();
    const cluster = dataCluster || catalog.cache.latestCluster();
    catalog.setDataCluster(cluster ? { cluster, dataRoot } : undefined);
    const set = await catalog.resolve();
    this.saveCache(catalog.cache);
    this.current = set;
    this.emitter.fire(set);
    return set;
  }
}
