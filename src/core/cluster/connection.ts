import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';

/** ssh2 is loaded on the first connection, not when the extension starts (it costs ~30 ms to load). */
let ssh2: Promise<typeof import('ssh2')> | undefined;
// ssh2 is CommonJS: through import() its exports arrive as `default` (Node's ESM loader), or as names (bundled).
const loadSsh2 = () => (ssh2 ??= import('ssh2').then((m) => (m as { default?: typeof import('ssh2') }).default ?? m));
import { checkHostKey, fingerprint, keyTypeOf, knownKeyTypes, parseKnownHosts, type HostKeyVerdict, type KnownHostEntry } from './knownHosts';
import { Semaphore } from './semaphore';
import { shellCommand } from './shellQuote';

/** One hop of an SSH route: the login node, or a bastion before it. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly identityFiles: readonly string[];
  /** ssh-agent socket, or undefined for none. */
  readonly agent?: string;
}

export interface SshTarget extends SshEndpoint {
  /** Bastions, outermost first (ProxyJump order). */
  readonly jumps: readonly SshEndpoint[];
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  readonly readyTimeoutMs: number;
}

export interface HostKeyPrompt {
  readonly host: string;
  readonly port: number;
  readonly keyType: string;
  readonly fingerprint: string;
  /** Key types already known for the host, if any (the server offered another). */
  readonly otherTypes: readonly string[];
}

export interface ConnectionHooks {
  /** known_hosts files, read at every connection. */
  readonly knownHostsFiles: readonly string[];
  /** Asked only for a host with no key of this type in known_hosts: accept (true) or refuse. */
  confirmUnknownHost(prompt: HostKeyPrompt): Promise<boolean>;
  /** Called after an accepted unknown key, to record it (append to known_hosts). */
  rememberHostKey?(host: string, port: number, key: Buffer): Promise<void>;
  /** The passphrase of an encrypted identity file, from secret storage or the user; undefined skips it. */
  passphrase?(identityFile: string, retry: boolean): Promise<string | undefined>;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export class HostKeyError extends Error {
  constructor(readonly host: string, readonly port: number, readonly verdict: HostKeyVerdict | { status: 'refused' }, readonly offeredFingerprint: string) {
    super(HostKeyError.describe(host, port, verdict, offeredFingerprint));
    this.name = 'HostKeyError';
  }

  static describe(host: string, port: number, v: HostKeyVerdict | { status: 'refused' }, fp: string): string {
    const where = port === 22 ? host : `${host}:${port}`;
    switch (v.status) {
      case 'changed':
        return `REMOTE HOST IDENTIFICATION HAS CHANGED for ${where}: it offered ${fp}, but known_hosts line ${v.line} holds ${v.knownFingerprint}. Someone could be intercepting the connection, or the host key was replaced. Refused; check with your cluster's administrators before editing known_hosts.`;
      case 'revoked':
        return `The host key of ${where} (${fp}) is marked @revoked in known_hosts (line ${v.line}). Refused.`;
      case 'refused':
        return `The host key of ${where} (${fp}) is not in known_hosts and was not accepted. Refused.`;
      default:
        return `Host key check of ${where} failed (${fp}).`;
    }
  }
}

export class ConnectionLostError extends Error {
  constructor(what: string) {
    super(`the connection was lost while ${what}`);
    this.name = 'ConnectionLostError';
  }
}

/** The server refused a new channel (MaxSessions): nothing was started. */
class ChannelOpenError extends Error {}

export interface ExecResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly stdin?: string | Buffer;
  /** Streamed output, as it arrives (for tails); then the result's stdout is empty, so a follow of a huge log holds nothing. */
  readonly onStdout?: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
}

/** OpenSSH's default MaxSessions: channels one connection may have open at once. */
export const MAX_CHANNELS = 10;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 30000];

async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const out: KnownHostEntry[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => undefined);
    if (text !== undefined) out.push(...parseKnownHosts(text).entries);
  }
  return out;
}

/**
 * One SSH connection to a cluster, shared by everything that talks to it: commands run on
 * channels of this connection (at most MAX_CHANNELS at once, the rest queue), SFTP on one more.
 * Host keys are checked against known_hosts before any authentication. When the connection drops
 * it reconnects with backoff; commands that were running fail with ConnectionLostError (the caller
 * knows whether a retry is safe), commands issued meanwhile wait for the new connection.
 */
export class ClusterConnection extends EventEmitter {
  private client: Client | undefined;
  private jumpClients: Client[] = [];
  private ready: Promise<Client> | undefined;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private readonly channels = new Semaphore(MAX_CHANNELS);
  private stateValue: ConnectionState = 'idle';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private disposed = false;
  lastError: Error | undefined;

  constructor(readonly name: string, private readonly target: SshTarget, private readonly hooks: ConnectionHooks) {
    super();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Channels in use and waiting: for the status bar. */
  get load(): { inUse: number; queued: number } {
    return { inUse: this.channels.inUse, queued: this.channels.queued };
  }

  private setState(s: ConnectionState) {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.emit('state', s);
  }

  /** The live client, connecting (or waiting for a reconnect) first. */
  connect(): Promise<Client> {
    if (this.disposed) return Promise.reject(new Error(`${this.name}: the connection is closed`));
    if (!this.ready) {
      this.setState(this.attempt > 0 ? 'reconnecting' : 'connecting');
      this.ready = this.open();
      this.ready.then(
        () => {
          this.attempt = 0;
          this.lastError = undefined;
          this.setState('connected');
        },
        (e: Error) => {
          this.ready = undefined;
          this.lastError = e;
          this.setState('failed');
        },
      );
    }
    return this.ready;
  }

  private async open(): Promise<Client> {
    const known = await readKnownHosts(this.hooks.knownHostsFiles);
    let sock: Duplex | undefined;
    const jumps: Client[] = [];
    try {
      for (const hop of this.target.jumps) {
        const c = await this.handshake(hop, known, sock);
        jumps.push(c);
        sock = await new Promise<Duplex>((resolve, reject) => c.forwardOut('127.0.0.1', 0, nextHost(this.target, hop), nextPort(this.target, hop), (err, s) => (err ? reject(err) : resolve(s))));
      }
      const client = await this.handshake(this.target, known, sock);
      this.jumpClients = jumps;
      this.client = client;
      client.on('close', () => this.onClose(client));
      return client;
    } catch (e) {
      for (const j of jumps) j.end();
      throw e;
    }
  }

  private async tcp(host: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      // Without this, every small request waits out Nagle's algorithm: 44 ms instead of ~2 ms a command.
      s.setNoDelay(true);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }

  private async handshake(hop: SshEndpoint, known: KnownHostEntry[], via?: Duplex): Promise<Client> {
    const sock = via ?? (await this.tcp(hop.host, hop.port));
    const { Client } = await loadSsh2();
    const client = new Client();
    let hostKeyProblem: Error | undefined;
    const preferred = knownKeyTypes(known, hop.host, hop.port);
    const auth = this.authMethods(hop);
    const config: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username: hop.username,
      keepaliveInterval: this.target.keepaliveIntervalMs,
      keepaliveCountMax: this.target.keepaliveCountMax,
      readyTimeout: this.target.readyTimeoutMs,
      // Ask for a key type known_hosts already holds, as OpenSSH does, so a known host is not "unknown".
      ...(preferred.length > 0 ? { algorithms: { serverHostKey: { prepend: hostKeyAlgorithms(preferred) } } } : {}),
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        void this.verifyHostKey(hop, known, key).then(
          () => verify(true),
          (e: Error) => {
            hostKeyProblem = e;
            verify(false);
          },
        );
      },
      authHandler: (_methodsLeft: unknown, _partial: unknown, next: (m: AnyAuthMethod | false) => void) => {
        void auth.next().then((r) => next(r.done ? false : r.value));
      },
    } as ConnectConfig;
    return new Promise<Client>((resolve, reject) => {
      const fail = (e: Error) => {
        client.removeAllListeners('ready');
        sock.destroy();
        reject(hostKeyProblem ?? (/authentication methods failed/i.test(e.message) ? new Error(`${hop.username}@${hop.host}:${hop.port}: authentication failed (tried ${describeAuth(hop)})`) : e));
      };
      client.once('ready', () => {
        client.removeListener('error', fail);
        client.on('error', (e) => (this.lastError = e));
        resolve(client);
      });
      client.once('error', fail);
      client.connect(config);
    });
  }

  private async verifyHostKey(hop: SshEndpoint, known: KnownHostEntry[], key: Buffer) {
    const verdict = checkHostKey(known, hop.host, hop.port, key);
    const fp = fingerprint(key);
    if (verdict.status === 'known') return;
    if (verdict.status !== 'unknown') throw new HostKeyError(hop.host, hop.port, verdict, fp);
    const ok = await this.hooks.confirmUnknownHost({ host: hop.host, port: hop.port, keyType: keyTypeOf(key) ?? 'unknown', fingerprint: fp, otherTypes: verdict.otherTypes });
    if (!ok) throw new HostKeyError(hop.host, hop.port, { status: 'refused' }, fp);
    await this.hooks.rememberHostKey?.(hop.host, hop.port, key);
  }

  /** Agent first, then each identity file; an encrypted key asks for its passphrase. */
  private async *authMethods(hop: SshEndpoint): AsyncGenerator<AnyAuthMethod> {
    if (hop.agent) yield { type: 'agent', username: hop.username, agent: hop.agent };
    const { utils } = await loadSsh2();
    for (const file of hop.identityFiles) {
      const data = await readFile(file).catch(() => undefined);
      if (!data) continue;
      let parsed = utils.parseKey(data);
      let retry = false;
      while (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message) && this.hooks.passphrase) {
        const pass = await this.hooks.passphrase(file, retry);
        if (pass === undefined) break;
        parsed = utils.parseKey(data, pass);
        retry = true;
      }
      if (parsed instanceof Error) continue;
      yield { type: 'publickey', username: hop.username, key: Array.isArray(parsed) ? parsed[0] : parsed };
    }
  }

  private onClose(client: Client) {
    if (client !== this.client) return;
    this.client = undefined;
    this.ready = undefined;
    this.sftpSession = undefined;
    for (const j of this.jumpClients) j.end();
    this.jumpClients = [];
    this.emit('lost');
    if (this.disposed) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.setState('reconnecting');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((e: Error) => {
        // A refused host key or failed authentication will not fix itself: stop and say so.
        if (e instanceof HostKeyError || /authentication failed/.test(e.message)) return;
        if (!this.disposed) this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref?.();
  }

  /** Runs argv (quoted by shellCommand) on the cluster and collects its output. */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.execLine(shellCommand(argv), options);
  }

  /**
   * Runs a command line built only from shellCommand/shellAnd pieces. Kept separate so a pipeline
   * (`a | b`) can be composed from quoted argument vectors without a second quoting rule.
   */
  async execLine(line: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.channels.with(async () => {
      for (let attempt = 0; ; attempt++) {
        const client = await this.connect();
        try {
          return await this.runOnChannel(client, line, options);
        } catch (e) {
          // The server still counts a session that just closed for a moment, or allows fewer than
          // MAX_CHANNELS: opening failed before anything ran, so trying again is safe.
          if (!(e instanceof ChannelOpenError) || attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, 25 * (attempt + 1)));
        }
      }
    });
  }

  private runOnChannel(client: Client, line: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      client.exec(line, (err: Error | undefined, stream: ClientChannel) => {
        if (err) {
          if (this.client !== client) return reject(new ConnectionLostError(`starting "${line.slice(0, 80)}"`));
          return reject(/open failed|open failure/i.test(err.message) ? new ChannelOpenError(err.message) : err);
        }
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let exit: { code: number | null; signal?: string } | undefined;
        const abort = () => {
          // Stop the remote program too (tail -F would otherwise live on until its next write).
          try {
            stream.signal('KILL');
          } catch {
            // the channel is already gone
          }
          stream.close();
        };
        options.signal?.addEventListener('abort', abort, { once: true });
        stream.on('data', (b: Buffer) => {
          if (options.onStdout) options.onStdout(b);
          else out.push(b);
        });
        stream.stderr.on('data', (b: Buffer) => errs.push(b));
        stream.on('exit', (code: number | null, signal?: string) => (exit = { code, signal }));
        stream.on('close', () => {
          options.signal?.removeEventListener('abort', abort);
          if (!exit && this.client !== client) return reject(new ConnectionLostError(`running "${line.slice(0, 80)}"`));
          resolve({ code: exit?.code ?? null, signal: exit?.signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8') });
        });
        if (options.stdin !== undefined) stream.end(options.stdin);
        else stream.end();
      });
    });
  }

  /** The connection's SFTP session (one channel, opened once and kept). */
  async sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const session = (async () => {
        const client = await this.connect();
        // The SFTP channel holds one slot for as long as the connection lives.
        const release = await this.channels.acquire();
        try {
          const s = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
          s.on('close', () => {
            release();
            if (this.sftpSession === session) this.sftpSession = undefined;
          });
          return s;
        } catch (e) {
          release();
          throw e;
        }
      })();
      this.sftpSession = session;
      session.catch(() => {
        if (this.sftpSession === session) this.sftpSession = undefined;
      });
    }
    return this.sftpSession;
  }

  /** Closes the connection; no reconnect follows. */
  dispose() {
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    this.client?.end();
    for (const j of this.jumpClients) j.end();
    this.setState('closed');
  }
}

function describeAuth(hop: SshEndpoint): string {
  const parts = [...(hop.agent ? ['ssh-agent'] : []), ...hop.identityFiles];
  return parts.length ? parts.join(', ') : 'no identities: set identityFiles or start ssh-agent';
}

/** The host the hop after `hop` is reached at, from inside `hop`. */
function nextHost(target: SshTarget, hop: SshEndpoint): string {
  const i = target.jumps.indexOf(hop);
  return i + 1 < target.jumps.length ? target.jumps[i + 1].host : target.host;
}

function nextPort(target: SshTarget, hop: SshEndpoint): number {
  const i = target.jumps.indexOf(hop);
  return i + 1 < target.jumps.length ? target.jumps[i + 1].port : target.port;
}

/** known_hosts key types → the host key algorithms that produce them (RSA keys sign with SHA-2 today). */
function hostKeyAlgorithms(types: readonly string[]): never[] {
  return types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521))$/.test(t) ? [t] : [])) as never[];
}
