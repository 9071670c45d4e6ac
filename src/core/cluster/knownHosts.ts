import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { globRegExp } from './glob';

/**
 * OpenSSH's known_hosts: `[marker] hostpatterns keytype base64key [comment]`, host patterns
 * comma-separated, `[host]:port` for other ports than 22, `!` negations, `*`/`?` wildcards, or
 * hashed (`|1|salt|hmac-sha1`). `@revoked` keys are refused everywhere; `@cert-authority` keys
 * vouch for host certificates (hostCertificate.ts).
 */
export interface KnownHostEntry {
  readonly line: number;
  readonly marker?: 'revoked' | 'cert-authority';
  readonly patterns: readonly string[];
  readonly keyType: string;
  readonly key: Buffer;
}

export type HostKeyVerdict =
  | { readonly status: 'known'; readonly line: number }
  | { readonly status: 'unknown'; readonly otherTypes: readonly string[] }
  | { readonly status: 'changed'; readonly line: number; readonly knownFingerprint: string }
  | { readonly status: 'revoked'; readonly line: number };

export function parseKnownHosts(text: string): { entries: KnownHostEntry[]; problems: string[] } {
  const entries: KnownHostEntry[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push(`line ${i + 1}: unknown marker ${m}`);
        return;
      }
    }
    if (fields.length < 3) {
      problems.push(`line ${i + 1}: expected host patterns, key type and key`);
      return;
    }
    const key = Buffer.from(fields[2], 'base64');
    if (key.length === 0 || keyTypeOf(key) !== fields[1]) {
      problems.push(`line ${i + 1}: the key does not decode to a ${fields[1]} key`);
      return;
    }
    entries.push({ line: i + 1, marker, patterns: fields[0].split(','), keyType: fields[1], key });
  });
  return { entries, problems };
}

/** The name known_hosts files use for a host and port. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type written at the start of an SSH public key blob (`ssh-ed25519`, …). */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || blob.length < 4 + n) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function wildcard(pattern: string, name: string): boolean {
  return globRegExp(pattern, 'i').test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Whether an entry's patterns name the host: some pattern matches and no negated one does. */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let hit = false;
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (p.startsWith('|')) {
      hit ||= hashedMatch(p, name);
    } else {
      hit ||= wildcard(p, name);
    }
  }
  return hit;
}

/** What known_hosts says of the key a server offered: known, unknown, changed (refuse!), revoked. */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  offered: Buffer,
): HostKeyVerdict {
  const name = hostKeyName(host, port);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(offered));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const forHost = entries.filter((e) => e.marker === undefined && entryMatches(e, name));
  const same = forHost.find((e) => e.key.equals(offered));
  if (same) return { status: 'known', line: same.line };
  const type = keyTypeOf(offered);
  const sameType = forHost.find((e) => e.keyType === type);
  if (sameType) return { status: 'changed', line: sameType.line, knownFingerprint: fingerprint(sameType.key) };
  return { status: 'unknown', otherTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** Key types known for a host, so the client can ask the server for one of them first (as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = hostKeyName(host, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && entryMatches(e, name)).map((e) => e.keyType))];
}

/** The CA keys known_hosts trusts to sign the host's certificates (`@cert-authority`), less any `@revoked`. */
export function certAuthorities(entries: readonly KnownHostEntry[], host: string, port: number): Buffer[] {
  const name = hostKeyName(host, port);
  const revoked = entries.filter((e) => e.marker === 'revoked');
  return entries
    .filter((e) => e.marker === 'cert-authority' && entryMatches(e, name) && !revoked.some((r) => r.key.equals(e.key)))
    .map((e) => e.key);
}

/** The line to append when the user accepts a new key. */
export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${hostKeyName(host, port)} ${keyTypeOf(blob) ?? 'unknown'} ${blob.toString('base64')}`;
}
