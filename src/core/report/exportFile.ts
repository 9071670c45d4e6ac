import { link, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** Turns a title into a portable file name: letters, digits, dot, dash; nothing that walks directories. */
export function safeFileStem(title: string): string {
  const stem = title.normalize('NFKC').replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[-.]+|[-.]+$/g, '').replace(/-{2,}/g, '-');
  return (stem || 'export').slice(0, 120);
}

/**
 * Writes `stem.ext` in `dir`, never over an existing file: the next free `stem-2.ext`, `stem-3.ext`…
 * The content goes to a temporary name first and is hard-linked into place, which fails rather
 * than overwrite when another writer took the name meanwhile, so a half-written export is never seen.
 */
export async function writeExport(dir: string, stem: string, ext: string, content: string | Uint8Array): Promise<string> {
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
      }
    }
    throw new Error(`${dir}: no free name for ${stem}.${ext}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Replaces `file` atomically: write a temporary sibling, then rename over it. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of a `data:image/png;base64,…` URL, checked to be a PNG. */
export function decodePngDataUrl(url: string): Uint8Array {
  const m = /^data:image\/png;base64,([A-Za-z0-9+/]+={0,2})$/.exec(url);
  if (!m) throw new Error('not a base64 PNG data URL');
  const bytes = Buffer.from(m[1], 'base64');
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error('the data is not a PNG image (bad signature)');
  return new Uint8Array(bytes);
}
