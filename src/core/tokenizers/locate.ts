import * as path from 'node:path';

/** The model files a tokenizer directory may hold, in the order they are preferred. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer.model'] as const;

export type PathKind = 'file' | 'directory' | undefined;

/**
 * Where a recipe's `tokenizer` lives: a `tokenizer.json` or a SentencePiece `.model`, or a directory
 * holding one (a Hugging Face model directory). A relative name is relative to the recipe file
 * locally, and to `dataRoot` on the cluster. A hub name such as `llm-jp/llm-jp-3-13b` that is no
 * file anywhere cannot be fetched (the extension reaches no network): that is said, with the places
 * looked at.
 */
export async function locateTokenizer(
  name: string,
  recipeFile: string,
  local: (p: string) => Promise<PathKind>,
  remote?: { readonly dataRoot: string; readonly kind: (p: string) => Promise<PathKind> },
): Promise<{ where: 'local' | 'cluster'; file: string } | { where: 'none'; looked: string[] }> {
  const looked: string[] = [];
  const find = async (p: string, kind: (p: string) => Promise<PathKind>, posix: boolean) => {
    looked.push(p);
    const k = await kind(p);
    if (k === 'file') return p;
    if (k !== 'directory') return undefined;
    for (const f of TOKENIZER_FILES) {
      const inside = posix ? path.posix.join(p, f) : path.join(p, f);
      if ((await kind(inside)) === 'file') return inside;
    }
    return undefined;
  };
  const localPath = path.isAbsolute(name) ? name : path.resolve(path.dirname(recipeFile), name);
  const l = await find(localPath, local, false);
  if (l) return { where: 'local', file: l };
  if (remote) {
    const remotePath = path.posix.isAbsolute(name) || !remote.dataRoot ? name : path.posix.join(remote.dataRoot, name);
    const r = await find(remotePath, remote.kind, true);
    if (r) return { where: 'cluster', file: r };
  }
  return { where: 'none', looked };
}
