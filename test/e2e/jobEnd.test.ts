import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { formatGpuHours, gpuHours } from '../../src/core/jobs/present';
import { JobRegistry } from '../../src/core/jobs/registry';
import { connection, type LoopbackCluster, loopbackCluster, sshProfile } from '../integration/cluster';
import { setupStudyTools } from '../integration/studyCluster';
import { type CodeServer, ROOT, startCodeServer } from './codeServer';
import { launchBrowser, notification, openWorkbench, pickRecipes, runCommand, showViewContainer } from './workbench';

/**
 * Word when a job ends, in a real VS Code: a study (the whole pipeline, through the tools'
 * stand-ins) whose CPT launcher fails. The failure raises a
 * notification naming the job and why, whose "Open Log" opens the job's log; when the study's last
 * job ends, one notification sums it up with "Fetch Results". With MinJobAge at 2 s (run-tests.sh),
 * the dependants' ends are read after squeue has forgotten them.
 */
let c: LoopbackCluster;
let server: CodeServer;
let browser: Browser;
let page: Page;
const SHOTS = path.join(ROOT, '.test-run', 'screenshots');
const study = 'e2e-fail';

before(async () => {
  c = loopbackCluster();
  const root = `corpus-lab-e2e-fail-${Date.now().toString(36)}`;
  const conn = connection(c);
  const tools = await setupStudyTools(conn, c.home, root, ['ja/tiny_a_text_document', 'en/tiny_a_text_document']);
  conn.dispose();
  const jobs = tools.jobs as { launchers: Record<string, string>; resources: Record<string, Record<string, unknown>> };
  server = await startCodeServer(path.join(ROOT, 'test', 'fixtures', 'e2e-study'), {
    'git.enabled': false,
    'corpusLab.dataRoot': tools.dataRoot,
    'corpusLab.clusters': [{ ...sshProfile(c), remoteRoot: root }],
    'corpusLab.jobs': {
      ...tools.jobs,
      // CPT fails at once (on 2 GPUs, TP × PP = 2 × 2 dividing them is not asked of `false`); the rest runs the stand-ins.
      launchers: { ...jobs.launchers, cpt: 'false' },
      // `false` has no options to ask about: Launch Study's tool check is off for CPT here.
      checks: { cpt: 'none' },
      resources: { ...jobs.resources, cpt: { partition: 'gpu', gpusPerNode: 4, timeLimit: '10:00' } },
      trainIters: 4,
      pollSeconds: 2,
    },
  });
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a failed job raises a notification naming it and why; its "Open Log" opens the log; the study’s end is summed up', async () => {
  await runCommand(page, 'Corpus Lab: Launch Study (CPT → SFT → Evaluation)');
  await pickRecipes(page, ['Tiny-A'], study);
  // The plan, then Submit.
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Submit study ${study}` });
  await dialog.waitFor({ timeout: 60_000 });
  await dialog.locator('.monaco-button', { hasText: 'Submit' }).dispatchEvent('click');
  await showViewContainer(page, 'Corpus Lab');

  const failure = `Job ${study}/cpt/Tiny-A failed`;
  const text = await notification(page, failure, 120_000);
  assert.ok(text.split('\n').includes(`${failure} (exit 1).`), text);
  await page.screenshot({ path: path.join(SHOTS, 'job-failed-notification.png') });
  const toast = page.locator('.notification-toast', { hasText: failure }).first();
  await toast.locator('.monaco-button', { hasText: 'Open Log' }).click();
  await page.locator('.tab.active', { hasText: 'Tiny-A.log' }).waitFor();

  const summary = await notification(page, `Study ${study} has ended:`, 120_000);
  // The base model's branch and the base conversion completed; CPT failed; the five jobs after it were cancelled.
  assert.match(summary, /Fetch Results/);

  // Every job's final state is in the registry, with its end; none is UNKNOWN; the summary sums them.
  const registry = new JobRegistry(path.join(server.workspace, '.corpus-lab', 'jobs.json'));
  await registry.load();
  const states = registry
    .all()
    .map((j) => `${j.stage}/${j.model}: ${j.state}${j.reason === 'DependencyNeverSatisfied' ? ' (dependency)' : ''}`)
    .sort();
  assert.deepEqual(states, [
    'cpt/Tiny-A: FAILED',
    'eval/Tiny-A: CANCELLED (dependency)',
    'eval/base: COMPLETED',
    'hf-to-megatron/base: COMPLETED',
    'hf-to-nemo/Tiny-A: CANCELLED (dependency)',
    'hf-to-nemo/base: COMPLETED',
    'megatron-to-hf/Tiny-A: CANCELLED (dependency)',
    'nemo-to-hf/Tiny-A: CANCELLED (dependency)',
    'nemo-to-hf/base: COMPLETED',
    'sft/Tiny-A: CANCELLED (dependency)',
    'sft/base: COMPLETED',
  ]);
  assert.ok(
    summary
      .split('\n')
      .includes(
        `Study ${study} has ended: 5 completed, 1 failed, 5 cancelled, ${formatGpuHours(gpuHours(registry.all()))}.`,
      ),
    summary,
  );
  const cpt = registry.all().find((j) => j.stage === 'cpt')!;
  assert.deepEqual([cpt.end?.exitCode, cpt.end?.gpus], [1, 4]);
  const rows = await page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row').allInnerTexts();
  assert.ok(
    rows.some((r) => r.startsWith(study) && /GPU-hours/.test(r)),
    rows.join('\n'),
  );
  assert.ok(
    rows.every((r) => !/UNKNOWN/.test(r)),
    rows.join('\n'),
  );
});
