import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { panelView } from '../../src/core/analysis/schemas';
import { correlationBars, panelTable, testsTable } from '../../src/core/analysis/views';
import { formatCell, toCsv } from '../../src/core/report/dataTable';
import { loadStudy } from '../../src/core/study/loadStudy';
import { toStudyPayload } from '../../src/protocol/studyPayload';
import { type CodeServer, paperWorkspace, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openFile, openWorkbench, runCommand, showViewContainer, webviewFrame } from './workbench';

/**
 * The extension in a real VS Code (code-server's workbench) in a real browser (Debian's Chromium):
 * commands run from the palette, numbers read off the panels, files written by the exports.
 */
const PAPER_STUDY = path.join(ROOT, 'examples', 'paper-study');
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');

let server: CodeServer;
let browser: Browser;
let page: Page;

before(async () => {
  const fixture = paperWorkspace();
  mkdirSync(SHOTS, { recursive: true });
  server = await startCodeServer(fixture.dir, { 'git.openRepositoryInParentFolders': 'never', 'git.enabled': false });
  fixture.remove();
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function shot(name: string) {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function rowCells(frame: Frame, tableId: string, first: string): Promise<string[]> {
  const row = frame.locator(`#${tableId} tbody tr[data-row="${first}"]`);
  await row.waitFor();
  return row.locator('th, td').allInnerTexts();
}

async function waitForFile(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  const deadline = Date.now() + 15_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline)
      throw new Error(
        `${file} was not written; ${dir} has ${existsSync(dir) ? readdirSync(dir).join(', ') : 'nothing'}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  return file;
}

test('the Recipes tree nests the six corpora by extends, with totals and ratios', async () => {
  await showViewContainer(page, 'Corpus Lab');
  const base = page.locator('.monaco-list-row[aria-label*="EnJa-Base"]').first();
  await base.waitFor();
  assert.match(await base.innerText(), /EnJa-Base\s*15\.01B · ja 33\.4% · en 63\.4% · parallel 3\.3%/);
  const hybrid = page.locator('.monaco-list-row', { hasText: 'EnJa-Hybrid' }).first();
  await hybrid.waitFor();
  assert.match(await hybrid.innerText(), /79\.62B · ja 45\.4% · en 45\.8% · parallel 8\.9%/);
  // Nested: EnJa-Hybrid sits deeper than EnJa-Base (base → EnDominant → Plus → Balance → Hybrid).
  const level = async (l: typeof base) => Number(await l.getAttribute('aria-level'));
  assert.ok((await level(hybrid)) > (await level(base)), 'EnJa-Hybrid is nested under its parents');
  const broken = page.locator('.monaco-list-row', { hasText: 'Broken' }).first();
  await broken.waitFor();
  await shot('recipes-tree');
});

test('a CodeLens over a recipe shows its statistics, a hover a source’s contribution', async () => {
  await openFile(page, 'enja-plus.recipe.yaml');
  const lens = page.locator('.codelens-decoration', { hasText: 'Σ 57.56B tokens' }).first();
  await lens.waitFor();
  assert.match(
    await lens.innerText(),
    /Σ 57\.56B tokens — ja 18\.89B \(32\.81%\) · en 38\.19B \(66\.34%\) · parallel 488\.80M \(0\.85%\)/,
  );
  // Hover the source id on line 6 (`  - id: pmc-ja`).
  await page.keyboard.press('Control+G');
  await page.keyboard.type('6:11');
  await page.keyboard.press('Enter');
  await runCommand(page, 'Show or Focus Hover');
  const hover = page.locator('.monaco-hover-content', { hasText: 'Contribution' }).first();
  await hover.waitFor();
  assert.match(await hover.innerText(), /Fraction: 0\.5 → 13\.88B/);
  assert.match(await hover.innerText(), /Contribution: 13\.88B = 24\.11% of EnJa-Plus/);
  await shot('codelens-hover');
  await page.keyboard.press('Escape');
});

test('a broken recipe shows its diagnostics at the exact place', async () => {
  await openFile(page, 'broken.recipe.yaml');
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  const problems = page.locator('.markers-panel .monaco-list-row');
  await problems.filter({ hasText: 'language' }).first().waitFor();
  const text = (await problems.allInnerTexts()).join('\n');
  assert.match(
    text,
    /"sources\[0\]\.language" must be one of ja, en, parallel; got "jp"\s+Corpus Lab\s+\[Ln 6, Col 15\]/,
  );
  assert.match(
    text,
    /tokenizer "llm-jp-v2\.1" differs from parent "EnJa-Base"'s "llm-jp\/llm-jp-3-13b"[^\n]*\s+Corpus Lab\s+\[Ln 2, Col 12\]/,
  );
  await shot('diagnostics');
  await runCommand(page, 'View: Hide Panel');
});

test('Open Score Differences shows the paper’s numbers; exports write exactly the table shown', async () => {
  const model = toStudyPayload(await loadStudy(PAPER_STUDY));
  await runCommand(page, 'Corpus Lab: Open Score Differences');
  const frame = await webviewFrame(page, 'Score Differences');
  assert.deepEqual(await rowCells(frame, 'scores-table', 'IgakuQA'), [
    'IgakuQA',
    '0.0500',
    '0.0663',
    '0.0588',
    '0.0731',
    '0.0847',
    '0.0756',
  ]);
  assert.equal(
    await frame.locator('#scores-table tr[data-row="IgakuQA"] .best').getAttribute('data-col'),
    'EnJa-Balance',
  );
  const ja = await rowCells(frame, 'averages-table', 'Japanese');
  assert.equal(ja[model.corpora.indexOf('EnJa-Balance') + 1], '0.0430');
  assert.deepEqual(await rowCells(frame, 'table-one-table', 'EnJa-Balance'), ['EnJa-Balance', '0.475', '0.473']);
  await shot('score-differences');

  // Sort by a corpus, then export: the CSV is the sorted table, to full precision.
  await frame.locator('#scores-table button.sort[data-key="EnJa-Hybrid"]').click();
  await frame.locator('#scores-table th[aria-sort="descending"]').waitFor();
  await frame.locator('button[data-export="scores:csv"]').click();
  const csv = await waitForFile(path.join(server.workspace, 'exports'), 'scores.csv');
  const expected = toCsv(panelTable(model, 'scores', panelView.parse({ sortKey: 'EnJa-Hybrid', descending: true })));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(readFileSync(csv, 'utf8'), expected);

  await frame.locator('button[data-export="averages:png"]').click();
  const png = readFileSync(await waitForFile(path.join(server.workspace, 'exports'), 'averages.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 5000, `a real chart, not an empty canvas (${png.length} bytes)`);
});

test('Open Partial Correlations: regular IgakuQA ~ total tokens r = 0.915, p = 0.011; state survives hide/show', async () => {
  const model = toStudyPayload(await loadStudy(PAPER_STUDY));
  await runCommand(page, 'Corpus Lab: Open Partial Correlations');
  let frame = await webviewFrame(page, 'Partial Correlations');
  await frame.locator('#statistic').selectOption('total_tokens');
  await frame.locator('#mode').selectOption('regular');
  const cells = await rowCells(frame, 'tests-table', 'IgakuQA');
  // r, its 95 % Fisher-z interval, p.
  assert.deepEqual(cells.slice(0, 7), ['IgakuQA', 'Japanese', 'MCQA', '0.9148', '0.4010', '0.9908', '0.0106']);
  const bars = correlationBars(model.result, 'total_tokens', 'regular');
  assert.equal(await frame.locator('#bars .chart').getAttribute('data-rows'), String(bars.bars.length));
  await shot('correlations-regular');

  await frame.locator('#statistic').selectOption('japanese_ratio');
  await frame.locator('#mode').selectOption('partial');
  const table = testsTable(model.result, 'japanese_ratio', 'partial');
  const row = table.rows.find((r) => r[0] === 'IgakuQA')!;
  assert.deepEqual(
    await rowCells(frame, 'tests-table', 'IgakuQA'),
    row.map((c, j) => formatCell(c, table.columns[j])),
  );
  assert.match(await frame.locator('#covariates').innerText(), /Total token count, Parallel token ratio/);
  assert.equal(
    await frame.locator('#permutation-scheme').innerText(),
    'Permutation p-values (Freedman–Lane): exhaustive over all 720 orderings',
  );
  assert.equal(
    await frame.locator('#multiple-testing').innerText(),
    'Multiple testing: BH q and Holm p within one family per statistic (27 tests here)',
  );

  await frame.locator('button[data-export="bars:png"]').click();
  const png = readFileSync(
    await waitForFile(path.join(server.workspace, 'exports'), 'bars-japanese_ratio-partial.png'),
  );
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  await frame.locator('button[data-export="tests:latex"]').click();
  const tex = readFileSync(
    await waitForFile(path.join(server.workspace, 'exports'), 'tests-japanese_ratio-partial.tex'),
    'utf8',
  );
  assert.match(
    tex,
    /^% Corpus Lab export; needs \\usepackage\{booktabs\}\n\\begin\{table\}\[t\]\n\\centering\n\\caption\{Correlation tests --- Japanese token ratio \(partial\)\}\n\\label\{tab:correlation-tests-japanese-token-ratio-partial\}\n/,
  );
  assert.match(
    tex,
    /\nTask & Language & Category & Covariates & r & 95 \\% CI low & 95 \\% CI high & p \(df = n \$-\$ 2\) & /,
  );
  await shot('correlations-partial');

  // Hide (another tab in front) and show again: the page is rebuilt and must restore its view.
  await page.locator('.tab', { hasText: 'Score Differences' }).click();
  await page.locator('.tab', { hasText: 'Partial Correlations' }).click();
  frame = await webviewFrame(page, 'Partial Correlations');
  await frame.locator('#tests-table').waitFor();
  assert.equal(await frame.locator('#statistic').inputValue(), 'japanese_ratio');
  assert.equal(await frame.locator('#mode').inputValue(), 'partial');
  await frame.locator('#heatmaps canvas').first().waitFor();
  await frame.locator('#tasks-heatmap').scrollIntoViewIfNeeded();
  await shot('heatmaps');
});
