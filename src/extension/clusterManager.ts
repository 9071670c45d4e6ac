import { appendFile, mkdir } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ClusterConnection, type HostKeyPrompt } from '../core/cluster/connection';
import { knownHostsLine } from '../core/cluster/knownHosts';
import { LocalTransport } from '../core/cluster/localTransport';
import { type ClusterProfile, localSshFiles, resolveProfile } from '../core/cluster/profile';
import type { ClusterTransport, ConnectionState } from '../core/cluster/transport';
import { COMMANDS } from './commandIds';
import { Disposable, toDisposable } from './dispose';

const SECRET_PREFIX = 'corpusLab.passphrase:';

/**
 * One connection per configured cluster, made on first use and kept; the status bar shows the
 * state of the clusters in use. Host-key questions and passphrases go through the editor's UI;
 * passphrases live only in SecretStorage.
 */
export class ClusterManager extends Disposable {
  private readonly connections = new Map<string, { connection: ClusterTransport; profile: string }>();
  private readonly status = this.own(
    vscode.window.createStatusBarItem('corpusLab.cluster', vscode.StatusBarAlignment.Left, 50),
  );

  constructor(
    private readonly profiles: () => readonly ClusterProfile[],
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.own(
      toDisposable(() => {
        for (const { connection } of this.connections.values()) connection.dispose();
        this.connections.clear();
      }),
    );
    this.status.name = vscode.l10n.t('Corpus Lab cluster');
    this.status.command = COMMANDS.connectCluster;
  }

  names(): string[] {
    return this.profiles().map((p) => p.name);
  }

  /** The cluster a command is about: `preferred` if configured, the only one, or the user's pick. */
  async pick(preferred?: string): Promise<string | undefined> {
    const names = this.names();
    if (preferred && names.includes(preferred)) return preferred;
    if (names.length === 0) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('No clusters are configured. Add one to the corpusLab.clusters setting.'),
      );
      return undefined;
    }
    return names.length === 1
      ? names[0]
      : vscode.window.showQuickPick(names, { placeHolder: vscode.l10n.t('Choose a cluster') });
  }

  /** The named cluster's connection (created, not yet connected), or an error naming the known ones. */
  get(name: string): ClusterTransport {
    const profile = this.profiles().find((p) => p.name === name);
    if (!profile)
      throw new Error(
        vscode.l10n.t(
          'No cluster named "{0}" in corpusLab.clusters (known: {1}).',
          name,
          this.names().join(', ') || vscode.l10n.t('none'),
        ),
      );
    const key = JSON.stringify(profile);
    const existing = this.connections.get(name);
    if (existing && existing.profile === key) return existing.connection;
    existing?.connection.dispose();
    if (profile.kind === 'local') {
      // The extension host runs on the login node (Remote-SSH): Slurm and the files are here.
      const local = new LocalTransport(name);
      this.connections.set(name, { connection: local, profile: key });
      this.render();
      return local;
    }
    const resolved = resolveProfile(profile, localSshFiles, {
      home: homedir(),
      localUser: userInfo().username,
      agentSocket: process.env.SSH_AUTH_SOCK,
      systemConfig: '/etc/ssh/ssh_config',
    });
    for (const n of resolved.notes) this.log.debug(`${name}: ${n}`);
    const knownHosts = resolved.knownHostsFiles;
    const connection = new ClusterConnection(name, resolved.target, {
      // The site's keys (GlobalKnownHostsFile, /etc/ssh/ssh_known_hosts) count too; new keys go to the user's file.
      knownHostsFiles: [...knownHosts, ...resolved.globalKnownHostsFiles],
      confirmUnknownHost: (p) => this.confirmHostKey(name, p),
      rememberHostKey: async (host, port, key) => {
        await mkdir(path.dirname(knownHosts[0]), { recursive: true, mode: 0o700 });
        await appendFile(knownHosts[0], `${knownHostsLine(host, port, key)}\n`, { mode: 0o600 });
        this.log.info(`${name}: added the host key of ${host}:${port} to ${knownHosts[0]}`);
      },
      passphrase: (file, retry) => this.passphrase(file, retry),
      passphraseResult: async (file, value, unlocked) => {
        // Kept only once it has unlocked the key; a stored one that no longer does is forgotten.
        if (unlocked) await this.secrets.store(SECRET_PREFIX + file, value);
        else if ((await this.secrets.get(SECRET_PREFIX + file)) === value)
          await this.secrets.delete(SECRET_PREFIX + file);
      },
    });
    connection.on('state', (s: ConnectionState) => {
      this.log.info(
        `${name}: ${s}${s === 'failed' && connection.lastError ? ` (${connection.lastError.message})` : ''}`,
      );
      this.render();
    });
    this.connections.set(name, { connection, profile: key });
    this.render();
    return connection;
  }

  private async confirmHostKey(name: string, p: HostKeyPrompt): Promise<boolean> {
    const accept = vscode.l10n.t('Accept and remember');
    const detail = [
      vscode.l10n.t("The authenticity of {0}:{1} can't be established.", p.host, p.port),
      vscode.l10n.t('{0} key fingerprint: {1}', p.keyType, p.fingerprint),
      p.otherTypes.length
        ? vscode.l10n.t('known_hosts holds keys of other types for this host: {0}.', p.otherTypes.join(', '))
        : '',
      p.certificate ?? '',
      vscode.l10n.t('Compare the fingerprint with the one your cluster publishes before accepting.'),
    ]
      .filter(Boolean)
      .join('\n');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Unknown host key for cluster "{0}"', name),
      { modal: true, detail },
      accept,
    );
    return choice === accept;
  }

  private async passphrase(file: string, retry: boolean): Promise<string | undefined> {
    const key = SECRET_PREFIX + file;
    if (!retry) {
      const stored = await this.secrets.get(key);
      if (stored !== undefined) return stored;
    }
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Passphrase for {0}', file),
      prompt: retry
        ? vscode.l10n.t('That passphrase did not unlock the key; try again.')
        : vscode.l10n.t("Stored in VS Code's secret storage, never in settings."),
      password: true,
      ignoreFocusOut: true,
    });
    return value;
  }

  disconnect(name: string) {
    this.connections.get(name)?.connection.dispose();
    this.connections.delete(name);
    this.render();
  }

  private render() {
    const live = [...this.connections.values()].map((c) => c.connection);
    if (live.length === 0) {
      this.status.hide();
      return;
    }
    const icon: Record<ConnectionState, string> = {
      idle: '$(vm-outline)',
      connecting: '$(sync~spin)',
      connected: '$(vm-active)',
      reconnecting: '$(sync~spin)',
      failed: '$(error)',
      closed: '$(vm-outline)',
    };
    this.status.text = live.map((c) => `${icon[c.state]} ${c.name}`).join('  ');
    this.status.tooltip = live
      .map((c) => `${c.name}: ${c.state}${c.lastError ? ` — ${c.lastError.message}` : ''} (${channelLoad(c.load)})`)
      .join('\n');
    this.status.backgroundColor = live.some((c) => c.state === 'failed')
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : undefined;
    this.status.show();
  }
}

/** "3 channels in use (2 following logs), 1 queued", with singulars where they belong. */
export function channelLoad(load: { inUse: number; queued: number; follows: number; followsQueued: number }): string {
  const parts = [
    load.inUse === 1 ? vscode.l10n.t('1 channel in use') : vscode.l10n.t('{0} channels in use', load.inUse),
    ...(load.follows > 0
      ? [load.follows === 1 ? vscode.l10n.t('1 following a log') : vscode.l10n.t('{0} following logs', load.follows)]
      : []),
    ...(load.queued > 0 ? [vscode.l10n.t('{0} queued', load.queued)] : []),
    ...(load.followsQueued > 0
      ? [
          load.followsQueued === 1
            ? vscode.l10n.t('1 log waiting for a channel')
            : vscode.l10n.t('{0} logs waiting for a channel', load.followsQueued),
        ]
      : []),
  ];
  return parts.join(', ');
}
