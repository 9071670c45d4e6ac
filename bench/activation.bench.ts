/**
 * Activation time of the packaged extension in a real VS Code (code-server), as the workbench
 * itself measures it (Developer: Show Running Extensions), over fresh starts on the paper study.
 * The built-in Git extension, activated at the same start-up, is the yardstick for the ratio.
 *   npm run bench:activation   (needs test/e2e/install-code-server.sh and npm run package first)
 */
import { paperWorkspace, startCodeServer } from '../test/e2e/codeServer';
import { launchBrowser, openWorkbench, runCommand } from '../test/e2e/workbench';
import { median, report } from './timing';

const RUNS = Number(process.env.RUNS ?? 5);

async function once(): Promise<{ ours: number; git: number }> {
  const ws = paperWorkspace();
  const server = await startCodeServer(ws.dir, { 'git.openRepositoryInParentFolders': 'never' });
  const browser = await launchBrowser();
  try {
    const page = await openWorkbench(browser, server.url);
    await runCommand(page, 'Developer: Show Running Extensions');
    const activation = async (name: string) => {
      const row = page
        .locator('.runtime-extensions-editor .monaco-list-row', { hasText: name })
        .filter({ hasText: /Activation: \d+ms/ })
        .first();
      await row.waitFor();
      const m = /Activation: (\d+)ms/.exec(await row.innerText());
      if (!m) throw new Error(`no activation time for ${name}`);
      return Number(m[1]);
    };
    return { ours: await activation('Corpus Lab'), git: await activation('Git\n') };
  } finally {
    await browser.close();
    await server.stop();
    ws.remove();
  }
}

async function main() {
  const ours: number[] = [];
  const git: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    ours.push(r.ours);
    git.push(r.git);
  }
  const m = median(ours);
  report(
    `Activation in code-server on examples/paper-study (${RUNS} fresh starts, median)`,
    [
      ['Corpus Lab (workspaceContains recipes)', m],
      ['built-in Git (same starts)', median(git)],
    ],
    `Corpus Lab / Git = ${(m / median(git)).toFixed(2)}; target ≤ 50 ms: ${m <= 50 ? 'met' : 'MISSED'} (runs: ${ours.join(', ')} ms)`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
