import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildSentencePieceFixture } from '../unit/inspectFixture';
import { type CodeServer, paperWorkspace, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openFile, openWorkbench, runCommand } from './workbench';

/**
 * Inspect Dataset in a real VS Code, on the paper study's own layout: its recipes name
 * `ja/pmc-translated_text_document` and the tokenizer `llm-jp/llm-jp-3-13b`, which here are a
 * Megatron dataset and a directory holding a SentencePiece tokenizer.model, made by the test
 * (spm_train on the bilingual medical text). `en/pubmed-abstracts_text_document` deliberately holds
 * Japanese documents, so its "en" declaration is flagged.
 */
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');

let server: CodeServer;
let browser: Browser;
let page: Page;
let japanese: readonly string[];

before(async () => {
  const fixture = paperWorkspace();
  const made = buildSentencePieceFixture(mkdtempSync(path.join(tmpdir(), 'corpus-lab-e2e-spm-')));
  const ja = made.sources.find((s) => s.id === 'ja-guidelines')!;
  japanese = ja.texts;
  for (const target of ['ja/pmc-translated_text_document', 'en/pubmed-abstracts_text_document']) {
    mkdirSync(path.join(fixture.dir, path.dirname(target)), { recursive: true });
    for (const ext of ['idx', 'bin']) copyFileSync(`${ja.prefix}.${ext}`, path.join(fixture.dir, `${target}.${ext}`));
  }
  mkdirSync(path.join(fixture.dir, 'llm-jp', 'llm-jp-3-13b'), { recursive: true });
  copyFileSync(made.model, path.join(fixture.dir, 'llm-jp', 'llm-jp-3-13b', 'tokenizer.model'));
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

async function pick(label: string) {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor();
  await row.click();
}

test('Inspect Dataset from a CodeLens: lengths, percentiles and the first documents decoded exactly', async () => {
  await openFile(page, 'enja-plus.recipe.yaml');
  const lens = page.locator('.codelens-decoration a', { hasText: 'Inspect dataset' }).first();
  await lens.waitFor();
  await lens.click();
  await pick('First 10 documents');
  await page.locator('.tab.active[aria-label*="EnJa-Plus · pmc-ja"]').waitFor();
  const editor = page.locator('.editor-instance .view-lines').first();
  await editor.locator('.view-line', { hasText: 'documents  102' }).first().waitFor();
  // Monaco renders spaces as no-break spaces.
  const text = (await editor.innerText()).replace(/\u00a0/g, ' ');
  assert.match(text, /sequences\s+204/);
  assert.match(text, /language\s+declared ja; samples: Japanese script \d+\.\d %, Latin \d+\.\d %/);
  assert.match(text, /agrees with the declaration/);
  assert.ok(text.includes(japanese[0]), 'the first document decoded exactly');
  assert.ok(text.includes('── document 0: '), 'each sample has its heading');
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.screenshot({ path: path.join(SHOTS, 'inspect-dataset.png') });
});

test('a source declared "en" whose documents are Japanese gets a warning on its language', async () => {
  await runCommand(page, 'Corpus Lab: Inspect Dataset');
  const input = page.locator('.quick-input-widget input.input');
  await input.fill('en-pubmed-abstracts');
  await pick('en-pubmed-abstracts');
  await pick('Random sample of 10 (seed 0)');
  await page.locator('.tab.active[aria-label*="en-pubmed-abstracts"]').waitFor();
  await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  const problem = page
    .locator('.markers-panel .monaco-list-row', { hasText: 'declared "en" but its samples are mostly Japanese' })
    .first();
  await problem.waitFor();
  assert.match(
    (await problem.innerText()).replace(/\u00a0/g, ' '),
    /source "en-pubmed-abstracts": declared "en" but its samples are mostly Japanese \(Japanese script \d+\.\d %, Latin \d+\.\d % of \d+ letters; "en" needs Latin ≥ 50\.0 %\), in 10 sampled documents/,
  );
});
