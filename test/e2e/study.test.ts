import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { JobRegistry } from '../../src/core/jobs/registry';
import { connection, type LoopbackCluster, loopbackCluster, sshProfile } from '../integration/cluster';
import { lineageOf, setupStudyTools, standInScore } from '../integration/studyCluster';
import { type CodeServer, ROOT, startCodeServer } from './codeServer';
import {
  launchBrowser,
  notification,
  openWorkbench,
  pickRecipes,
  runCommand,
  showViewContainer,
  webviewFrame,
} from './workbench';

/**
 * A study from the command palette of a real VS Code against the loopback cluster: three tiny
 * recipes launched through the paper's whole pipeline (the base model converted once, per recipe
 * CPT → Megatron→HF → HF→NeMo → SFT → NeMo→HF → evaluation, and the base model's own branch), run
 * by the stand-ins that hold Megatron-LM's, NeMo's and med-eval's contracts; the Jobs tree followed
 * until Slurm says COMPLETED, a job's live log opened. Needs test/cluster/start.sh (run-tests.sh does it).
 */
let c: LoopbackCluster;
let server: CodeServer;
let browser: Browser;
let page: Page;
let dataRoot: string;
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');
const root = `corpus-lab-e2e-${Date.now().toString(36)}`;
const PREFIXES: Record<string, string[]> = {
  'Tiny-A': ['ja/tiny_a_text_document', 'en/tiny_a_text_document'],
  'Tiny-B': ['ja/tiny_b_text_document', 'en/tiny_b_text_document'],
  'Tiny-C': ['ja/tiny_c_text_document', 'parallel/tiny_c_text_document'],
};
// The base model: → NeMo, SFT, → HF, evaluation, and → Megatron once; per recipe CPT, → HF, → NeMo, SFT, → HF, evaluation.
const JOBS = 4 + 1 + 3 * 6;

before(async () => {
  c = loopbackCluster();
  const conn = connection(c);
  const tools = await setupStudyTools(conn, c.home, root, Object.values(PREFIXES).flat());
  dataRoot = tools.dataRoot;
  conn.dispose();
  const ws = mkdtempSync(path.join(tmpdir(), 'corpus-lab-study-'));
  cpSync(path.join(ROOT, 'test', 'fixtures', 'e2e-study'), ws, { recursive: true });
  server = await startCodeServer(ws, {
    'git.enabled': false,
    'corpusLab.dataRoot': tools.dataRoot,
    'corpusLab.clusters': [{ ...sshProfile(c), remoteRoot: root }],
    'corpusLab.jobs': { ...tools.jobs, trainIters: 12, pollSeconds: 2 },
  });
  rmSync(ws, { recursive: true, force: true });
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function reloadWorkbench() {
  await page.reload();
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.statusbar').waitFor();
}

/** Picks all three recipes and names the study, in the quick inputs Launch/Validate Study show. */
async function pickAllRecipes(study: string) {
  await pickRecipes(page, ['Tiny-A', 'Tiny-B', 'Tiny-C'], study, true);
}

test('Validate Study asks the installed tools about every option and Slurm about every job, submitting nothing', async () => {
  await runCommand(page, 'Corpus Lab: Validate Study with Slurm (sbatch --test-only)');
  await pickAllRecipes('e2e-check');
  const text = await notification(page, 'e2e-check', 120_000);
  assert.match(text, new RegExp(`All ${JOBS} jobs of e2e-check check out: 12 tools accept every option`), text);
  assert.match(text, /to start at/);
  await runCommand(page, 'Notifications: Clear All Notifications');
});

test('a pipeline that does not connect is refused in the editor before anything is submitted', async () => {
  const original = readFileSync(server.userSettings, 'utf8');
  const settings = JSON.parse(original);
  settings['corpusLab.jobs'] = {
    ...settings['corpusLab.jobs'],
    launchers: { ...settings['corpusLab.jobs'].launchers, 'hf-to-nemo': '' },
  };
  writeFileSync(server.userSettings, JSON.stringify(settings, null, 2));
  // And one dataset of Tiny-A's blend gone from the cluster (the cluster is this machine).
  const idx = path.join(dataRoot, 'ja', 'tiny_a_text_document.idx');
  renameSync(idx, `${idx}.away`);
  // A reload starts a new extension host, which reads the changed settings for certain.
  await reloadWorkbench();
  try {
    await runCommand(page, 'Corpus Lab: Launch Study (CPT → SFT → Evaluation)');
    await pickAllRecipes('e2e-broken');
    const text = await notification(page, 'Study e2e-broken was not submitted', 60_000);
    assert.match(
      text,
      new RegExp(
        `cpt/Tiny-A: the blend's dataset ${dataRoot}/ja/tiny_a_text_document is missing on the cluster \\(no ${dataRoot}/ja/tiny_a_text_document\\.idx\\)`,
      ),
    );
    assert.match(
      text,
      /the base model gives a Hugging Face model, but sft consumes a NeMo model \(\.nemo\): configure a launcher for hf-to-nemo/,
    );
    assert.match(
      text,
      /cpt gives a Megatron checkpoint, but sft consumes a NeMo model \(\.nemo\): configure a launcher for hf-to-nemo/,
    );
    const registry = new JobRegistry(path.join(server.workspace, '.corpus-lab', 'jobs.json'));
    await registry.load();
    assert.equal(registry.all().length, 0, 'nothing was submitted or recorded');
  } finally {
    renameSync(`${idx}.away`, idx);
    writeFileSync(server.userSettings, original);
    await reloadWorkbench();
    await runCommand(page, 'Notifications: Clear All Notifications');
  }
});

test('Launch Study from the palette: the plan confirmed, 23 jobs submitted as one dependency graph, all COMPLETED', async () => {
  await runCommand(page, 'Corpus Lab: Launch Study (CPT → SFT → Evaluation)');
  await pickAllRecipes('e2e-study');
  // The plan, confirmed before anything is submitted: three CPT jobs of 12 iterations × 1024 × 4096
  // tokens, 6 · 13e9 · tokens FLOPs at the paper's 282 TFLOP/s per GPU, checked by hand here.
  const gpuHours = (3 * 6 * 13e9 * 12 * 1024 * 4096) / ((6 * 13e9 * 80e9) / (24 * 3600 * 256)) / 3600;
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Submit study e2e-study' });
  await dialog.waitFor({ timeout: 60_000 });
  const plan = await dialog.innerText();
  assert.match(
    plan,
    new RegExp(`Submit study e2e-study: ${JOBS} jobs, ≈ ${Math.round(gpuHours)} GPU-hours of continued pretraining\\?`),
  );
  assert.match(
    plan,
    /cpt\/Tiny-B: 1 node\(s\) × 4 GPU\(s\) · limit 10:00 · 0\.05B tokens ≈ 4 GPU-hours · after hf-to-megatron\/base/,
  );
  // What was checked before anything is submitted, and where Slurm would start each CPT job.
  assert.match(plan, /Checked: the 6 datasets of the blends are on the cluster \(\.idx and \.bin\)/);
  assert.match(plan, /Checked: \S*pretrain_gpt\.py \(cpt\): all options accepted/);
  assert.match(plan, new RegExp(`Checked: Slurm accepts all ${JOBS} jobs \\(sbatch --test-only\\)`));
  for (const recipe of Object.keys(PREFIXES))
    assert.match(
      plan,
      new RegExp(
        `Expected start of cpt/${recipe} alone: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d on \\S+ \\(partition \\w+\\)`,
      ),
    );
  await page.screenshot({ path: path.join(SHOTS, 'study-plan.png') });
  assert.match(plan, /And 4 × hf-to-nemo, 4 × sft, 4 × nemo-to-hf, 4 × eval, 1 × hf-to-megatron, 3 × megatron-to-hf\./);
  await dialog.locator('.monaco-button', { hasText: 'Submit' }).dispatchEvent('click');

  await showViewContainer(page, 'Corpus Lab');
  const jobRows = page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row');
  // The view lists more jobs than fit on screen (it renders only the visible rows): the registry the
  // view shows says when all are done; then every row on screen must say COMPLETED.
  const registryFile = path.join(server.workspace, '.corpus-lab', 'jobs.json');
  const completed = () => {
    try {
      return (JSON.parse(readFileSync(registryFile, 'utf8')).jobs as { study: string; state: string }[]).filter(
        (j) => j.study === 'e2e-study' && j.state === 'COMPLETED',
      ).length;
    } catch {
      return 0;
    }
  };
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && completed() < JOBS) await page.waitForTimeout(1000);
  assert.equal(completed(), JOBS);
  await page.waitForTimeout(3000);
  const texts = await jobRows.allInnerTexts();
  await page.screenshot({ path: path.join(SHOTS, 'jobs-tree.png') });
  const jobTexts = texts.filter((t) => /#\d+ · /.test(t));
  assert.ok(jobTexts.length >= 8, texts.join('\n'));
  assert.deepEqual(
    jobTexts.filter((t) => !/COMPLETED/.test(t)),
    [],
    texts.join('\n'),
  );
  assert.ok(texts.some((t) => /^e2e-study/.test(t)));
  assert.ok(texts.some((t) => /Continued pretraining/.test(t)));

  // The registry in the workspace holds the same graph: each job after the one that made its input.
  const registry = new JobRegistry(path.join(server.workspace, '.corpus-lab', 'jobs.json'));
  await registry.load();
  const jobs = registry.all();
  assert.equal(jobs.length, JOBS);
  const after: Record<string, string> = {
    cpt: 'hf-to-megatron',
    'megatron-to-hf': 'cpt',
    'hf-to-nemo': 'megatron-to-hf',
    sft: 'hf-to-nemo',
    'nemo-to-hf': 'sft',
    eval: 'nemo-to-hf',
  };
  for (const j of jobs.filter((x) => x.model !== 'base')) {
    const dep = registry.get(j.dependsOn[0])!;
    assert.equal(dep.stage, after[j.stage], j.name);
    assert.equal(dep.model, j.stage === 'cpt' ? 'base' : j.model);
    assert.ok(j.sbatch.includes(`--dependency=afterok:${dep.jobId}`));
  }
  const cpt = jobs.find((j) => j.stage === 'cpt' && j.model === 'Tiny-B')!;
  assert.ok(cpt.sbatch.some((a) => a.endsWith('/job.sbatch')));
});

test('a job’s log opens as a live document with the iterations in it', async () => {
  const row = page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row', { hasText: 'Tiny-B' }).first();
  await row.click();
  const editor = page.locator('.editor-instance .view-lines');
  await page.locator('.tab.active', { hasText: 'Tiny-B.log' }).waitFor();
  await editor.filter({ hasText: 'iteration' }).first().waitFor();
  // The log is longer than the screen: go to its end, where the last iterations are.
  await editor.first().click();
  await page.keyboard.press('Control+End');
  await editor.filter({ hasText: 'after training is done' }).first().waitFor();
  const text = await editor.first().innerText();
  assert.match(text, /iteration\s+12\/\s+12/);
  await page.screenshot({ path: path.join(SHOTS, 'job-log.png') });
});

test('the training chart of a CPT job plots the iterations of its log', async () => {
  const row = page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row', { hasText: 'Tiny-B' }).first();
  await row.hover();
  await row.locator('.action-label[aria-label="Open Training Chart"]').click();
  const frame = await webviewFrame(page, 'Training: Tiny-B');
  await frame.locator('#count', { hasText: '12 iterations' }).waitFor();
  assert.equal(await frame.locator('h1').innerText(), 'e2e-study/cpt/Tiny-B');
  // Every curve has each of the 12 iterations: loss and grad norm above, learning rate and throughput below.
  assert.equal(
    await frame.locator('.chart:has(#training-chart)').getAttribute('data-points'),
    'lm loss 12, grad norm 12',
  );
  assert.equal(
    await frame.locator('.chart:has(#schedule-chart)').getAttribute('data-points'),
    'learning rate 12, throughput 12',
  );
  // Loss on a log axis and the smoothing weight are the page's view: set, the charts are redrawn with them.
  await frame.locator('#log-loss').check();
  await frame.locator('#smoothing').fill('0.9');
  await frame.locator('#smoothing-value', { hasText: '0.90' }).waitFor();
  assert.ok(await frame.locator('#log-loss').isChecked());
  await page.screenshot({ path: path.join(SHOTS, 'training-chart.png') });
});

/** The number med-eval's stand-in writes for a model and task: a function of the artifacts that reached it. */
function fakeScore(model: string, task: string, shots = 3): number {
  return standInScore(
    lineageOf('llm-jp-3-13b', model === 'base' ? undefined : { prefixes: PREFIXES[model], iterations: 12 }),
    task,
    shots,
  );
}

test('Fetch Results, then the panels show the analysis of exactly the numbers the test programs wrote', async () => {
  await runCommand(page, 'Corpus Lab: Fetch Results');
  const fetched = await notification(page, 'Fetched 36 result files of e2e-study');
  assert.match(fetched, /Wrote results\/e2e-study\/study\.yaml\./);
  // The fetched folder is a study of its own: its study.yaml, and the composition of the recipes it trained on.
  const study = readFileSync(path.join(server.workspace, 'results', 'e2e-study', 'study.yaml'), 'utf8');
  assert.match(study, /^results: \.$/m);
  assert.match(study, /^corpora:\n {2}- Tiny-A\n {2}- Tiny-B\n {2}- Tiny-C$/m);
  assert.match(study, /^composition: composition\.csv$/m);
  const csv = readFileSync(
    path.join(server.workspace, 'results', 'e2e-study', 'Tiny-B', '3-shot', 'mcqa-ja.csv'),
    'utf8',
  );
  assert.ok(csv.includes(`igakuqa,mcqa_with_options_jp,${fakeScore('Tiny-B', 'igakuqa')},`), csv);

  // "Open in Panels" names the study in the workspace's settings and opens it.
  // In its toast, or in the notification centre if the wait for it opened that.
  await page
    .locator('.notification-toast, .notifications-center .notification-list-item', {
      hasText: 'Fetched 36 result files of e2e-study',
    })
    .first()
    .locator('.monaco-button', { hasText: 'Open in Panels' })
    .click();
  const frame = await webviewFrame(page, 'Score Differences');
  const wsSettings = JSON.parse(readFileSync(path.join(server.workspace, '.vscode', 'settings.json'), 'utf8'));
  assert.equal(wsSettings['corpusLab.study'], path.join('results', 'e2e-study'));
  const row = frame.locator('#scores-table tbody tr[data-row="IgakuQA"]');
  await row.waitFor();
  const cells = await row.locator('th, td').allInnerTexts();
  const expected = ['Tiny-A', 'Tiny-B', 'Tiny-C'].map((m) =>
    (fakeScore(m, 'igakuqa') - fakeScore('base', 'igakuqa')).toFixed(4),
  );
  assert.deepEqual(
    cells.map((c) => c.replace(' ★', '')),
    ['IgakuQA', ...expected],
  );
  // 27 tasks: every family's CSV was parsed (MT's BLEU normalised from 0–100).
  assert.equal(await frame.locator('#scores-table tbody tr[data-row]').count(), 27);
  const mt = await frame.locator('#scores-table tbody tr[data-row="EJMMT-Ja"] td').first().innerText();
  assert.equal(
    mt.replace(' ★', ''),
    (fakeScore('Tiny-A', 'ejmmt-en2ja') - fakeScore('base', 'ejmmt-en2ja')).toFixed(4),
  );
  const title = await row.locator('td').first().getAttribute('title');
  assert.match(
    title ?? '',
    /after: Tiny-A\/3-shot\/mcqa-ja\.csv:\d+ \(mcqa_with_options_jp\) = [\d.]+\njob \d+ on loopback \(e2e-study\/eval\/Tiny-A\)/,
  );
  assert.match(await frame.locator('header').innerText(), /3-shot, mean over templates/);
  await page.screenshot({ path: path.join(SHOTS, 'study-scores.png') });

  await runCommand(page, 'Corpus Lab: Open Partial Correlations');
  const corr = await webviewFrame(page, 'Partial Correlations');
  // Three corpora, two covariates: no partial r, so the panel opens in regular and says why once.
  await corr.locator('#tests-table').waitFor();
  assert.equal(await corr.locator('#mode').inputValue(), 'regular');
  assert.match(
    await corr.locator('#partial-unavailable').innerText(),
    /^Partial correlations are not available for this statistic: too few corpora: n = 3 with 2 covariates leaves n − 2 − k = -1 degrees of freedom$/,
  );
  await corr.locator('#mode').selectOption('regular');
  await corr.locator('#statistic').selectOption('japanese_ratio');
  const tests = await corr.locator('#tests-table tbody tr[data-row="IgakuQA"]').locator('th, td').allInnerTexts();
  assert.equal(tests[0], 'IgakuQA');
  assert.match(tests[3], /^-?[01]\.\d{4}$/);
  await page.screenshot({ path: path.join(SHOTS, 'study-correlations.png') });
});

test('fetching again keeps a locally changed file instead of overwriting it', async () => {
  const file = path.join(server.workspace, 'results', 'e2e-study', 'base', '3-shot', 'sts.csv');
  writeFileSync(file, 'Task,Template,Pearson\njcsts,edited-by-hand,0.5\n');
  await runCommand(page, 'Corpus Lab: Fetch Results');
  await notification(page, 'Fetched 1 result files of e2e-study (35 unchanged, 1 older versions kept).');
  const kept = readdirSync(path.dirname(file)).filter((f) => f.startsWith('sts.csv.') && f.endsWith('.bak'));
  assert.equal(kept.length, 1);
  assert.equal(
    readFileSync(path.join(path.dirname(file), kept[0]), 'utf8'),
    'Task,Template,Pearson\njcsts,edited-by-hand,0.5\n',
  );
  assert.match(readFileSync(file, 'utf8'), /^Task,Template,Pearson\njcsts,sts_as_nli_jp,/);
});

test('after a window reload the training chart comes back, following its job, in the view it had', async () => {
  await reloadWorkbench();
  await page.locator('.tab', { hasText: 'Training: Tiny-B' }).first().click();
  const frame = await webviewFrame(page, 'Training: Tiny-B');
  await frame.locator('#count', { hasText: '12 iterations' }).waitFor();
  assert.equal(await frame.locator('h1').innerText(), 'e2e-study/cpt/Tiny-B');
  assert.ok(await frame.locator('#log-loss').isChecked());
  assert.equal(await frame.locator('#smoothing-value').innerText(), '0.90');
});
