import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { formatSlurmDuration } from '../../src/core/jobs/accounting';
import { checkSvg } from '../../src/core/report/svgCheck';
import { connection, type LoopbackCluster, loopbackCluster } from '../integration/cluster';
import { setupStudyTools } from '../integration/studyCluster';
import { type CodeServer, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openWorkbench, pickRecipes, runCommand, showViewContainer, webviewFrame } from './workbench';

/**
 * Compare Runs in a real VS Code: a study of two recipes runs its CPT jobs on the stand-ins of the
 * loopback cluster; the command, given the two CPT jobs, opens the panel with both curves on each
 * chart, and the x-axis switched to tokens puts the first point at consumed samples × seq length.
 * Each chart exports as a figure; a CPT job still running grows on the page while it is open, the
 * panel comes back after a window reload, and the run's summary gets its wall time when it ends.
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
/** The stand-in's hook: --train-iters 999999 trains (an iteration each ~0.05 s) until Slurm stops it. */
const FOREVER = 999_999;
const liveStudy = 'e2e-compare-live';
/**
 * The workbench keeps a page's state (getState/setState) with its editors and writes them on its
 * storage flush, every 5 s in code-server 4.100.3's browser storage service: a reload sooner would
 * restore the view of before.
 */
const STATE_SAVED_MS = 12_000;
/** Long enough for an export message to have been handled: the page says "Saved" the same for a new file and a reused one. */
const EXPORT_SETTLE_MS = 1000;

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
  // A run left training (a failed test) would hold the cluster's only node.
  const live = registryJobs().filter((j) => j.study === liveStudy && j.jobId);
  if (live.length) {
    const conn = connection(c);
    await conn.exec(['scancel', ...live.map((j) => j.jobId!)]).catch(() => undefined);
    conn.dispose();
  }
  await browser?.close();
  await server?.stop();
});

interface RegistryJob {
  tag: string;
  study: string;
  stage: string;
  model: string;
  state: string;
  jobId?: string;
  end?: { elapsedSeconds: number; gpus: number };
}

function registryJobs(): RegistryJob[] {
  try {
    return JSON.parse(readFileSync(path.join(server.workspace, '.corpus-lab', 'jobs.json'), 'utf8')).jobs;
  } catch {
    return [];
  }
}

async function until<T>(what: string, get: () => T | undefined, timeoutMs = RUN_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(500);
  }
}

async function reloadWorkbench() {
  await page.reload();
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.statusbar').waitFor();
}

/** The Compare Runs pick: ticks the named jobs (study/stage/recipe) and opens the panel. */
async function compare(labels: readonly string[]) {
  await runCommand(page, 'Corpus Lab: Compare Runs');
  for (const label of labels) {
    await page.locator(`.quick-input-widget .monaco-checkbox[aria-label="${label}"]`).click();
    await page.locator(`.quick-input-widget .monaco-checkbox[aria-label="${label}"][aria-checked="true"]`).waitFor();
  }
  await page.locator('.quick-input-widget input.input').press('Enter');
}

/** The lm-loss chart's point counts, one per run in the page's order. */
async function lossPoints(frame: Frame): Promise<number[]> {
  const v = await frame.locator('.chart:has(#compare-loss)').getAttribute('data-points');
  return (v ?? '').split(',').map(Number);
}

/** Waits until the live run (second on the page) has more than `than` points on the loss chart. */
async function grows(frame: Frame, than: number): Promise<number> {
  const handle = await frame.waitForFunction(
    (n) => {
      const v = document.querySelector('.chart:has(#compare-loss)')?.getAttribute('data-points') ?? '';
      const live = Number(v.split(',')[1] ?? 0);
      return live > n ? live : false;
    },
    than,
    { timeout: 60_000 },
  );
  return (await handle.jsonValue()) as number;
}

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
});

test('a chart exports as a figure named by its metric and x-axis: titled, light background; again, no copy', async () => {
  const frame = await webviewFrame(page, 'Compare Runs');
  const exports = path.join(server.workspace, 'exports');
  const stem = 'compare-runs-lm-loss-tokens';
  await frame.locator('button[data-export="lmLoss:svg"]').click();
  const file = path.join(exports, `${stem}.svg`);
  await until('the SVG', () => existsSync(file), 15_000);
  const svg = readFileSync(file, 'utf8');
  assert.equal(checkSvg(svg), svg);
  assert.ok(
    svg.includes('<title>Compare Runs: lm loss</title><rect x="0" y="0" width="700" height="360" fill="#ffffff"/>'),
    svg.slice(0, 300),
  );
  for (const text of ['Compare Runs: lm loss', 'consumed tokens', 'lm loss', 'Tiny-A', 'Tiny-B'])
    assert.ok(svg.includes(`>${text}</text>`), `the SVG lacks the text "${text}"`);
  // The same view again: the same bytes, so the export reuses the file instead of writing a -2 copy.
  await frame.locator('button[data-export="lmLoss:svg"]').click();
  await frame.locator('button[data-export="lmLoss:png"]').click();
  const png = path.join(exports, `${stem}.png`);
  await until('the PNG', () => existsSync(png), 15_000);
  await page.waitForTimeout(EXPORT_SETTLE_MS);
  assert.deepEqual(
    readdirSync(exports)
      .filter((f) => f.startsWith('compare-runs-'))
      .sort(),
    [`${stem}.png`, `${stem}.svg`],
  );
  // IHDR: three device pixels per CSS pixel.
  const bytes = readFileSync(png);
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [700 * 3, 360 * 3]);
});

test('a running CPT job grows on the page, comes back after a reload, and gets its wall time when it ends', async () => {
  // One panel at a time from here: the reload below restores what is open.
  await runCommand(page, 'View: Close All Editors');
  const original = readFileSync(server.userSettings, 'utf8');
  const settings = JSON.parse(original);
  settings['corpusLab.jobs'] = { ...settings['corpusLab.jobs'], trainIters: FOREVER };
  writeFileSync(server.userSettings, JSON.stringify(settings, null, 2));
  try {
    await page.waitForTimeout(STATE_SAVED_MS);
    await reloadWorkbench();
    await runCommand(page, 'Corpus Lab: Launch Study (CPT → SFT → Evaluation)');
    await pickRecipes(page, ['Tiny-A'], liveStudy);
    const dialog = page.locator('.monaco-dialog-box', { hasText: `Submit study ${liveStudy}` });
    await dialog.waitFor({ timeout: 60_000 });
    await dialog.locator('.monaco-button', { hasText: 'Submit' }).dispatchEvent('click');
  } finally {
    writeFileSync(server.userSettings, original);
  }
  const running = () => registryJobs().find((j) => j.study === liveStudy && j.stage === 'cpt' && j.state === 'RUNNING');
  const job = await until('the live CPT job to run', running);

  await compare([`${study}/cpt/Tiny-B`, `${liveStudy}/cpt/Tiny-A`]);
  let frame = await webviewFrame(page, 'Compare Runs');
  await frame.locator(`#compare-summary tr[data-run="${job.tag}"][data-live]`).waitFor();
  assert.equal(await frame.locator('#compare-summary tr[data-live]').count(), 1);
  // The finished run was read once (all of it); the live one's points come as its log grows.
  const first = await grows(frame, 0);
  assert.equal((await lossPoints(frame))[0], ITERATIONS);
  const later = await grows(frame, first);
  assert.ok(later > first);
  await frame.locator('#x-axis').selectOption('tokens');
  await frame
    .locator('.chart:has(#compare-loss)')
    .and(frame.locator(`[data-first-x^="${GLOBAL_BATCH * SEQ_LENGTH},"]`))
    .waitFor();

  // After a reload the panel is back with the same runs on the same axis, the live one followed again.
  await page.waitForTimeout(STATE_SAVED_MS);
  await reloadWorkbench();
  await page.locator('.tab', { hasText: 'Compare Runs' }).first().click();
  frame = await webviewFrame(page, 'Compare Runs');
  await frame.locator('#count', { hasText: '2 runs' }).waitFor();
  assert.equal(await frame.locator('#x-axis').inputValue(), 'tokens');
  const rows = await frame
    .locator('#compare-summary tr[data-run]')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')));
  assert.deepEqual(rows, [
    registryJobs().find((j) => j.study === study && j.stage === 'cpt' && j.model === 'Tiny-B')!.tag,
    job.tag,
  ]);
  await frame.locator(`#compare-summary tr[data-run="${job.tag}"][data-live]`).waitFor();
  const restored = await grows(frame, later);
  await grows(frame, restored);
  assert.equal((await lossPoints(frame))[0], ITERATIONS);
  assert.equal(await frame.locator('#missing li').count(), 0);

  // The run ends (cancelled, as a user stops a run): its row stops being live and shows what sacct said.
  const conn = connection(c);
  await conn.exec(['scancel', job.jobId!]);
  conn.dispose();
  await frame.locator('#compare-summary tr[data-live]').first().waitFor({ state: 'detached', timeout: 60_000 });
  const ended = await until('the end of the live job', () =>
    registryJobs().find((j) => j.tag === job.tag && j.end !== undefined),
  );
  const row = frame.locator(`#compare-summary tr[data-run="${job.tag}"]`);
  await row
    .locator('td:nth-child(8)', { hasText: formatSlurmDuration(ended.end!.elapsedSeconds) })
    .waitFor({ timeout: 30_000 });
  assert.equal(
    await row.locator('td:nth-child(9)').innerText(),
    ((ended.end!.elapsedSeconds * ended.end!.gpus) / 3600).toFixed(2),
  );

  // A run whose job has left the registry (removed by hand or from another window) is named on the
  // restored page, not dropped without a word; the other run comes back as before.
  const gone = registryJobs().find((j) => j.study === study && j.stage === 'cpt' && j.model === 'Tiny-B')!;
  const file = path.join(server.workspace, '.corpus-lab', 'jobs.json');
  const registry = JSON.parse(readFileSync(file, 'utf8')) as { jobs: RegistryJob[] };
  registry.jobs = registry.jobs.filter((j) => j.tag !== gone.tag);
  writeFileSync(`${file}.e2e`, JSON.stringify(registry));
  renameSync(`${file}.e2e`, file);
  await page.waitForTimeout(STATE_SAVED_MS);
  await reloadWorkbench();
  await page.locator('.tab', { hasText: 'Compare Runs' }).first().click();
  frame = await webviewFrame(page, 'Compare Runs');
  const missing = frame.locator('#missing li');
  await missing.first().waitFor();
  assert.deepEqual(await missing.allInnerTexts(), [
    `The job of run ${gone.tag} (study ${study}) is no longer in the job registry: it is not shown.`,
  ]);
  const left = await frame
    .locator('#compare-summary tr[data-run]')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')));
  assert.deepEqual(left, [job.tag]);
});
