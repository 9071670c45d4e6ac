import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import * as path from 'node:path';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import { ClusterConnection } from '../core/cluster/connection';
import { LocalTransport } from '../core/cluster/localTransport';
import { type ClusterProfile, localSshFiles, resolveProfile } from '../core/cluster/profile';
import type { ClusterTransport } from '../core/cluster/transport';
import { JobService } from '../core/jobs/jobService';
import { JobRegistry } from '../core/jobs/registry';
import { describeFsError } from '../core/regularFile';
import { parseSettings, type Settings } from '../core/settings';

/** A command-line error: bad options or arguments (exit 2), or bad input (exit 1), said in one line. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const SETTING_PREFIX = 'corpusLab.';

/** 1-based line and column of an offset, for a settings file's syntax errors. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

/**
 * The `corpusLab.*` settings the extension would read, from a VS Code settings file (JSON with
 * comments and trailing commas): the workspace's `.vscode/settings.json`, or `--config FILE`
 * (a user settings.json, or any file of the same shape). Validated with the extension's own schema:
 * a bad value is named (file and setting) and its default used, as in the editor.
 */
export async function readSettings(
  workspace: string,
  configFile: string | undefined,
): Promise<{ settings: Settings; problems: string[]; file: string }> {
  const file = configFile ? path.resolve(configFile) : path.join(workspace, '.vscode', 'settings.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    // No workspace settings is a workspace without clusters; a named --config must exist.
    if (!configFile && (e as NodeJS.ErrnoException).code === 'ENOENT') return { ...parseSettings({}), file };
    throw new CliError(`${file}: ${describeFsError(e)}`, 1);
  }
  const errors: ParseError[] = [];
  const json: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length)
    throw new CliError(
      errors.map((e) => `${file}:${lineColumn(text, e.offset)}: ${printParseErrorCode(e.error)}`).join('\n'),
      1,
    );
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CliError(`${file}: expected an object of settings ("corpusLab.clusters": […], …)`, 1);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json))
    if (key.startsWith(SETTING_PREFIX)) raw[key.slice(SETTING_PREFIX.length)] = value;
  const { settings, problems } = parseSettings(raw);
  return { settings, problems: problems.map((p) => `${file}: ${p}`), file };
}

/**
 * The cluster a command is about: the one named, else the only one configured. The CLI asks
 * nothing: an unknown host key or an encrypted key without an agent is an error saying what to do.
 */
export function pickProfile(settings: Settings, name: string | undefined, file: string): ClusterProfile {
  const profiles = settings.clusters;
  if (profiles.length === 0) throw new CliError(`no clusters are configured (corpusLab.clusters in ${file})`, 1);
  if (name === undefined) {
    if (profiles.length === 1) return profiles[0];
    throw new CliError(`several clusters are configured; choose one with --cluster (${names(profiles)})`, 2);
  }
  const p = profiles.find((x) => x.name === name);
  if (!p) throw new CliError(`no cluster named "${name}" in ${file} (known: ${names(profiles)})`, 1);
  return p;
}

const names = (profiles: readonly ClusterProfile[]) => profiles.map((p) => p.name).join(', ');

/** The transport of a profile, as the extension makes it, without its dialogs. */
export function openTransport(profile: ClusterProfile): ClusterTransport {
  if (profile.kind === 'local') return new LocalTransport(profile.name);
  const resolved = resolveProfile(profile, localSshFiles, {
    home: homedir(),
    localUser: userInfo().username,
    agentSocket: process.env.SSH_AUTH_SOCK,
    systemConfig: '/etc/ssh/ssh_config',
  });
  return new ClusterConnection(profile.name, resolved.target, {
    knownHostsFiles: [...resolved.knownHostsFiles, ...resolved.globalKnownHostsFiles],
    // A terminal command is not the place to accept a host key: the message names the fingerprint.
    confirmUnknownHost: async () => false,
  });
}

/**
 * What the cluster commands share with the editor: the workspace's settings, its job registry
 * (`.corpus-lab/jobs.json`, the very file the Jobs view shows) and one transport per cluster.
 */
export class CliWorkspace {
  readonly registry: JobRegistry;
  readonly service: JobService;
  private readonly transports = new Map<string, ClusterTransport>();

  constructor(
    readonly dir: string,
    readonly settings: Settings,
    readonly settingsFile: string,
  ) {
    this.registry = new JobRegistry(path.join(dir, '.corpus-lab', 'jobs.json'));
    this.service = new JobService(this.registry, (c) => this.transport(c), {
      remoteRoot: (c) => this.settings.clusters.find((p) => p.name === c)?.remoteRoot ?? 'corpus-lab',
      sbatch: settings.jobs.sbatch,
    });
  }

  transport(cluster: string): ClusterTransport {
    let t = this.transports.get(cluster);
    if (!t) {
      t = openTransport(pickProfile(this.settings, cluster, this.settingsFile));
      this.transports.set(cluster, t);
    }
    return t;
  }

  /** Loads the registry; skipped records are named on stderr, a registry that cannot be written is an error. */
  async load(warn: (s: string) => void, writing: boolean): Promise<void> {
    const { skipped, readOnly } = await this.registry.load();
    for (const s of skipped) warn(`${s}\n`);
    if (readOnly && writing)
      throw new CliError(`the job registry ${this.registry.file} cannot be written: ${readOnly}`, 1);
  }

  dispose() {
    for (const t of this.transports.values()) t.dispose();
  }
}
