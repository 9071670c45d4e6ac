import * as vscode from 'vscode';
import { formatTokens } from '../core/recipe/quantity';
import { mixedCounts, recipeDescription, statisticsMarkdown } from '../core/recipe/report';
import type { RecipeSet, ResolvedRecipe, ResolvedSource } from '../core/recipe/resolve';
import { Disposable } from './dispose';

export type RecipeNode =
  | { kind: 'recipe'; recipe: ResolvedRecipe }
  | { kind: 'source'; recipe: ResolvedRecipe; source: ResolvedSource }
  | { kind: 'broken'; name: string; file: string };

/** Recipes nested under the recipe they extend; each recipe also lists the sources it adds. */
export class RecipeTreeProvider extends Disposable implements vscode.TreeDataProvider<RecipeNode> {
  private set: RecipeSet | undefined;
  private readonly emitter = this.own(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly load: () => Promise<RecipeSet>) {
    super();
  }

  refresh(set: RecipeSet) {
    this.set = set;
    this.emitter.fire();
  }

  async getChildren(node?: RecipeNode): Promise<RecipeNode[]> {
    this.set ??= await this.load();
    const set = this.set;
    const recipes = [...set.recipes.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!node) {
      const roots: RecipeNode[] = recipes
        .filter((r) => r.parent === undefined)
        .map((recipe) => ({ kind: 'recipe', recipe }));
      const broken: RecipeNode[] = set.documents
        .filter((d) => d.name !== undefined && !set.recipes.has(d.name))
        .map((d) => ({ kind: 'broken', name: d.name!, file: d.file }));
      return [...roots, ...broken];
    }
    if (node.kind !== 'recipe') return [];
    const children: RecipeNode[] = recipes
      .filter((r) => r.parent === node.recipe.name)
      .map((recipe) => ({ kind: 'recipe', recipe }));
    const own: RecipeNode[] = node.recipe.sources
      .filter((s) => s.definedIn === node.recipe.name)
      .map((source) => ({ kind: 'source', recipe: node.recipe, source }));
    return [...children, ...own];
  }

  getTreeItem(node: RecipeNode): vscode.TreeItem {
    if (node.kind === 'broken') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
      item.description = vscode.l10n.t('cannot be resolved');
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
      item.resourceUri = vscode.Uri.file(node.file);
      item.command = {
        command: 'vscode.open',
        title: vscode.l10n.t('Open Recipe'),
        arguments: [vscode.Uri.file(node.file)],
      };
      item.contextValue = 'recipe.broken';
      return item;
    }
    if (node.kind === 'source') {
      const s = node.source;
      const item = new vscode.TreeItem(s.id, vscode.TreeItemCollapsibleState.None);
      // In a recipe that mixes exact and declared counts, each source says which it has.
      const origin = mixedCounts(node.recipe) ? (s.tokensFrom === 'declared' ? ' · declared' : ' · exact') : '';
      item.description = `${s.language} · ${formatTokens(s.effectiveTokens)}${s.fraction !== undefined && s.fraction !== 1 ? ` (×${s.fraction})` : ''}${origin}`;
      item.iconPath = new vscode.ThemeIcon(s.origin === 'machine-translated' ? 'globe' : 'database');
      item.tooltip = `${s.id}: ${s.language}, ${s.origin}${s.kind ? `, ${s.kind}` : ''}`;
      item.command = {
        command: 'vscode.open',
        title: vscode.l10n.t('Open Recipe'),
        arguments: [
          vscode.Uri.file(s.file),
          {
            selection: new vscode.Range(
              s.idRange.start.line,
              s.idRange.start.character,
              s.idRange.end.line,
              s.idRange.end.character,
            ),
          },
        ],
      };
      item.contextValue = 'source';
      return item;
    }
    const r = node.recipe;
    const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `recipe:${r.name}`;
    item.description = recipeDescription(r);
    item.tooltip = new vscode.MarkdownString(statisticsMarkdown(r));
    item.iconPath = new vscode.ThemeIcon(r.complete && !mixedCounts(r) ? 'beaker' : 'warning');
    item.resourceUri = vscode.Uri.file(r.doc.file);
    item.command = {
      command: 'vscode.open',
      title: vscode.l10n.t('Open Recipe'),
      arguments: [vscode.Uri.file(r.doc.file)],
    };
    item.contextValue = r.parent ? 'recipe.child' : 'recipe';
    return item;
  }
}
