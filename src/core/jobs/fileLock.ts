import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';

/** How long a writer waits for another process's lock before it gives up with an error naming the file. */
export const LOCK_WAIT_MS = 30_000;
/**
 * A lock older than this is stale even when its holder cannot be asked (a process on another host
 * sharing the workspace over NFS, or a reused pid). A holder keeps it for one read and one write,
 * milliseconds; minutes mean the holder is gone.
 */
export const LOCK_STALE_MS = 2 * 60_000;
/** A breaker holds its own small lock for microseconds; older than this, its breaker died. */
const BREAK_STALE_MS = 10_000;
/** The pause between two tries while another holds the lock (randomised up to twice this, so waiters spread). */
const LOCK_RETRY_MS = 20;

export interface LockOptions {
  readonly waitMs?: number;
  readonly staleMs?: number;
}

const holder = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  since: z.number(),
  nonce: z.string(),
});
type Holder = z.infer<typeof holder>;

export class LockTimeoutError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user's process.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What link(2) says where the file system has no hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `lock` holding `content`, or fails with EEXIST. The content is written to a private file
 * first and hard-linked into place: link(2) is atomic (on NFS too, unlike O_EXCL on old clients), so
 * a reader never sees an empty or half-written lock.
 */
async function create(lock: string, content: string): Promise<void> {
  const tmp = `${lock}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { flag: 'wx', mode: 0o644 });
  try {
    await link(tmp, lock);
  } catch (e) {
    // A file system without hard links (some FUSE and SMB mounts): O_EXCL, whose content a reader
    // may see empty for an instant (it then reads as held since its mtime, so never as stale).
    if (!NO_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    await writeFile(lock, content, { flag: 'wx', mode: 0o644 });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The holder a lock file names, undefined if it is gone; content not written by a lock reads as held since its mtime. */
async function readHolder(lock: string): Promise<Holder | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = holder.safeParse(json);
  return parsed.success ? parsed.data : { pid: 0, host: '?', since: mtimeMs, nonce: `unreadable:${mtimeMs}` };
}

function isStale(h: Holder, staleMs: number): boolean {
  if (Date.now() - h.since > staleMs) return true;
  return h.host === hostname() && h.pid > 0 && !alive(h.pid);
}

/**
 * Removes a stale lock, unless someone else already replaced it. Breakers take turns through a
 * second lock, so that one of them cannot remove the fresh lock another just took after breaking.
 */
async function breakStale(lock: string, seen: Holder): Promise<boolean> {
  const guard = `${lock}.break`;
  try {
    await create(guard, String(process.pid));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = await stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > BREAK_STALE_MS) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await readHolder(lock);
    if (now?.nonce === seen.nonce) await unlink(lock).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function describe(h: Holder): string {
  if (h.pid === 0) return `an unreadable lock since ${new Date(h.since).toISOString()}`;
  return `process ${h.pid} on ${h.host} since ${new Date(h.since).toISOString()}`;
}

/**
 * Runs `work` while holding `lock` (a file beside the one it guards), across processes and hosts
 * sharing the directory. A lock whose holder died (same host, pid gone) or that is older than
 * `staleMs` is taken over; one held by a live process longer than `waitMs` fails, naming the file
 * and its holder. The lock is removed afterwards only if it is still this holder's.
 */
export async function withFileLock<T>(lock: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? LOCK_WAIT_MS;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const nonce = randomBytes(12).toString('hex');
  const deadline = Date.now() + waitMs;
  // A new workspace has no .corpus-lab yet.
  await mkdir(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      await create(lock, JSON.stringify({ pid: process.pid, host: hostname(), since: Date.now(), nonce }));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const h = await readHolder(lock);
    // A stale lock is broken and tried again at once; while another process breaks it, wait as for a holder.
    if (h && isStale(h, staleMs) && (await breakStale(lock, h))) continue;
    if (Date.now() > deadline)
      throw new LockTimeoutError(
        lock,
        `${lock}: held by ${h ? describe(h) : 'another process'}; waited ${waitMs / 1000} s. ` +
          'If no Corpus Lab (editor or CLI) is writing there, remove the lock file.',
      );
    await sleep(LOCK_RETRY_MS * (1 + Math.random()));
  }
  try {
    return await work();
  } finally {
    const h = await readHolder(lock).catch(() => undefined);
    if (h?.nonce === nonce) await unlink(lock).catch(() => undefined);
  }
}
