import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LocalTransport } from '../../src/core/cluster/localTransport';
import { JobRegistry } from '../../src/core/jobs/registry';
import { type LoopbackCluster, loopbackCluster } from '../integration/cluster';
import { setupStudyTools } from '../integration/studyCluster';
import { type CodeServer, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, openWorkbench, pickRecipes, runCommand, showViewContainer } from './workbench';

/**
 * The editor on the login node (what Remote-SSH gives): a `local` profile, so that sbatch, squeue
 * and the job's files are reached as child processes and direct file reads of the machine the
 * extension host runs on — here the loopback cluster's, whose Slurm client commands are local
 * (SLURM_CONF in the environment, as run-tests.sh's local pass has it). A one-recipe study launched
 * from the palette runs to COMPLETED in the Jobs view, a log opens, and the CLI in a terminal reads
 * the same registry and shows the same jobs; a study the CLI launches shows in the Jobs view.
 */
let c: LoopbackCluster;
let server: CodeServer;
let browser: Browser;
let page: Page;
let home: string;
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');
const study = 'e2e-local';
const PROFILE = 'login-node';
// The base model: → NeMo, SFT, → HF, evaluation, and → Megatron once; for Tiny-A CPT, → HF, → NeMo, SFT, → HF, evaluation.
const JOBS = 4 + 1 + 6;

before(async () => {
  c = loopbackCluster();
  // The login node's Slurm: its client commands read this configuration, in the editor as in the terminal.
  process.env.SLURM_CONF = c.slurmConf;
  server = await startCodeServer(path.join(ROOT, 'test', 'fixtures', 'e2e-study'), { 'git.enabled': false });
  // The tools go where the editor's jobs look for them: the HOME code-server runs with, which sbatch exports.
  home = path.join(path.dirname(server.workspace), 'home');
  const root = `corpus-lab-e2e-local-${Date.now().toString(36)}`;
  const setup = new LocalTransport('setup', { home, env: { HOME: home, SLURM_CONF: c.slurmConf } });
  const tools = await setupStudyTools(setup, home, root, [
    'ja/tiny_a_text_document',
    'en/tiny_a_text_document',
    'ja/tiny_b_text_document',
    'en/tiny_b_text_document',
  ]);
  setup.dispose();
  // Written before the workbench opens, so the extension host starts with them.
  writeFileSync(
    server.userSettings,
    JSON.stringify(
      {
        ...JSON.parse(readFileSync(server.userSettings, 'utf8')),
        'corpusLab.dataRoot': tools.dataRoot,
        // Absolute, so that the CLI (any HOME) finds the same run directories as the editor.
        'corpusLab.clusters': [{ name: PROFILE, kind: 'local', remoteRoot: `${home}/${root}` }],
        'corpusLab.jobs': { ...tools.jobs, trainIters: 4, pollSeconds: 2 },
      },
      null,
      2,
    ),
  );
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The jobs of `name` in the registry the editor writes, by state. */
function registryStates(name = study): string[] {
  try {
    const jobs = JSON.parse(readFileSync(path.join(server.workspace, '.corpus-lab', 'jobs.json'), 'utf8')).jobs;
    return (jobs as { study: string; state: string }[]).filter((j) => j.study === name).map((j) => j.state);
  } catch {
    return [];
  }
}

/** Until every job of `name` is COMPLETED, or one failed, or 4 minutes passed. */
async function untilEnded(name: string) {
  const deadline = Date.now() + 240_000;
  const done = () => registryStates(name).filter((s) => s === 'COMPLETED').length;
  const ended = () => registryStates(name).some((s) => s === 'FAILED' || s === 'CANCELLED');
  while (Date.now() < deadline && done() < JOBS && !ended()) await page.waitForTimeout(1000);
}

/** The CLI in a terminal on the same machine: the same HOME and Slurm as the editor, the user's settings file. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [CLI, ...args, '--workspace', server.workspace, '--config', server.userSettings],
      { env: { ...process.env, HOME: home } },
      (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const jobsPane = () => page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row');

test('a local profile launches a study from the palette; the Jobs view follows it to COMPLETED; a log opens', async () => {
  await runCommand(page, 'Corpus Lab: Launch Study (CPT → SFT → Evaluation)');
  await pickRecipes(page, ['Tiny-A'], study);
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Submit study ${study}` });
  await dialog.waitFor({ timeout: 60_000 });
  assert.match(await dialog.innerText(), new RegExp(`Submit study ${study}: ${JOBS} jobs`));
  await dialog.locator('.monaco-button', { hasText: 'Submit' }).dispatchEvent('click');
  await showViewContainer(page, 'Corpus Lab');

  await untilEnded(study);
  assert.deepEqual(
    registryStates(),
    Array.from({ length: JOBS }, () => 'COMPLETED'),
  );
  await page.waitForTimeout(3000);
  const rows = await jobsPane().allInnerTexts();
  const jobRows = rows.filter((t) => /#\d+ · /.test(t));
  assert.ok(jobRows.length >= 4, rows.join('\n'));
  assert.deepEqual(
    jobRows.filter((t) => !/COMPLETED/.test(t)),
    [],
    rows.join('\n'),
  );
  assert.ok(
    rows.some((t) => t.startsWith(study)),
    rows.join('\n'),
  );
  await page.screenshot({ path: path.join(SHOTS, 'local-profile-jobs.png') });

  // The CPT job's log, read from this machine's disk by the local transport.
  const row = jobsPane().filter({ hasText: 'Tiny-A' }).first();
  await row.click();
  await page.locator('.tab.active', { hasText: 'Tiny-A.log' }).waitFor();
  const editor = page.locator('.editor-instance .view-lines');
  await editor.filter({ hasText: 'iteration' }).first().waitFor();
  await editor.first().click();
  await page.keyboard.press('Control+End');
  await editor.filter({ hasText: 'after training is done' }).first().waitFor();
  assert.match(await editor.first().innerText(), /iteration\s+4\/\s+4/);
  // No connection was asked for: nothing about SSH or host keys.
  assert.equal(await page.locator('.notification-toast', { hasText: /host key|SSH/ }).count(), 0);
});

test('the CLI in a terminal reads the registry the editor wrote: the same jobs, ids and states', async () => {
  const registry = new JobRegistry(path.join(server.workspace, '.corpus-lab', 'jobs.json'));
  await registry.load();
  const inEditor = registry
    .all()
    .map((j) => `${j.cluster} ${j.tag} #${j.jobId} ${j.state}`)
    .sort();
  assert.equal(inEditor.length, JOBS);
  const { code, stdout, stderr } = await cli('jobs', '--json', '--study', study);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
  const inTerminal = (JSON.parse(stdout) as { cluster: string; tag: string; jobId: string; state: string }[])
    .map((j) => `${j.cluster} ${j.tag} #${j.jobId} ${j.state}`)
    .sort();
  assert.deepEqual(inTerminal, inEditor);
  assert.ok(
    inTerminal.every((j) => j.startsWith(`${PROFILE} `) && j.endsWith(' COMPLETED')),
    inTerminal.join('\n'),
  );
});

test('a study launched in the terminal shows in the Jobs view, which follows it to COMPLETED', async () => {
  const terminal = 'e2e-terminal';
  const launch = await cli('study', 'launch', 'Tiny-B', '--study', terminal, '--yes', '--json');
  assert.equal(launch.code, 0, launch.stderr);
  assert.equal((JSON.parse(launch.stdout) as unknown[]).length, JOBS);
  await jobsPane().filter({ hasText: terminal }).first().waitFor({ timeout: 30_000 });
  // Nothing but the editor polls now: the registry reaching COMPLETED says the editor took the jobs up.
  await untilEnded(terminal);
  assert.deepEqual(
    registryStates(terminal),
    Array.from({ length: JOBS }, () => 'COMPLETED'),
  );
  assert.deepEqual(
    registryStates(study),
    Array.from({ length: JOBS }, () => 'COMPLETED'),
    'the first study is kept',
  );
});
