import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connection, type LoopbackCluster, loopbackCluster } from '../integration/cluster';
import { setupStudyTools } from '../integration/studyCluster';
import { type CodeServer, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openWorkbench, pickRecipes, runCommand, showViewContainer, webviewFrame } from './workbench';

/**
 * Compare Runs in a real VS Code: a study of two recipes runs its CPT jobs on the stand-ins of the
 * loopback cluster; the command, given the two CPT jobs, opens the panel with both curves on each
 * chart, and the x-axis switched to tokens puts the first point at consumed samples × seq length.
 */
let c: LoopbackCluster;
let server: CodeServer;
let browser: Browser;
let page: Page;
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');
const study = 'e2e-compare';
const ITERATIONS = 12;
// The study's CPT script: a global batch of 1024 samples of 4096 tokens (the plan's figures in study.test.ts).
const GLOBAL_BATCH = 1024;
const SEQ_LENGTH = 4096;
// The base model's 4 jobs and → Megatron once; per recipe CPT, → HF, → NeMo, SFT, → HF, evaluation.
const JOBS = 4 + 1 + 2 * 6;
const RUN_TIMEOUT_MS = 300_000;
const SCREENSHOT_SIZE = { width: 1600, height: 1500 };
/** Chart.js redraws on a resize after its observer fires: a moment, not an event the test can wait for. */
const RESIZE_SETTLE_MS = 1000;

before(async () => {
  c = loopbackCluster();
  const root = `corpus-lab-e2e-compare-${Date.now().toString(36)}`;
  const conn = connection(c);
  const tools = await setupStudyTools(conn, c.home, root, [
    'ja/tiny_a_text_document',
    'en/tiny_a_text_document',
    'ja/tiny_b_text_document',
    'en/tiny_b_text_document',
  ]);
  conn.dispose();
  const ws = mkdtempSync(path.join(tmpdir(), 'corpus-lab-compare-'));
  cpSync(path.join(ROOT, 'test', 'fixtures', 'e2e-study'), ws, { recursive: true });
  server = await startCodeServer(ws, {
    'git.enabled': false,
    'corpusLab.dataRoot': tools.dataRoot,
    'corpusLab.clusters': [
      {
        name: 'loopback',
        host: c.host,
        port: c.port,
        user: c.user,
        identityFiles: [c.key],
        knownHostsFiles: [c.knownHosts],
        useAgent: false,
        remoteRoot: root,
      },
    ],
    'corpusLab.jobs': { ...tools.jobs, trainIters: ITERATIONS, pollSeconds: 2 },
  });
  rmSync(ws, { recursive: true, force: true });
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two CPT runs of a study compared: both curves on every chart, the x-axis switched to tokens', async () => {
  await runCommand(page, 'Corpus Lab: Launch Study (CPT → SFT → Evaluation)');
  await pickRecipes(page, ['Tiny-A', 'Tiny-B'], study);
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Submit study ${study}` });
  await dialog.waitFor({ timeout: 60_000 });
  await dialog.locator('.monaco-button', { hasText: 'Submit' }).dispatchEvent('click');
  await showViewContainer(page, 'Corpus Lab');
  const registryFile = path.join(server.workspace, '.corpus-lab', 'jobs.json');
  const completed = () => {
    try {
      return (JSON.parse(readFileSync(registryFile, 'utf8')).jobs as { study: string; state: string }[]).filter(
        (j) => j.study === study && j.state === 'COMPLETED',
      ).length;
    } catch {
      return 0;
    }
  };
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (Date.now() < deadline && completed() < JOBS) await page.waitForTimeout(1000);
  assert.equal(completed(), JOBS);

  // From the palette: the pick lists every CPT and SFT job that started; the two CPT jobs are ticked.
  await runCommand(page, 'Corpus Lab: Compare Runs');
  const input = page.locator('.quick-input-widget input.input');
  for (const recipe of ['Tiny-A', 'Tiny-B']) {
    const box = page.locator(`.quick-input-widget .monaco-checkbox[aria-label="${study}/cpt/${recipe}"]`);
    await box.click();
    await page
      .locator(`.quick-input-widget .monaco-checkbox[aria-label="${study}/cpt/${recipe}"][aria-checked="true"]`)
      .waitFor();
  }
  await input.press('Enter');

  const frame = await webviewFrame(page, 'Compare Runs');
  await frame.locator('#count', { hasText: `2 runs, ${2 * ITERATIONS} iterations` }).waitFor();
  const box = (id: string) => frame.locator(`.chart:has(#${id})`);
  for (const id of ['compare-loss', 'compare-lr', 'compare-grad-norm', 'compare-throughput']) {
    assert.equal(await box(id).getAttribute('data-datasets'), '2', id);
    assert.equal(await box(id).getAttribute('data-points'), `${ITERATIONS},${ITERATIONS}`, id);
    assert.equal(await box(id).getAttribute('data-first-x'), '1,1', id);
  }
  // Legend keyed by recipe, and one summary row per run with every iteration counted.
  const rows = await frame.locator('#compare-summary tr[data-run] td:first-child').allInnerTexts();
  assert.deepEqual(rows.sort(), ['Tiny-A', 'Tiny-B']);
  const iterations = await frame.locator('#compare-summary tr[data-run] td:nth-child(3)').allInnerTexts();
  assert.deepEqual(iterations, [String(ITERATIONS), String(ITERATIONS)]);

  await frame.locator('#x-axis').selectOption('samples');
  await box('compare-loss')
    .and(frame.locator(`[data-first-x="${GLOBAL_BATCH},${GLOBAL_BATCH}"]`))
    .waitFor();
  await frame.locator('#x-axis').selectOption('tokens');
  const firstTokens = GLOBAL_BATCH * SEQ_LENGTH;
  await box('compare-loss')
    .and(frame.locator(`[data-first-x="${firstTokens},${firstTokens}"]`))
    .waitFor();
  assert.equal(await box('compare-loss').getAttribute('data-points'), `${ITERATIONS},${ITERATIONS}`);
  assert.equal(await frame.locator('#unplaced').innerText(), '');
  await frame.locator('#log-loss').check();
  await frame.locator('#smoothing').fill('0.8');
  await frame.locator('#smoothing-value', { hasText: '0.80' }).waitFor();

  // The whole page in the screenshot: the four charts and the summaries, no notification over them.
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.setViewportSize(SCREENSHOT_SIZE);
  await frame.locator('#compare-summary').waitFor();
  await page.waitForTimeout(RESIZE_SETTLE_MS);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'compare-runs.png') });
  copyFileSync(path.join(SHOTS, 'compare-runs.png'), path.join(ROOT, 'docs', 'compare-runs.png'));
});
