import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

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
