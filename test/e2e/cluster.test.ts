import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type LoopbackCluster, loopbackCluster } from '../integration/cluster';
import { type CodeServer, paperWorkspace, startCodeServer } from './codeServer';
import { launchBrowser, notification, openWorkbench, runCommand } from './workbench';

/** Connecting from the editor to a host whose key is not yet known: the fingerprint is shown, and nothing connects until accepted. */
let c: LoopbackCluster;
let server: CodeServer;
let browser: Browser;
let page: Page;
let knownHosts: string;
let scratch: string;

before(async () => {
  c = loopbackCluster();
  scratch = mkdtempSync(path.join(tmpdir(), 'corpus-lab-hostkey-'));
  knownHosts = path.join(scratch, 'known_hosts');
  writeFileSync(knownHosts, '');
  const locked = path.join(scratch, 'id_locked');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', locked]);
  appendFileSync(`${c.home}/.ssh/authorized_keys`, readFileSync(`${locked}.pub`));
  const ws = paperWorkspace();
  server = await startCodeServer(ws.dir, {
    'git.enabled': false,
    'corpusLab.clusters': [
      {
        name: 'loopback',
        host: c.host,
        port: c.port,
        user: c.user,
        identityFiles: [c.key],
        knownHostsFiles: [knownHosts],
        useAgent: false,
      },
      {
        name: 'locked',
        host: c.host,
        port: c.port,
        user: c.user,
        identityFiles: [locked],
        knownHostsFiles: [c.knownHosts],
        useAgent: false,
      },
    ],
  });
  ws.remove();
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The status bar item of Corpus Lab's clusters; its accessible label lists each cluster's state. */
const CLUSTER_STATUS = '[id="corpus-lab.corpus-lab.corpusLab.cluster"]';

async function pickCluster(name: string) {
  const input = page.locator('.quick-input-widget input.input');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await input.fill(name);
  await input.press('Enter');
}

const fingerprint = () =>
  execFileSync('ssh-keygen', ['-lf', path.join(path.dirname(c.knownHosts), '..', 'ssh', 'ssh_host_ed25519_key.pub')], {
    encoding: 'utf8',
  }).split(' ')[1];

test('an unknown host key: the modal shows its SHA256 fingerprint; Cancel refuses, nothing is written', async () => {
  await runCommand(page, 'Corpus Lab: Connect to Cluster');
  await pickCluster('loopback');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor();
  const text = await dialog.innerText();
  assert.match(text, /Unknown host key for cluster "loopback"/);
  assert.ok(text.includes(`ssh-ed25519 key fingerprint: ${fingerprint()}`), text);
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
  assert.match(await notification(page, 'Cannot connect to loopback'), /not in known_hosts and was not accepted/);
  assert.equal(readFileSync(knownHosts, 'utf8'), '');
});

test('accepted, the key is appended to known_hosts and the status bar shows the connected cluster', async () => {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'Corpus Lab: Connect to Cluster');
  await pickCluster('loopback');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor();
  await dialog.locator('.monaco-button', { hasText: 'Accept and remember' }).click();
  // Connected: the status bar item's icon turns to vm-active (and a toast says so, unless notifications are held back).
  await page.locator(`${CLUSTER_STATUS}[aria-label*="loopback: connected"]`).waitFor();
  const line = readFileSync(knownHosts, 'utf8');
  assert.match(line, new RegExp(`^\\[${c.host.replace(/\./g, '\\.')}\\]:${c.port} ssh-ed25519 [A-Za-z0-9+/=]+\\n$`));
  assert.equal(
    line.trim().split(' ').slice(1, 3).join(' '),
    readFileSync(c.knownHosts, 'utf8').trim().split(' ').slice(1, 3).join(' '),
  );
});

test('an encrypted key asks for its passphrase once; it is kept in SecretStorage for the next connection', async () => {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'Corpus Lab: Connect to Cluster');
  await pickCluster('locked');
  const box = page.locator('.quick-input-widget input[type="password"]');
  await box.waitFor();
  assert.match(await page.locator('.quick-input-widget .quick-input-title').innerText(), /Passphrase for .*id_locked/);
  await box.fill('open sesame');
  await box.press('Enter');
  await page.locator(`${CLUSTER_STATUS}[aria-label*="locked: connected"]`).waitFor();
  assert.equal(
    JSON.stringify(readFileSync(path.join(server.home, '..', 'user-data', 'User', 'settings.json'), 'utf8')).includes(
      'open sesame',
    ),
    false,
    'never in settings',
  );

  await runCommand(page, 'Corpus Lab: Disconnect from Cluster');
  await pickCluster('locked');
  await page.locator(`${CLUSTER_STATUS}:not([aria-label*="locked:"])`).waitFor();
  await runCommand(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'Corpus Lab: Connect to Cluster');
  await pickCluster('locked');
  // Connected again without a prompt: the passphrase came from SecretStorage.
  await page.locator(`${CLUSTER_STATUS}[aria-label*="locked: connected"]`).waitFor();
  assert.equal(await page.locator('.quick-input-widget input[type="password"]').isVisible(), false);
});
