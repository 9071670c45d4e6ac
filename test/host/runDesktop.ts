import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { paperWorkspace } from '../e2e/codeServer';

/**
 * The same in-host suite on desktop VS Code, for developers with internet access
 * (@vscode/test-electron downloads VS Code). CI uses code-server instead (test/e2e/host.test.ts).
 */
async function main() {
  const root = path.resolve(__dirname, '..', '..', '..');
  const workspace = paperWorkspace().dir;
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
