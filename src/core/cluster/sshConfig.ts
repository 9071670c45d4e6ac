import * as path from 'node:path';
import { globRegExp } from './glob';

/**
 * The part of OpenSSH's client configuration (ssh_config(5)) that Corpus Lab uses: Host blocks
 * with patterns and negations, Include (globs, relative to ~/.ssh), HostName, User, Port,
 * IdentityFile (accumulating), ProxyJump, ServerAliveInterval/CountMax, IdentityAgent,
 * UserKnownHostsFile, GlobalKnownHostsFile and IdentitiesOnly. As in OpenSSH, the first value
 * obtained for a keyword wins. `Match` blocks are not evaluated: their settings are skipped, and said so.
 */
export interface SshConfigFiles {
  /** Reads a file; undefined when it does not exist. */
  readFile(file: string): string | undefined;
  /** Files matching a glob with `*`/`?` in its last component, sorted. */
  glob(pattern: string): string[];
}

export interface JumpHost {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

export interface ResolvedSshHost {
  readonly alias: string;
  readonly hostName: string;
  readonly user?: string;
  readonly port: number;
  readonly identityFiles: readonly string[];
  readonly proxyJump: readonly JumpHost[];
  readonly serverAliveInterval?: number;
  readonly serverAliveCountMax?: number;
  readonly identityAgent?: string;
  readonly userKnownHostsFiles: readonly string[];
  /** GlobalKnownHostsFile, by default OpenSSH's /etc/ssh/ssh_known_hosts and ssh_known_hosts2. */
  readonly globalKnownHostsFiles: readonly string[];
  /** IdentitiesOnly yes: of the agent's keys, only those of IdentityFile are offered. */
  readonly identitiesOnly: boolean;
  /** Where each value came from, and what was skipped: for the "why this host?" question. */
  readonly notes: readonly string[];
}

interface Line {
  readonly file: string;
  readonly line: number;
  readonly keyword: string;
  readonly args: string[];
}

/** Splits a config line into keyword and arguments; `Keyword=value` and double quotes allowed. */
export function tokenizeConfigLine(raw: string): { keyword: string; args: string[] } | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) return { keyword: line.toLowerCase(), args: [] };
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const t of m[2].matchAll(re)) {
    if (t[2]?.startsWith('#')) break;
    args.push(t[1] ?? t[2]);
  }
  return { keyword: m[1].toLowerCase(), args };
}

/** Host names compare case-insensitively, as in OpenSSH. */
function patternMatches(pattern: string, host: string): boolean {
  return globRegExp(pattern, 'i').test(host);
}

/** A Host line matches when one pattern matches and no negated pattern does. */
export function hostMatches(patterns: readonly string[], host: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), host)) return false;
    } else if (patternMatches(p, host)) hit = true;
  }
  return hit;
}

export function parseJump(spec: string): JumpHost[] {
  if (spec.toLowerCase() === 'none') return [];
  return spec.split(',').map((part) => {
    const s = part.replace(/^ssh:\/\//, '');
    const at = s.lastIndexOf('@');
    const user = at >= 0 ? s.slice(0, at) : undefined;
    const rest = at >= 0 ? s.slice(at + 1) : s;
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
    if (!m) throw new Error(`ProxyJump "${spec}": cannot read "${part}"`);
    return { user, host: m[1], port: m[2] ? Number(m[2]) : undefined };
  });
}

export interface ResolveContext {
  readonly home: string;
  readonly localUser: string;
  /** The system-wide file after the user's (OpenSSH reads both); usually /etc/ssh/ssh_config. */
  readonly systemConfig?: string;
}

/**
 * Resolves `alias` against the user's ~/.ssh/config (and the system file), the way `ssh -G alias`
 * would for the keywords above.
 */
export function resolveSshHost(alias: string, files: SshConfigFiles, ctx: ResolveContext): ResolvedSshHost {
  const notes: string[] = [];
  const values = new Map<string, string[]>();
  const identityFiles: string[] = [];
  const sshDir = path.join(ctx.home, '.ssh');

  const visit = (file: string, depth: number, active: boolean) => {
    if (depth > 16) {
      notes.push(`${file}: Include nested too deeply`);
      return;
    }
    const text = files.readFile(file);
    if (text === undefined) return;
    let inBlock = active;
    text.split(/\r?\n/).forEach((raw, i) => {
      const t = tokenizeConfigLine(raw);
      if (!t) return;
      const where: Line = { file, line: i + 1, keyword: t.keyword, args: t.args };
      if (t.keyword === 'host') {
        inBlock = active && hostMatches(t.args, alias);
        return;
      }
      if (t.keyword === 'match') {
        inBlock = false;
        notes.push(`${file}:${i + 1}: Match blocks are not evaluated; their settings are skipped`);
        return;
      }
      if (!inBlock) return;
      if (t.keyword === 'include') {
        for (const arg of t.args) {
          const pattern = expandTilde(arg, ctx.home);
          const abs = path.isAbsolute(pattern)
            ? pattern
            : path.join(file === ctx.systemConfig ? '/etc/ssh' : sshDir, pattern);
          for (const f of /[*?]/.test(abs) ? files.glob(abs) : [abs]) visit(f, depth + 1, true);
        }
        return;
      }
      if (t.keyword === 'identityfile') {
        identityFiles.push(...t.args);
        return;
      }
      if (!values.has(t.keyword)) {
        values.set(t.keyword, t.args);
        notes.push(`${t.keyword} from ${where.file}:${where.line}`);
      }
    });
  };
  visit(path.join(sshDir, 'config'), 0, true);
  if (ctx.systemConfig) visit(ctx.systemConfig, 0, true);

  const one = (k: string) => values.get(k)?.[0];
  const port = Number(one('port') ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`Port "${one('port')}" for ${alias} is not a port number`);
  const user = one('user');
  const hostName = expandTokens(one('hostname') ?? alias, {
    h: alias,
    n: alias,
    u: ctx.localUser,
    d: ctx.home,
    r: user ?? ctx.localUser,
    p: String(port),
  });
  const tokens = { h: hostName, n: alias, u: ctx.localUser, d: ctx.home, r: user ?? ctx.localUser, p: String(port) };
  const expandPath = (p: string) => expandTilde(expandTokens(p, tokens), ctx.home);
  const jump = one('proxyjump');
  const num = (k: string) => (one(k) === undefined ? undefined : Number(one(k)));
  return {
    alias,
    hostName,
    user,
    port,
    identityFiles: identityFiles.map(expandPath),
    proxyJump: jump ? parseJump(jump) : [],
    serverAliveInterval: num('serveraliveinterval'),
    serverAliveCountMax: num('serveralivecountmax'),
    identityAgent:
      one('identityagent') && one('identityagent')!.toLowerCase() !== 'none'
        ? expandPath(one('identityagent')!)
        : undefined,
    userKnownHostsFiles: (values.get('userknownhostsfile') ?? []).map(expandPath),
    globalKnownHostsFiles: (values.get('globalknownhostsfile') ?? DEFAULT_GLOBAL_KNOWN_HOSTS)
      .filter((f) => f.toLowerCase() !== 'none')
      .map(expandPath),
    identitiesOnly: one('identitiesonly')?.toLowerCase() === 'yes',
    notes,
  };
}

const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

function expandTilde(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** OpenSSH's % tokens in HostName, IdentityFile and friends. */
export function expandTokens(s: string, tokens: Record<string, string>): string {
  return s.replace(/%(.)/g, (whole, c: string) => (c === '%' ? '%' : (tokens[c] ?? whole)));
}
