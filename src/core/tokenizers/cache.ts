import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { readRemoteFile, sftpCall } from '../cluster/sftp';
import type { RemoteFiles } from '../cluster/transport';
import { readRegularFile } from '../regularFile';
import { loadTokenizer, type TokenDecoder, tokenizerFormat } from './decoder';

/**
 * Tokenizers by content hash. A model on the cluster is fetched once: its SHA-256 is remembered
 * with the remote file's size and modification time, and its bytes kept under that hash, so the
 * next inspection reads the local copy; a changed remote file (size or mtime) is fetched again.
 * Loaded decoders are kept per hash, so two recipes naming the same model share one.
 */
export class TokenizerCache {
  private readonly loaded = new Map<string, Promise<TokenDecoder>>();

  /** `dir`: where fetched models are kept (the extension's global storage, or the CLI's cache directory). */
  constructor(private readonly dir: string) {}

  async local(file: string): Promise<TokenDecoder> {
    const bytes = await readRegularFile(file);
    return this.decoder(bytes, file);
  }

  async remote(sftp: RemoteFiles, cluster: string, file: string): Promise<TokenDecoder> {
    const st = await sftpCall.stat(sftp, file);
    if (!st.isFile()) throw new Error(`${cluster}:${file}: is not a regular file on the cluster`);
    const key = `${cluster}\u0000${file}`;
    const index = await this.readIndex();
    const known = index[key];
    if (known && known.size === st.size && known.mtime === st.mtime) {
      const bytes = await readFile(this.blob(known.sha256)).catch(() => undefined);
      if (bytes && sha256(bytes) === known.sha256) return this.decoder(bytes, `${cluster}:${file}`);
    }
    const bytes = await readRemoteFile(sftp, file);
    const hash = sha256(bytes);
    await this.writeAtomic(this.blob(hash), bytes);
    index[key] = { size: st.size, mtime: st.mtime, sha256: hash, format: tokenizerFormat(bytes) };
    await this.writeAtomic(path.join(this.dir, 'remote-index.json'), Buffer.from(JSON.stringify(index, null, 1)));
    return this.decoder(bytes, `${cluster}:${file}`);
  }

  private decoder(bytes: Buffer, name: string): Promise<TokenDecoder> {
    const hash = sha256(bytes);
    let d = this.loaded.get(hash);
    if (!d) {
      d = loadTokenizer(bytes, name);
      this.loaded.set(hash, d);
      d.catch(() => this.loaded.delete(hash));
    }
    return d;
  }

  private blob(hash: string) {
    return path.join(this.dir, hash);
  }

  private async readIndex(): Promise<Record<string, IndexEntry>> {
    const text = await readFile(path.join(this.dir, 'remote-index.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return {};
    // A damaged index only costs a fetch: it is rebuilt, not trusted.
    try {
      const parsed = RemoteIndex.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  }

  private async writeAtomic(file: string, data: Buffer) {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.part`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  }
}

const IndexEntry = z.object({
  size: z.number(),
  mtime: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.enum(['tokenizer.json', 'sentencepiece']),
});
type IndexEntry = z.infer<typeof IndexEntry>;
const RemoteIndex = z.record(z.string(), IndexEntry);

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
