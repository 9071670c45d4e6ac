import * as vscode from 'vscode';
import { exportBlend } from '../core/recipe/blend';
import {
  compareRecipes,
  compareWithParent,
  comparisonMarkdown,
  statisticsMarkdown,
  summaryLine,
} from '../core/recipe/report';
import type { RecipeSet, ResolvedRecipe } from '../core/recipe/resolve';
import { COMMANDS } from './commandIds';
import type { CommandRegistry } from './commands';
import { Disposable } from './dispose';
import type { RecipeNode } from './recipeTree';

export const REPORT_SCHEME = 'corpus-lab-report';

/** Read-only Markdown documents for reports, shown in the Markdown preview. */
export class ReportDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly emitter = this.own(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.emitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  async show(title: string, markdown: string) {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${title}.md` });
    this.contents.set(uri.toString(), markdown);
    this.emitter.fire(uri);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }
}

type RecipeArg = string | RecipeNode | vscode.Uri | undefined;

/** The recipe a command is about: its argument (CodeLens name, tree node, file), the active editor, or a pick. */
async function pickRecipe(
  set: RecipeSet,
  arg: RecipeArg,
  filter: (r: ResolvedRecipe) => boolean = () => true,
): Promise<ResolvedRecipe | undefined> {
  if (typeof arg === 'string') return set.recipes.get(arg);
  if (arg instanceof vscode.Uri) return [...set.recipes.values()].find((r) => r.doc.file === arg.fsPath);
  if (arg && arg.kind !== 'broken') return arg.recipe;
  const active = vscode.window.activeTextEditor?.document.uri.fsPath;
  const inEditor = [...set.recipes.values()].find((r) => r.doc.file === active && filter(r));
  if (inEditor) return inEditor;
  const items = [...set.recipes.values()].filter(filter).map((r) => ({
    label: r.name,
    description: r.parent ? vscode.l10n.t('extends {0}', r.parent) : undefined,
    recipe: r,
  }));
  if (items.length === 0) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t('No recipe in this workspace fits. Recipes are *.recipe.yaml files.'),
    );
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Choose a recipe') }))?.recipe;
}

export function registerRecipeCommands(
  commands: CommandRegistry,
  load: () => Promise<RecipeSet>,
  reports: ReportDocuments,
  dataRoot: () => string,
): vscode.Disposable[] {
  return [
    commands.register(COMMANDS.showStatistics, async (arg?: RecipeArg) => {
      const recipe = await pickRecipe(await load(), arg);
      if (recipe) await reports.show(vscode.l10n.t('{0} statistics', recipe.name), statisticsMarkdown(recipe));
    }),
    commands.register(COMMANDS.compareWithParent, async (arg?: RecipeArg) => {
      const set = await load();
      const recipe = await pickRecipe(set, arg, (r) => r.parent !== undefined);
      if (!recipe) return;
      const cmp = compareWithParent(set, recipe.name);
      if (!cmp) {
        void vscode.window.showWarningMessage(
          vscode.l10n.t('{0} has no resolvable parent to compare with.', recipe.name),
        );
        return;
      }
      await reports.show(vscode.l10n.t('{0} vs {1}', cmp.recipe, cmp.base), comparisonMarkdown(cmp, set));
    }),
    // Any pair, not only child and parent: the recipe from the argument or editor, the other from a pick (or a second argument).
    commands.register(COMMANDS.compareWith, async (arg?: RecipeArg, other?: string) => {
      const set = await load();
      const recipe = await pickRecipe(set, arg);
      if (!recipe) return;
      let base = other === undefined ? undefined : set.recipes.get(other);
      if (!base) {
        const items = [...set.recipes.values()]
          .filter((r) => r.name !== recipe.name)
          .sort((a, b) => (a.name === recipe.parent ? -1 : b.name === recipe.parent ? 1 : a.name.localeCompare(b.name)))
          .map((r) => ({ label: r.name, description: summaryLine(r.statistics), recipe: r }));
        if (items.length === 0) {
          void vscode.window.showWarningMessage(
            vscode.l10n.t('{0} is the only recipe in this workspace.', recipe.name),
          );
          return;
        }
        base = (
          await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Compare {0} with…', recipe.name) })
        )?.recipe;
      }
      const cmp = base && compareRecipes(set, recipe.name, base.name);
      if (cmp) await reports.show(vscode.l10n.t('{0} vs {1}', cmp.recipe, cmp.base), comparisonMarkdown(cmp, set));
    }),
    commands.register(COMMANDS.copyBlend, async (arg?: RecipeArg) => {
      const recipe = await pickRecipe(await load(), arg);
      if (!recipe) return;
      const blend = exportBlend(recipe, dataRoot() || undefined);
      if (!blend.ok) {
        void vscode.window.showErrorMessage(
          vscode.l10n.t(
            'Cannot export {0} as a blend: {1}',
            recipe.name,
            blend.diagnostics.map((d) => d.message).join('; '),
          ),
        );
        return;
      }
      await vscode.env.clipboard.writeText(blend.dataPath);
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Copied the --data-path blend of {0} ({1} datasets).', recipe.name, blend.entries.length),
      );
    }),
  ];
}
