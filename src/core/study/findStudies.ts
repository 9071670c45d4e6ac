import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { readStudyFile } from './studyFile';

/** A study.yaml found in the workspace: its folder, and its name, or why it cannot be read. */
export interface FoundStudy {
  readonly dir: string;
  readonly file: string;
  readonly name?: string;
  readonly problem?: string;
}

/** Folders never searched: tools' and dependencies' trees, and hidden ones (`.git`, `.corpus-lab`, `.test-run`). */
const SKIPPED = new Set(['node_modules', 'out', 'dist']);
/** How deep the search goes: `results/<study>/` is two levels; room for studies kept in sub-projects. */
const MAX_DEPTH = 6;
/** A workspace holding more study files than this is not being searched for studies. */
const MAX_STUDIES = 200;

/**
 * Every study.yaml under `root`, shallowest first and then by path: what Choose Study offers. A
 * file that does not validate is listed with its error (named file, line and field), not dropped.
 * Symbolic links are not followed, so a link cannot loop the search or lead out of the workspace.
 */
export async function findStudies(root: string): Promise<FoundStudy[]> {
  const files: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (files.length >= MAX_STUDIES) return;
      if (e.isFile() && e.name === 'study.yaml') files.push(path.join(dir, e.name));
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIPPED.has(e.name))
        await walk(path.join(dir, e.name), depth + 1);
    }
  };
  await walk(root, 0);
  const depth = (f: string) => path.relative(root, f).split(path.sep).length;
  files.sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  return Promise.all(
    files.map(async (file) => {
      const dir = path.dirname(file);
      try {
        return { dir, file, name: (await readStudyFile(file)).name };
      } catch (e) {
        return { dir, file, problem: (e as Error).message };
      }
    }),
  );
}

/**
 * The study folder a `corpusLab.study` setting names: a folder (holding study.yaml or the score
 * CSVs), or a study.yaml itself; relative to the workspace folder.
 */
export async function studyDirOf(setting: string, workspace: string | undefined): Promise<string> {
  const at = path.isAbsolute(setting) || !workspace ? setting : path.join(workspace, setting);
  const s = await stat(at).catch(() => undefined);
  if (!s) throw new Error(`corpusLab.study: ${at} does not exist`);
  return s.isFile() ? path.dirname(at) : at;
}
