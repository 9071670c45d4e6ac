import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The repository root, from the compiled file in out/test/e2e. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CODE_SERVER = path.join(ROOT, '.test-run', 'code-server', 'node_modules', '.bin', 'code-server');
export const VSIX = path.join(ROOT, '.test-run', 'corpus-lab.vsix');

export interface CodeServer {
  readonly url: string;
  readonly workspace: string;
  readonly home: string;
  /** The user's settings.json: a test may change it while the workbench runs (VS Code watches it). */
  readonly userSettings: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs} ms:\n${log()}`);
}

/**
 * A real VS Code workbench (code-server) with our packaged extension installed, in a throwaway
 * HOME, TMPDIR, user-data and extensions directory, opened on a copy of `fixture`.
 */
export async function startCodeServer(fixture: string, settings: Record<string, unknown> = {}): Promise<CodeServer> {
  const base = mkdtempSync(path.join(ROOT, '.test-run', 'e2e-'));
  const home = path.join(base, 'home');
  const tmp = path.join(base, 'tmp');
  const userData = path.join(base, 'user-data');
  const extensions = path.join(base, 'extensions');
  const workspace = path.join(base, 'workspace');
  for (const d of [home, tmp, path.join(userData, 'User'), extensions]) mkdirSync(d, { recursive: true });
  cpSync(fixture, workspace, { recursive: true });
  writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'workbench.colorTheme': 'Default Dark Modern',
        'editor.codeLens': true,
        ...settings,
      },
      null,
      2,
    ),
  );
  const env = {
    ...process.env,
    HOME: home,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
  };
  const dirs = ['--user-data-dir', userData, '--extensions-dir', extensions];
  const install = spawnSync(CODE_SERVER, [...dirs, '--install-extension', VSIX], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (install.status !== 0) throw new Error(`installing ${VSIX} failed:\n${install.stdout}\n${install.stderr}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(
    CODE_SERVER,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...dirs,
      workspace,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout!.on('data', (b) => (output += b));
  child.stderr!.on('data', (b) => (output += b));
  const log = () => output;
  await waitForHttp(url, child, 60_000, log);
  return {
    url,
    workspace,
    home,
    userSettings: path.join(userData, 'User', 'settings.json'),
    log,
    stop: async () => {
      if (child.exitCode === null) {
        // The whole process group: code-server forks its extension host and file watchers.
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          /* gone */
        }
        await new Promise((r) => {
          const t = setTimeout(r, 5000);
          child.once('exit', () => {
            clearTimeout(t);
            r(undefined);
          });
        });
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      if (!process.env.CORPUS_LAB_KEEP_E2E) rmSync(base, { recursive: true, force: true });
    },
  };
}

/** The workspace every editor test opens: the paper study plus one broken recipe (test/fixtures/e2e). */
export function paperWorkspace(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'corpus-lab-workspace-'));
  cpSync(path.join(ROOT, 'examples', 'paper-study'), dir, { recursive: true });
  cpSync(path.join(ROOT, 'test', 'fixtures', 'e2e'), dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
