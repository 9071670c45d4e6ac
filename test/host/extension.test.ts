import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';

/** API-level checks inside the extension host, on the paper-study workspace (plus broken.recipe.yaml). */
const EXTENSION_ID = 'corpus-lab.corpus-lab';

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run on a workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('Corpus Lab in the extension host', () => {
  test('activates on the workspace and registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    await ext.activate();
    assert.equal(ext.isActive, true);
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
    );
  });

  test('CodeLens: exact statistics of EnJa-Plus', async () => {
    const uri = workspaceFile('enja-plus.recipe.yaml');
    await vscode.window.showTextDocument(uri);
    const lenses = await until('code lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return l && l.length > 0 && l.every((x) => x.command) ? l : undefined;
    });
    assert.deepEqual(
      lenses.map((l) => l.command?.title),
      [
        'Σ 57.56B tokens — ja 18.89B (32.81%) · en 38.19B (66.34%) · parallel 488.80M (0.85%)',
        // 13,724 iterations of 1024 × 4096 tokens, 6 · 13e9 · tokens at the paper's 282 TFLOP/s per GPU.
        '≈ 4,421 GPU-hours of CPT (one epoch, 13B at 282 TFLOP/s/GPU)',
        'Compare with EnDominant',
        'Inspect dataset',
      ],
    );
  });

  test('hover on a source: its contribution after the fraction', async () => {
    const uri = workspaceFile('enja-plus.recipe.yaml');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(5, 10),
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /Fraction: 0\.5 → 13\.88B/);
    assert.match(text, /Contribution: 13\.88B = 24\.11% of EnJa-Plus/);
    assert.match(text, /EnJa-Plus: ≈ 4,421 GPU-hours of CPT \(one epoch, 13B at 282 TFLOP\/s\/GPU\)/);
  });

  test('go to definition on extends and on a removed id', async () => {
    const hybrid = workspaceFile('enja-hybrid.recipe.yaml');
    const where = async (line: number, character: number) => {
      const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
        'vscode.executeDefinitionProvider',
        hybrid,
        new vscode.Position(line, character),
      );
      return found.map((l) => {
        const [uri, r] = 'targetUri' in l ? [l.targetUri, l.targetRange] : [l.uri, l.range];
        return `${path.basename(uri.fsPath)} ${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
      });
    };
    // Line 5 is "extends: EnJa-Balance", line 7 "  - en-pubmed-abstracts" (inherited from EnJa-Base through EnDominant).
    assert.deepEqual(
      await until('a definition', async () => ((await where(4, 12)).length > 0 ? where(4, 12) : undefined)),
      ['enja-balance.recipe.yaml 1:6-1:18'],
    );
    assert.deepEqual(await where(6, 6), ['enja-base.recipe.yaml 18:8-18:27']);
  });

  test('completion: parent recipe names after extends, languages in a source', async () => {
    const uri = workspaceFile('enja-plus.recipe.yaml');
    // Word-based suggestions come back too; ours are the kinds the provider gives.
    const complete = async (line: number, character: number, kind: vscode.CompletionItemKind) => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>(
        'vscode.executeCompletionItemProvider',
        uri,
        new vscode.Position(line, character),
      );
      return list.items
        .filter((i) => i.kind === kind)
        .map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    };
    // Line 4 is "extends: EnDominant"; nothing extends EnJa-Plus, so every other recipe may be its parent.
    assert.deepEqual(await complete(3, 19, vscode.CompletionItemKind.Module), [
      'Broken',
      'EnDominant',
      'EnJa-Balance',
      'EnJa-Base',
      'EnJa-Hybrid',
      'JaDominant',
    ]);
    // Line 7 is "    language: ja".
    assert.deepEqual(await complete(6, 16, vscode.CompletionItemKind.EnumMember), ['ja', 'en', 'parallel']);
  });

  test('Compare with any recipe: EnJa-Plus against its sibling JaDominant', async () => {
    await vscode.commands.executeCommand('corpusLab.compareWith', 'EnJa-Plus', 'JaDominant');
    const report = await vscode.workspace.openTextDocument(
      vscode.Uri.from({ scheme: 'corpus-lab-report', path: '/EnJa-Plus vs JaDominant.md' }),
    );
    const text = report.getText();
    assert.match(text, /^### EnJa-Plus vs JaDominant\n/);
    assert.match(text, /\| Japanese tokens \| 32\.77B \| 18\.89B \| −13\.88B \|/);
    assert.match(text, /- removed \*\*pmc-ja\*\* of JaDominant \(ja, machine-translated\): −27\.76B$/);
  });

  test('diagnostics of the broken recipe: messages and exact ranges', async () => {
    const uri = workspaceFile('broken.recipe.yaml');
    const diagnostics = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length >= 3 ? d : undefined;
    });
    const seen = diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`).sort();
    assert.deepEqual(seen, [
      '2:12 tokenizer "llm-jp-v2.1" differs from parent "EnJa-Base"\'s "llm-jp/llm-jp-3-13b": token counts would not be comparable',
      '6:15 "sources[0].language" must be one of ja, en, parallel; got "jp"',
      // Every problem of a source at once: its quantity too, not only the first field that fails.
      '8:13 "sources[0].tokens": invalid token quantity "12Q": expected a number of tokens or a string like "27.76B", "350M", "12K"',
    ]);
    assert.ok(diagnostics.every((d) => d.severity === vscode.DiagnosticSeverity.Error && d.source === 'Corpus Lab'));
  });

  test('Open Score Differences and Open Partial Correlations open one webview each', async () => {
    await vscode.commands.executeCommand('corpusLab.openScoreDifferences');
    await vscode.commands.executeCommand('corpusLab.openCorrelations');
    await vscode.commands.executeCommand('corpusLab.openScoreDifferences'); // reveals, does not duplicate
    const labels = await until('two panel tabs', () => {
      const l = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .map((t) => t.label)
        .filter((l) => /Score Differences|Partial Correlations/.test(l))
        .sort();
      return l.length === 2 ? l : undefined;
    });
    assert.deepEqual(labels, ['Partial Correlations', 'Score Differences']);
  });

  test('the workspace is the paper study', () => {
    assert.equal(path.basename(workspaceFile('score-differences.csv').fsPath), 'score-differences.csv');
  });
});
