import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { SshEndpoint, SshTarget } from './connection';
import { globRegExp } from './glob';
import { parseJump, type ResolveContext, resolveSshHost, type SshConfigFiles } from './sshConfig';

const profileName = z
  .string()
  .min(1)
  .regex(/^[\w.-]+$/, 'letters, digits, ".", "-" and "_" only');
/** Where Corpus Lab keeps scripts, logs and results on the cluster (relative to the home directory unless absolute). */
const remoteRoot = z.string().min(1).default('corpus-lab');

/** A cluster reached over SSH, as the user configures it (setting `corpusLab.clusters`); fields override ~/.ssh/config. */
export const sshProfileSchema = z
  .object({
    name: profileName,
    kind: z.literal('ssh'),
    /** A Host alias of ~/.ssh/config, or a host name. */
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    identityFiles: z.array(z.string().min(1)).optional(),
    useAgent: z.boolean().default(true),
    /** OpenSSH ProxyJump syntax: `[user@]bastion[:port][,more…]`, or "none". */
    proxyJump: z.string().optional(),
    keepaliveIntervalSeconds: z.number().min(0).default(15),
    keepaliveCountMax: z.number().int().min(1).default(4),
    connectTimeoutSeconds: z.number().min(1).default(20),
    knownHostsFiles: z.array(z.string().min(1)).optional(),
    remoteRoot,
  })
  .strict();
export type SshProfile = z.infer<typeof sshProfileSchema>;

/**
 * The machine the extension host (or the CLI) runs on is the cluster's login node: Slurm's commands
 * run as child processes, files are read directly (a workspace opened there with Remote-SSH).
 */
export const localProfileSchema = z
  .object({
    name: profileName,
    kind: z.literal('local'),
    remoteRoot,
  })
  .strict();

/** A profile without `kind` is an SSH one, as every profile was before `local` existed. */
export const clusterProfileSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'ssh' } : v),
  z.discriminatedUnion('kind', [sshProfileSchema, localProfileSchema]),
);
export type ClusterProfile = z.infer<typeof clusterProfileSchema>;

export const clusterProfilesSchema = z.array(clusterProfileSchema).superRefine((list, ctx) => {
  list.forEach((p, i) => {
    if (list.findIndex((q) => q.name === p.name) !== i)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `duplicate cluster name "${p.name}"` });
  });
});

/** The local file system as ssh_config's resolver sees it. */
export const localSshFiles: SshConfigFiles = {
  readFile: (f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  },
  glob: (pattern) => {
    const dir = path.dirname(pattern);
    const re = globRegExp(path.basename(pattern));
    try {
      return readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  },
};

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface ResolvedProfile {
  readonly target: SshTarget;
  readonly knownHostsFiles: readonly string[];
  /** GlobalKnownHostsFile: read too, never written. */
  readonly globalKnownHostsFiles: readonly string[];
  readonly notes: readonly string[];
}

/**
 * A profile made concrete: host, port, user, identities, agent and jumps from the profile first,
 * then ~/.ssh/config (as `ssh -G` would), then OpenSSH's defaults.
 */
export function resolveProfile(
  profile: SshProfile,
  files: SshConfigFiles,
  ctx: ResolveContext & { agentSocket?: string },
): ResolvedProfile {
  const expand = (p: string) => (p === '~' ? ctx.home : p.startsWith('~/') ? path.join(ctx.home, p.slice(2)) : p);
  const endpoint = (
    alias: string,
    over: { port?: number; user?: string; identityFiles?: readonly string[] },
  ): SshEndpoint & {
    jumps: string | undefined;
    notes: readonly string[];
    alive?: number;
    aliveMax?: number;
    knownHosts: readonly string[];
    globalKnownHosts: readonly string[];
  } => {
    const cfg = resolveSshHost(alias, files, ctx);
    const ids =
      over.identityFiles?.map(expand) ??
      (cfg.identityFiles.length > 0
        ? cfg.identityFiles
        : DEFAULT_IDENTITIES.map((f) => path.join(ctx.home, '.ssh', f)).filter((f) => existsSync(f)));
    return {
      host: cfg.hostName,
      port: over.port ?? cfg.port,
      username: over.user ?? cfg.user ?? ctx.localUser,
      identityFiles: ids,
      agent: profile.useAgent ? (cfg.identityAgent ?? ctx.agentSocket) : undefined,
      jumps: cfg.proxyJump.length
        ? cfg.proxyJump.map((j) => `${j.user ? `${j.user}@` : ''}${j.host}${j.port ? `:${j.port}` : ''}`).join(',')
        : undefined,
      notes: cfg.notes,
      alive: cfg.serverAliveInterval,
      aliveMax: cfg.serverAliveCountMax,
      knownHosts: cfg.userKnownHostsFiles,
      globalKnownHosts: cfg.globalKnownHostsFiles,
      identitiesOnly: cfg.identitiesOnly,
    };
  };
  const main = endpoint(profile.host, profile);
  const jumpSpec = profile.proxyJump ?? main.jumps;
  const jumps = jumpSpec ? parseJump(jumpSpec).map((j) => endpoint(j.host, { port: j.port, user: j.user })) : [];
  const strip = (e: ReturnType<typeof endpoint>): SshEndpoint => ({
    host: e.host,
    port: e.port,
    username: e.username,
    identityFiles: e.identityFiles,
    agent: e.agent,
    identitiesOnly: e.identitiesOnly,
  });
  return {
    target: {
      ...strip(main),
      jumps: jumps.map(strip),
      keepaliveIntervalMs: (main.alive ?? profile.keepaliveIntervalSeconds) * 1000,
      keepaliveCountMax: main.aliveMax ?? profile.keepaliveCountMax,
      readyTimeoutMs: profile.connectTimeoutSeconds * 1000,
    },
    knownHostsFiles:
      profile.knownHostsFiles?.map(expand) ??
      (main.knownHosts.length ? main.knownHosts : [path.join(ctx.home, '.ssh', 'known_hosts')]),
    globalKnownHostsFiles: main.globalKnownHosts,
    notes: main.notes,
  };
}
