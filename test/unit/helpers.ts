import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import type { StageTemplates } from '../../src/core/jobs/studyLaunch';
import { loadTemplate, STAGES } from '../../src/core/jobs/templates';

/** The repository root, from the compiled test file in out/test/unit. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const PAPER_STUDY = path.join(ROOT, 'examples', 'paper-study');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(prefix = 'corpus-lab-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the bundled CLI; its exit code, stdout and stderr, whether it succeeded or not. */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The job templates the extension ships, one per stage, as a launch loads them. */
export async function shippedTemplates(): Promise<StageTemplates> {
  return Object.fromEntries(
    await Promise.all(STAGES.map(async (s) => [s, await loadTemplate(s, path.join(ROOT, 'templates'))])),
  ) as StageTemplates;
}
