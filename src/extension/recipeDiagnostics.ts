import * as vscode from 'vscode';
import type { Diagnostic } from '../core/diagnostics';
import type { RecipeSet } from '../core/recipe/resolve';
import { toRange } from './convert';

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** Publishes the recipe set's diagnostics to the Problems panel, replacing the previous ones. */
export function registerRecipeDiagnostics(onDidChange: vscode.Event<RecipeSet>): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('corpus-recipe');
  const sub = onDidChange((set) => {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const file of set.documents.map((d) => d.file)) byFile.set(file, []);
    for (const d of set.diagnostics) {
      const diag = new vscode.Diagnostic(toRange(d.range), d.message, SEVERITY[d.severity]);
      diag.source = 'Corpus Lab';
      byFile.get(d.file)?.push(diag) ?? byFile.set(d.file, [diag]);
    }
    collection.clear();
    for (const [file, diags] of byFile) collection.set(vscode.Uri.file(file), diags);
  });
  return vscode.Disposable.from(collection, sub);
}
