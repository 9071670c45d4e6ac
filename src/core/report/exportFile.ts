import { link, mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** Turns a title into a portable file name: letters, digits, dot, dash; nothing that walks directories. */
export function safeFileStem(title: string): string {
  const stem = title
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/-{2,}/g, '-');
  return (stem || 'export').slice(0, 120);
}

/**
 * Writes `stem.ext` in `dir`, never over an existing file: the next free `stem-2.ext`, `stem-3.ext`…
 * An export identical to one already there is that file: exporting the same table twice makes no copy.
 * The content goes to a temporary name first and is hard-linked into place, which fails rather
 * than overwrite when another writer took the name meanwhile, so a half-written export is never seen.
 */
export async function writeExport(
  dir: string,
  stem: string,
  ext: string,
  content: string | Uint8Array,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${safeFileStem(stem)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(tmp, content);
  try {
    for (let i = 1; i < 10_000; i++) {
      const file = path.join(dir, `${safeFileStem(stem)}${i === 1 ? '' : `-${i}`}.${ext}`);
      try {
        await link(tmp, file);
        return file;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (await sameContent(file, content)) return file;
      }
    }
    throw new Error(`${dir}: no free name for ${stem}.${ext}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function sameContent(file: string, content: string | Uint8Array): Promise<boolean> {
  const existing = await readFile(file).catch(() => undefined);
  return (
    existing !== undefined &&
    Buffer.compare(existing, typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content)) === 0
  );
}

let tmpCounter = 0;

/**
 * Replaces `file` atomically: write a temporary sibling, fsync it, then rename over it (and fsync
 * the directory), so that a crash or power loss leaves the old file or the new one, never an empty
 * or torn one. A failed write removes its temporary file.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.${tmpCounter++}.tmp`;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  // Makes the rename itself durable; some file systems refuse to open a directory, which is not an error here.
  const d = await open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => undefined);
  await d?.close();
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of a `data:image/png;base64,…` URL, checked to be a PNG. */
export function decodePngDataUrl(url: string): Uint8Array {
  const m = /^data:image\/png;base64,([A-Za-z0-9+/]+={0,2})$/.exec(url);
  if (!m) throw new Error('not a base64 PNG data URL');
  const bytes = Buffer.from(m[1], 'base64');
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b))
    throw new Error('the data is not a PNG image (bad signature)');
  return new Uint8Array(bytes);
}
