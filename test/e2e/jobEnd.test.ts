import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { formatGpuHours, gpuHours } from '../../src/core/jobs/present';
import { JobRegistry } from '../../src/core/jobs/registry';
import { loopbackCluster, type LoopbackCluster } from '../integration/cluster';
import { ROOT, startCodeServer, type CodeServer } from './codeServer';
import { launchBrowser, notification, openWorkbench, runCommand, showViewContainer } from './workbench';

/**
 * Word when a job ends, in a real VS Code: a study whose CPT launcher fails. The failure raises a
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
  server = await startCodeServer(path.join(ROOT, 'test', 'fixtures', 'e2e-study'), {
    'git.enabled': false,
    'corpusLab.dataRoot': '/data/corpora',
    'corpusLab.clusters': [{ name: 'loopback', host: c.host, port: c.port, user: c.user, identityFiles: [c.key], knownHostsFiles: [c.knownHosts], useAgent: false, remoteRoot: `corpus-lab-e2e-fail-${Date.now().toString(36)}` }],
    'corpusLab.jobs': {
      // CPT fails at once; SFT and evaluation of the base model only print.
      launchers: { cpt: 'false', sft: 'echo', eval: 'echo' },
      resources: { cpt: { partition: 'gpu', gpusPerNode: 2, timeLimit: '10:00' }, sft: { partition: 'gpu', gpusPerNode: 1 }, eval: { partition: 'gpu', gpusPerNode: 1 } },
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
  const input = page.locator('.quick-input-widget input.input');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Tiny-A' }).waitFor();
  await page.locator('.quick-input-widget .monaco-checkbox[aria-label="Tiny-A"]').click();
  await page.locator('.quick-input-widget .monaco-checkbox[aria-label="Tiny-A"][aria-checked="true"]').waitFor();
  await input.press('Enter');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: 'Study name' }).waitFor();
  await input.fill(study);
  await input.press('Enter');
  await showViewContainer(page, 'Corpus Lab');

  const failure = `Job ${study}/cpt/Tiny-A failed`;
  const text = await notification(page, failure, 120_000);
  assert.ok(text.split('\n').includes(`${failure} (exit 1).`), text);
  await page.screenshot({ path: path.join(SHOTS, 'job-failed-notification.png') });
  const toast = page.locator('.notification-toast', { hasText: failure }).first();
  await toast.locator('.monaco-button', { hasText: 'Open Log' }).click();
  await page.locator('.tab.active', { hasText: 'Tiny-A.log' }).waitFor();

  const summary = await notification(page, `Study ${study} has ended:`, 120_000);
  assert.match(summary, /Fetch Results/);

  // Every job's final state is in the registry, with its end; none is UNKNOWN; the summary sums them.
  const registry = new JobRegistry(path.join(server.workspace, '.corpus-lab', 'jobs.json'));
  await registry.load();
  const states = registry.all().map((j) => `${j.stage}/${j.model}: ${j.state}${j.reason === 'DependencyNeverSatisfied' ? ' (dependency)' : ''}`).sort();
  assert.deepEqual(states, ['cpt/Tiny-A: FAILED', 'eval/Tiny-A: CANCELLED (dependency)', 'eval/base: COMPLETED', 'sft/Tiny-A: CANCELLED (dependency)', 'sft/base: COMPLETED']);
  assert.ok(summary.split('\n').includes(`Study ${study} has ended: 2 completed, 1 failed, 2 cancelled, ${formatGpuHours(gpuHours(registry.all()))}.`), summary);
  const cpt = registry.all().find((j) => j.stage === 'cpt')!;
  assert.deepEqual([cpt.end?.exitCode, cpt.end?.gpus], [1, 2]);
  const rows = await page.locator('.pane:has(.pane-header:has-text("Jobs")) .monaco-list-row').allInnerTexts();
  assert.ok(rows.some((r) => r.startsWith(study) && /GPU-hours/.test(r)), rows.join('\n'));
  assert.ok(rows.every((r) => !/UNKNOWN/.test(r)), rows.join('\n'));
});
