import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { paperWorkspace, ROOT, startCodeServer } from './codeServer';
import { launchBrowser } from './workbench';

/**
 * Runs the mocha suite of test/host inside code-server's extension host: the workbench URL's
 * payload names the extension under development and the tests; the workbench reports the end
 * through window.codeAutomationExit, which the page exposes to us.
 */
test('the in-host mocha suite passes in code-server', async () => {
  const fixture = paperWorkspace();
  const server = await startCodeServer(fixture.dir, { 'git.enabled': false });
  fixture.remove();
  const browser = await launchBrowser();
  const logs: string[] = [];
  try {
    const page = await browser.newPage();
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      logs.push(`${type}: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
    });
    const authority = new URL(server.url).host;
    const remote = (p: string) => `vscode-remote://${authority}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(path.join(ROOT, 'out', 'test', 'host', 'index.js'))],
    ];
    await page.goto(
      `${server.url}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error('the in-host suite did not finish in 180 s')), 180_000)),
    );
    const code = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    assert.equal(code, 0, `in-host tests failed:\n${logs.join('\n')}\n${server.log().slice(-4000)}`);
  } finally {
    console.log(logs.join('\n'));
    if (process.env.CORPUS_LAB_E2E_VERBOSE) console.log(server.log());
    await browser.close();
    await server.stop();
  }
});
