import * as vscode from 'vscode';
import { recipeEstimate } from '../core/jobs/studyPlan';
import { type CompletionKind, completionAt, definitionAt } from '../core/recipe/navigation';
import { codeLensTitle, sourceAt, sourceHoverMarkdown } from '../core/recipe/report';
import type { RecipeSet } from '../core/recipe/resolve';
import { COMMANDS } from './commandIds';
import { toRange } from './convert';
import { Disposable } from './dispose';

export const RECIPE_SELECTOR: vscode.DocumentSelector = { language: 'corpus-recipe', scheme: 'file' };

/** The model size and throughput estimates use (corpusLab.jobs.modelParameters, tflopsPerGpu). */
export type EstimateSettings = () => { modelParameters: number; tflopsPerGpu: number };

/** A CodeLens over each recipe's name with its statistics, and "Compare with parent" where it extends. */
export class RecipeCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly emitter = this.own(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.emitter.event;

  constructor(
    private readonly load: () => Promise<RecipeSet>,
    private readonly estimate: EstimateSettings,
  ) {
    super();
  }

  refresh() {
    this.emitter.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const set = await this.load();
    const recipe = [...set.recipes.values()].find((r) => r.doc.file === document.uri.fsPath);
    if (!recipe) return [];
    const at = toRange(recipe.doc.nameRange);
    const lenses = [
      new vscode.CodeLens(at, {
        title: codeLensTitle(recipe),
        command: COMMANDS.showStatistics,
        arguments: [recipe.name],
      }),
    ];
    if (recipe.statistics.total > 0) {
      const e = this.estimate();
      lenses.push(
        new vscode.CodeLens(at, {
          title: recipeEstimate(recipe.statistics.total, e.modelParameters, e.tflopsPerGpu).text,
          command: '',
        }),
      );
    }
    if (recipe.parent) {
      lenses.push(
        new vscode.CodeLens(at, {
          title: vscode.l10n.t('Compare with {0}', recipe.parent),
          command: COMMANDS.compareWithParent,
          arguments: [recipe.name],
        }),
      );
    }
    for (const s of recipe.sources) {
      if (s.megatron && s.definedIn === recipe.name)
        lenses.push(
          new vscode.CodeLens(toRange(s.idRange), {
            title: vscode.l10n.t('Inspect dataset'),
            command: COMMANDS.inspectDataset,
            arguments: [{ recipe: recipe.name, source: s.id }],
          }),
        );
    }
    return lenses;
  }
}

/** Hover on a source: its tokens after the fraction and its share of the corpus. */
export class RecipeHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly load: () => Promise<RecipeSet>,
    private readonly estimate: EstimateSettings,
  ) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const hit = sourceAt(await this.load(), document.uri.fsPath, position.line, position.character);
    if (!hit) return undefined;
    const e = this.estimate();
    const md = new vscode.MarkdownString(sourceHoverMarkdown(hit.recipe, hit.source));
    if (hit.recipe.statistics.total > 0)
      md.appendMarkdown(
        `\n\n${hit.recipe.name}: ${recipeEstimate(hit.recipe.statistics.total, e.modelParameters, e.tflopsPerGpu).text}`,
      );
    if (hit.source.megatron) {
      // Only this command may run from the hover's link.
      md.isTrusted = { enabledCommands: [COMMANDS.inspectDataset] };
      md.appendMarkdown(
        `\n\n[${vscode.l10n.t('Inspect dataset')}](command:${COMMANDS.inspectDataset}?${encodeURIComponent(JSON.stringify([{ recipe: hit.recipe.name, source: hit.source.id }]))})`,
      );
    }
    return new vscode.Hover(md, toRange(hit.source.range));
  }
}

/** Go to definition on `extends:` (the parent recipe) and on an id under `remove:` (the inherited source). */
export class RecipeDefinitionProvider implements vscode.DefinitionProvider {
  constructor(private readonly load: () => Promise<RecipeSet>) {}

  async provideDefinition(
    document: vscode.TextDocument,
    position: vscode.Position,
  ): Promise<vscode.Location | undefined> {
    const target = definitionAt(await this.load(), document.uri.fsPath, position.line, position.character);
    return target && new vscode.Location(vscode.Uri.file(target.file), toRange(target.range));
  }
}

const COMPLETION_KINDS: Record<CompletionKind, vscode.CompletionItemKind> = {
  field: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.EnumMember,
  recipe: vscode.CompletionItemKind.Module,
  source: vscode.CompletionItemKind.Reference,
};

/** Field names, languages, origins, parent recipe names and inherited ids, from the text as typed. */
export class RecipeCompletionProvider implements vscode.CompletionItemProvider {
  static readonly triggerCharacters = [' ', '[', ','];

  constructor(private readonly load: () => Promise<RecipeSet>) {}

  async provideCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
  ): Promise<vscode.CompletionItem[] | undefined> {
    const found = completionAt(
      await this.load(),
      document.uri.fsPath,
      document.getText(),
      position.line,
      position.character,
    );
    if (!found) return undefined;
    const range = toRange(found.range);
    return found.items.map((e, i) => {
      const item = new vscode.CompletionItem(e.label, COMPLETION_KINDS[e.kind]);
      // The core's order (schema order, the parent's source order) reads better than the alphabet.
      item.sortText = String(i).padStart(4, '0');
      item.insertText = e.insertText;
      item.detail = e.detail;
      item.range = range;
      return item;
    });
  }
}
