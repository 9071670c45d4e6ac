import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, BaseAgent, Client, ClientChannel, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';

import { checkHostCertificate, parseHostCertificate, scanHostCertificates } from './hostCertificate';
import {
  certAuthorities,
  checkHostKey,
  fingerprint,
  type HostKeyVerdict,
  type KnownHostEntry,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
} from './knownHosts';
import { abortError, Semaphore } from './semaphore';
import { SftpFiles } from './sftp';
import { shellCommand } from './shellQuote';
import {
  type ClusterTransport,
  type ConnectionState,
  type ExecOptions,
  type ExecResult,
  type RemoteFiles,
  seconds,
} from './transport';

/** ssh2 is loaded on the first connection, not when the extension starts (it costs ~30 ms to load). */
let ssh2: Promise<typeof import('ssh2')> | undefined;
// ssh2 is CommonJS: through import() its exports arrive as `default` (Node's ESM loader), or as names (bundled).
const loadSsh2 = () => (ssh2 ??= import('ssh2').then((m) => (m as { default?: typeof import('ssh2') }).default ?? m));

/** One hop of an SSH route: the login node, or a bastion before it. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly identityFiles: readonly string[];
  /** ssh-agent socket, or undefined for none. */
  readonly agent?: string;
  /** OpenSSH's IdentitiesOnly: of the agent's keys, offer only those of identityFiles. */
  readonly identitiesOnly?: boolean;
}

export interface SshTarget extends SshEndpoint {
  /** Bastions, outermost first (ProxyJump order). */
  readonly jumps: readonly SshEndpoint[];
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  /** The deadline for a whole connection (every hop, TCP to authenticated); time spent waiting for the user does not count. */
  readonly readyTimeoutMs: number;
}

export interface HostKeyPrompt {
  readonly host: string;
  readonly port: number;
  readonly keyType: string;
  readonly fingerprint: string;
  /** Key types already known for the host, if any (the server offered another). */
  readonly otherTypes: readonly string[];
  /** Why a CA that known_hosts trusts for this host did not vouch for the key, when one does. */
  readonly certificate?: string;
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
  /** What a passphrase turned out to be once tried: only one that unlocked its key should be kept. */
  passphraseResult?(identityFile: string, passphrase: string, unlocked: boolean): Promise<void>;
}

/** Connecting failed (nothing ran). */
export class ConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectError';
  }
}

/** The server refused every key offered, or disconnected for too many: trying again cannot help until the user acts. */
export class AuthenticationError extends ConnectError {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export class HostKeyError extends ConnectError {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly verdict: HostKeyVerdict | { status: 'refused' },
    readonly offeredFingerprint: string,
  ) {
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

/** Failures that will not fix themselves: no reconnect is tried until the user asks (`retry`). */
export function needsUser(e: unknown): boolean {
  return e instanceof HostKeyError || e instanceof AuthenticationError;
}

export class ConnectionLostError extends Error {
  constructor(what: string) {
    super(`the connection was lost while ${what}`);
    this.name = 'ConnectionLostError';
  }
}

/**
 * A command that ran past its time limit and was killed. It is a lost reply like a dropped
 * connection: the command may or may not have done its work, and the caller knows whether to look.
 */
export class CommandTimeoutError extends ConnectionLostError {
  constructor(
    readonly command: string,
    readonly limitMs: number,
  ) {
    super(`running ${command}`);
    this.message = `${command} did not finish within ${seconds(limitMs)} s and was stopped`;
    this.name = 'CommandTimeoutError';
  }
}

/** The server refused a new channel (MaxSessions): nothing was started. */
class ChannelOpenError extends Error {}

/** OpenSSH's default MaxSessions: channels one connection may have open at once. */
export const MAX_CHANNELS = 10;
/** Channels that follows (open logs, training charts) may hold: one is SFTP's, three stay for commands. */
export const MAX_FOLLOWS = MAX_CHANNELS - 4;
export const COMMAND_TIMEOUT_MS = 5 * 60_000;
/** A channel the server refused to open, tried again this often, waiting one more step each time (≈ 5 s in all). */
const CHANNEL_OPEN_RETRIES = 20;
const CHANNEL_OPEN_STEP_MS = 25;
export const QUEUE_TIMEOUT_MS = 60_000;

/** Waits between connection attempts after a failure or a drop. */
export const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 30000];

async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const out: KnownHostEntry[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => undefined);
    if (text !== undefined) out.push(...parseKnownHosts(text).entries);
  }
  return out;
}

/**
 * The time limit of one connection attempt across all its hops. Prompts (unknown host key,
 * passphrase) pause it: the user may take as long as they like; the network may not.
 */
class Deadline {
  stage = 'TCP connection';
  private left: number;
  private since = Date.now();
  private paused = 0;
  private timer: NodeJS.Timeout | undefined;
  private fail!: (e: Error) => void;
  /** Rejects when the time is up; raced against every step. */
  readonly expired: Promise<never>;

  constructor(
    private readonly ms: number,
    private readonly name: string,
  ) {
    this.left = ms;
    this.expired = new Promise<never>((_, reject) => (this.fail = reject));
    this.expired.catch(() => undefined);
    this.arm();
  }

  private arm() {
    this.since = Date.now();
    this.timer = setTimeout(
      () =>
        this.fail(
          new ConnectError(`${this.name}: no connection within ${seconds(this.ms)} s (stuck at: ${this.stage})`),
        ),
      Math.max(0, this.left),
    );
  }

  async whileUser<T>(fn: () => Promise<T>): Promise<T> {
    if (this.paused++ === 0) {
      clearTimeout(this.timer);
      this.left -= Date.now() - this.since;
    }
    try {
      return await fn();
    } finally {
      if (--this.paused === 0 && this.timer !== undefined) this.arm();
    }
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.expired]);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** An agent that offers only some of another agent's keys, so that we choose the order of attempts. */
function agentSubset(lib: typeof import('ssh2'), agent: BaseAgent, keys: ParsedKey[]): BaseAgent {
  class Subset extends lib.BaseAgent {
    getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void) {
      cb(undefined, keys);
    }
    sign(pubKey: ParsedKey, data: Buffer, options: unknown, cb?: (err: Error | undefined, signature?: Buffer) => void) {
      (agent.sign as (...a: unknown[]) => void)(pubKey, data, options, cb);
    }
  }
  return new Subset() as BaseAgent;
}

/** The key blob of an OpenSSH public key line (`type base64 comment`). */
function publicBlob(line: string | undefined): Buffer | undefined {
  const b64 = line?.trim().split(/\s+/)[1];
  return b64 ? Buffer.from(b64, 'base64') : undefined;
}

interface AuthAttempt {
  readonly method: AnyAuthMethod;
  /** Keys this method offers: sshd's MaxAuthTries counts each. */
  readonly keys: number;
}

/** What a connection tells its listeners: its state, a retry asked for, a drop, its end. */
export interface ConnectionEvents {
  state: [state: ConnectionState];
  retry: [];
  lost: [];
  disposed: [];
}

/**
 * One SSH connection to a cluster, shared by everything that talks to it: commands run on
 * channels of this connection (at most MAX_CHANNELS at once, the rest queue), SFTP on one more.
 * Host keys are checked against known_hosts before any authentication. When the connection drops
 * it reconnects with backoff; commands that were running fail with ConnectionLostError (the caller
 * knows whether a retry is safe), commands issued meanwhile wait for the new connection.
 */
export class ClusterConnection extends EventEmitter<ConnectionEvents> implements ClusterTransport {
  readonly kind = 'ssh';
  private client: Client | undefined;
  private jumpClients: Client[] = [];
  private ready: Promise<Client> | undefined;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private readonly channels = new Semaphore(MAX_CHANNELS);
  private readonly follows = new Semaphore(MAX_FOLLOWS);
  private stateValue: ConnectionState = 'idle';
  private attempt = 0;
  private lastFailure = 0;
  /** Reconnect on our own (after a drop) rather than only when asked. */
  private reconnecting = false;
  private wake: (() => void) | undefined;
  private disposed = false;
  /** A failure that needs the user (host key, authentication): nothing is retried until `retry()`. */
  private blocked: Error | undefined;
  lastError: Error | undefined;
  /** The SHA256 fingerprint of the login node's host key, once it has been checked. */
  hostKeyFingerprint: string | undefined;

  constructor(
    readonly name: string,
    private readonly target: SshTarget,
    private readonly hooks: ConnectionHooks,
  ) {
    super();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Channels in use and waiting, and follows running and waiting: for the status bar. */
  get load(): { inUse: number; queued: number; follows: number; followsQueued: number } {
    return {
      inUse: this.channels.inUse,
      queued: this.channels.queued,
      follows: this.follows.inUse,
      followsQueued: this.follows.queued,
    };
  }

  /** The failure that stopped all attempts until the user acts, if any. */
  get blockedBy(): Error | undefined {
    return this.blocked;
  }

  private setState(s: ConnectionState) {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.emit('state', s);
  }

  /**
   * The live client. Without one, every caller shares one attempt, made no sooner than the
   * backoff after the last failure allows; after a failure that needs the user, it fails at once.
   */
  connect(): Promise<Client> {
    if (this.disposed) return Promise.reject(new ConnectError(`${this.name}: the connection is closed`));
    if (this.ready) return this.ready;
    if (this.blocked) return Promise.reject(this.blocked);
    const wait =
      this.attempt === 0
        ? 0
        : Math.max(0, BACKOFF_MS[Math.min(this.attempt - 1, BACKOFF_MS.length - 1)] - (Date.now() - this.lastFailure));
    this.setState(this.attempt > 0 || this.reconnecting ? 'reconnecting' : 'connecting');
    const ready = (async () => {
      if (wait > 0) await this.sleep(wait);
      if (this.disposed) throw new ConnectError(`${this.name}: the connection is closed`);
      return this.open();
    })();
    this.ready = ready;
    ready.then(
      () => {
        this.attempt = 0;
        this.reconnecting = false;
        this.lastError = undefined;
        this.setState('connected');
      },
      (e: Error) => {
        if (this.ready === ready) this.ready = undefined;
        this.attempt++;
        this.lastFailure = Date.now();
        this.lastError = e;
        if (this.disposed) return;
        if (needsUser(e)) this.blocked = e;
        this.setState('failed');
        if (this.reconnecting && !this.blocked) void this.connect().catch(() => undefined);
      },
    );
    return ready;
  }

  /** The user asks to try again: lifts a block and skips the backoff. */
  retry(): Promise<Client> {
    this.blocked = undefined;
    this.attempt = 0;
    this.wake?.();
    this.emit('retry');
    return this.connect();
  }

  /** Resolves when the user asks to try again (or the connection is closed): for followers that stopped on a block. */
  whenRetried(): Promise<void> {
    if (!this.blocked || this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.off('retry', done);
        this.off('disposed', done);
        resolve();
      };
      this.on('retry', done);
      this.on('disposed', done);
    });
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      const before = this.wake;
      this.wake = () => {
        before?.();
        done();
      };
    });
    this.wake = undefined;
  }

  private async open(): Promise<Client> {
    const deadline = new Deadline(this.target.readyTimeoutMs, this.name);
    const clients: Client[] = [];
    const socks: Duplex[] = [];
    try {
      const known = await readKnownHosts(this.hooks.knownHostsFiles);
      let sock: Duplex | undefined;
      for (const hop of this.target.jumps) {
        const c = await deadline.race(this.handshake(hop, known, deadline, clients, socks, sock));
        deadline.stage = `forwarding through ${hop.host} to the next hop`;
        sock = await deadline.race(
          new Promise<Duplex>((resolve, reject) =>
            c.forwardOut('127.0.0.1', 0, nextHost(this.target, hop), nextPort(this.target, hop), (err, s) =>
              err
                ? reject(
                    new ConnectError(
                      `${hop.host}: cannot reach ${nextHost(this.target, hop)}:${nextPort(this.target, hop)}: ${err.message}`,
                    ),
                  )
                : resolve(s),
            ),
          ),
        );
        socks.push(sock);
      }
      const client = await deadline.race(this.handshake(this.target, known, deadline, clients, socks, sock));
      this.jumpClients = clients.slice(0, -1);
      this.client = client;
      client.on('close', () => this.onClose(client));
      return client;
    } catch (e) {
      for (const c of clients) c.end();
      for (const s of socks) s.destroy();
      throw e;
    } finally {
      deadline.stop();
    }
  }

  private tcp(host: string, port: number, socks: Duplex[]): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      socks.push(s);
      // Without this, every small request waits out Nagle's algorithm: 44 ms instead of ~2 ms a command.
      s.setNoDelay(true);
      s.once('connect', () => resolve(s));
      s.once('error', (e) => reject(new ConnectError(`${host}:${port}: ${e.message}`, { cause: e })));
    });
  }

  private async handshake(
    hop: SshEndpoint,
    known: KnownHostEntry[],
    deadline: Deadline,
    clients: Client[],
    socks: Duplex[],
    via?: Duplex,
  ): Promise<Client> {
    const where = `${hop.username}@${hop.host}:${hop.port}`;
    deadline.stage = `TCP connection to ${hop.host}:${hop.port}`;
    const sock = via ?? (await this.tcp(hop.host, hop.port, socks));
    const lib = await loadSsh2();
    const client = new lib.Client();
    clients.push(client);
    let hostKeyProblem: Error | undefined;
    let stage = 'key exchange';
    let keysOffered = 0;
    const setStage = (s: string) => {
      stage = s;
      deadline.stage = `${s} with ${where}`;
    };
    setStage('key exchange');
    const preferred = knownKeyTypes(known, hop.host, hop.port);
    const auth = this.authMethods(hop, deadline);
    const config: ConnectConfig = {
      sock: sock as ConnectConfig['sock'],
      username: hop.username,
      keepaliveInterval: this.target.keepaliveIntervalMs,
      keepaliveCountMax: this.target.keepaliveCountMax,
      // The Deadline above times the whole attempt, without the minutes a user may spend on a prompt.
      readyTimeout: 0,
      // Ask for a key type known_hosts already holds, as OpenSSH does, so a known host is not "unknown".
      ...(preferred.length > 0 ? { algorithms: { serverHostKey: { prepend: hostKeyAlgorithms(preferred) } } } : {}),
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        setStage('host key check');
        void this.verifyHostKey(hop, known, key, deadline, !via).then(
          () => {
            setStage('key exchange');
            verify(true);
          },
          (e: Error) => {
            hostKeyProblem = e;
            verify(false);
          },
        );
      },
      authHandler: (_methodsLeft: unknown, _partial: unknown, next: (m: AnyAuthMethod | false) => void) => {
        setStage('authentication');
        void auth.next().then(
          (r) => {
            if (!r.done) keysOffered += r.value.keys;
            next(r.done ? false : r.value.method);
          },
          () => next(false),
        );
      },
    } as ConnectConfig;
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        sock.destroy();
        reject(e);
      };
      // One listener for the client's whole life: an 'error' with no listener would crash the extension host.
      client.on('error', (e: Error & { level?: string }) => {
        if (settled) {
          this.lastError = e;
          return;
        }
        if (hostKeyProblem) return fail(hostKeyProblem);
        if (/authentication methods failed/i.test(e.message))
          return fail(new AuthenticationError(`${where}: authentication failed (tried ${describeAuth(hop)})`));
        if (/too many authentication failures/i.test(e.message))
          return fail(
            new AuthenticationError(
              `${where}: the server refused more keys ("${e.message}") after ${keysOffered} offered (tried ${describeAuth(hop)}); set identityFiles, or IdentitiesOnly in ~/.ssh/config, so that the right key is offered first`,
            ),
          );
        fail(new ConnectError(`${where}: ${e.message} (during ${stage})`, { cause: e }));
      });
      client.on('handshake', () => setStage('authentication'));
      // sshd may just close: LoginGraceTime, MaxAuthTries reached, a restart. Then there is no 'error'.
      client.on('close', () => {
        if (hostKeyProblem) return fail(hostKeyProblem);
        const why =
          stage === 'authentication'
            ? ` after ${keysOffered} key${keysOffered === 1 ? '' : 's'} offered (sshd's MaxAuthTries or LoginGraceTime?)`
            : '';
        fail(new ConnectError(`${where}: the server closed the connection during ${stage}${why}`));
      });
      client.once('ready', () => {
        if (settled) return client.end();
        settled = true;
        resolve(client);
      });
      client.connect(config);
    });
  }

  private async verifyHostKey(
    hop: SshEndpoint,
    known: KnownHostEntry[],
    key: Buffer,
    deadline: Deadline,
    direct: boolean,
  ) {
    const verdict = checkHostKey(known, hop.host, hop.port, key);
    const fp = fingerprint(key);
    if (hop === this.target) this.hostKeyFingerprint = fp;
    if (verdict.status === 'known') return;
    if (verdict.status !== 'unknown') throw new HostKeyError(hop.host, hop.port, verdict, fp);
    const certificate = await this.checkCertificates(hop, known, key, direct);
    if (certificate === true) return;
    const ok = await deadline.whileUser(() =>
      this.hooks.confirmUnknownHost({
        host: hop.host,
        port: hop.port,
        keyType: keyTypeOf(key) ?? 'unknown',
        fingerprint: fp,
        otherTypes: verdict.otherTypes,
        ...(certificate ? { certificate } : {}),
      }),
    );
    if (!ok) throw new HostKeyError(hop.host, hop.port, { status: 'refused' }, fp);
    await this.hooks.rememberHostKey?.(hop.host, hop.port, key);
  }

  /**
   * `@cert-authority` for this host: true when the server's certificate (fetched with ssh-keyscan,
   * which reaches only a host we connect to directly) certifies the key it used with us; otherwise
   * why not, for the prompt; undefined when no CA is trusted for the host.
   */
  private async checkCertificates(
    hop: SshEndpoint,
    known: KnownHostEntry[],
    key: Buffer,
    direct: boolean,
  ): Promise<true | string | undefined> {
    const authorities = certAuthorities(known, hop.host, hop.port);
    if (authorities.length === 0) return undefined;
    if (!direct)
      return 'known_hosts trusts a certificate authority for this host, but its certificate cannot be fetched through a ProxyJump';
    const certs = await scanHostCertificates(hop.host, hop.port);
    if (certs.length === 0)
      return 'known_hosts trusts a certificate authority for this host, but the server presented no host certificate (or ssh-keyscan is missing)';
    const reasons: string[] = [];
    for (const blob of certs) {
      try {
        const v = checkHostCertificate(parseHostCertificate(blob), key, hop.host, authorities);
        if (v.ok) return true;
        reasons.push(v.reason);
      } catch (e) {
        reasons.push(`unreadable certificate: ${(e as Error).message}`);
      }
    }
    return `the host certificate was not accepted: ${reasons.join('; ')}`;
  }

  /**
   * OpenSSH's order: each identity file first (signed by the agent when the agent holds it, so an
   * encrypted key needs no passphrase), then the agent's other keys unless IdentitiesOnly. Offering
   * an agent's seven keys first would make sshd (MaxAuthTries 6) hang up before the right one.
   */
  private async *authMethods(hop: SshEndpoint, deadline: Deadline): AsyncGenerator<AuthAttempt> {
    const lib = await loadSsh2();
    const agent = hop.agent ? (new lib.OpenSSHAgent(hop.agent) as BaseAgent) : undefined;
    const agentKeys = agent
      ? await new Promise<ParsedKey[]>((resolve) =>
          agent.getIdentities((err, keys) => resolve(err ? [] : ((keys ?? []) as ParsedKey[]))),
        )
      : [];
    const used = new Set<ParsedKey>();
    for (const file of hop.identityFiles) {
      const data = await readFile(file).catch(() => undefined);
      let blob = publicBlob(await readFile(`${file}.pub`, 'utf8').catch(() => undefined));
      let parsed = data ? lib.utils.parseKey(data) : undefined;
      if (!blob && parsed && !(parsed instanceof Error))
        blob = (Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH();
      const inAgent = blob && agentKeys.find((k) => k.getPublicSSH().equals(blob!));
      if (agent && inAgent) {
        used.add(inAgent);
        yield { method: { type: 'agent', username: hop.username, agent: agentSubset(lib, agent, [inAgent]) }, keys: 1 };
        continue;
      }
      if (!data || !parsed) continue;
      let retry = false;
      while (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message) && this.hooks.passphrase) {
        const pass = await deadline.whileUser(() => this.hooks.passphrase!(file, retry));
        if (pass === undefined) break;
        parsed = lib.utils.parseKey(data, pass);
        // Only a passphrase that unlocked the key may be kept; a wrong one is forgotten.
        await this.hooks.passphraseResult?.(file, pass, !(parsed instanceof Error));
        retry = true;
      }
      if (parsed instanceof Error) continue;
      yield {
        method: {
          type: 'publickey',
          username: hop.username,
          key: Array.isArray(parsed) ? parsed[0] : parsed,
        } as AnyAuthMethod,
        keys: 1,
      };
    }
    const rest = agentKeys.filter((k) => !used.has(k));
    if (agent && rest.length > 0 && !hop.identitiesOnly)
      yield {
        method: { type: 'agent', username: hop.username, agent: agentSubset(lib, agent, rest) },
        keys: rest.length,
      };
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
    // Reconnect in the background, the first try after BACKOFF_MS[0]; callers meanwhile share it.
    this.reconnecting = true;
    this.attempt = 1;
    this.lastFailure = Date.now();
    void this.connect().catch(() => undefined);
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
    const what = `"${line.length > 80 ? `${line.slice(0, 80)}…` : line}"`;
    const releaseFollow = options.follow ? await this.follows.acquire({ signal: options.signal }) : undefined;
    try {
      const queueMs = options.follow ? undefined : (options.queueTimeoutMs ?? QUEUE_TIMEOUT_MS);
      const release = await this.channels.acquire({
        signal: options.signal,
        timeoutMs: queueMs,
        timeoutError: () =>
          new Error(
            `${this.name}: no SSH channel came free within ${seconds(queueMs!)} s for ${what} (${this.channels.inUse} in use, ${this.follows.inUse} of them following logs; ${this.channels.queued} waiting)`,
          ),
      });
      try {
        for (let attempt = 0; ; attempt++) {
          const client = await abortable(this.connect(), options.signal);
          try {
            return await this.runOnChannel(client, line, what, options);
          } catch (e) {
            // The server still counts a session that just closed for a moment, or allows fewer than
            // MAX_CHANNELS: opening failed before anything ran, so trying again is safe.
            if (!(e instanceof ChannelOpenError) || attempt >= CHANNEL_OPEN_RETRIES) throw e;
            await new Promise((r) => setTimeout(r, CHANNEL_OPEN_STEP_MS * (attempt + 1)));
          }
        }
      } finally {
        release();
      }
    } finally {
      releaseFollow?.();
    }
  }

  private runOnChannel(client: Client, line: string, what: string, options: ExecOptions): Promise<ExecResult> {
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    const limitMs = options.follow ? options.timeoutMs : (options.timeoutMs ?? COMMAND_TIMEOUT_MS);
    return new Promise<ExecResult>((resolve, reject) => {
      let stream: ClientChannel | undefined;
      let timedOut = false;
      const stop = () => {
        if (!stream) return;
        // Stop the remote program too (a command past its limit, or tail -F, would otherwise live on).
        killRemote(stream);
        stream.close();
      };
      const timer =
        limitMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              stop();
              reject(new CommandTimeoutError(what, limitMs));
            }, limitMs);
      const abort = () => stop();
      client.exec(line, (err: Error | undefined, s: ClientChannel) => {
        if (err) {
          clearTimeout(timer);
          if (this.client !== client) return reject(new ConnectionLostError(`starting ${what}`));
          return reject(/open failed|open failure/i.test(err.message) ? new ChannelOpenError(err.message) : err);
        }
        stream = s;
        if (timedOut || options.signal?.aborted) stop();
        else options.signal?.addEventListener('abort', abort, { once: true });
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let exit: { code: number | null; signal?: string } | undefined;
        s.on('data', (b: Buffer) => {
          if (options.onStdout) options.onStdout(b);
          else out.push(b);
        });
        s.stderr.on('data', (b: Buffer) => errs.push(b));
        s.on('exit', (code: number | null, signal?: string) => (exit = { code, signal }));
        s.on('close', () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', abort);
          if (timedOut) return;
          if (!exit && this.client !== client) return reject(new ConnectionLostError(`running ${what}`));
          resolve({
            code: exit?.code ?? null,
            signal: exit?.signal,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errs).toString('utf8'),
          });
        });
        if (options.stdin !== undefined) s.end(options.stdin);
        else s.end();
        options.onStart?.();
      });
    });
  }

  /** The connection's SFTP session (one channel, opened once and kept). */
  async sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const session = (async () => {
        const client = await this.connect();
        // The SFTP channel holds one slot for as long as the connection lives.
        const release = await this.channels.acquire({
          timeoutMs: QUEUE_TIMEOUT_MS,
          timeoutError: () =>
            new Error(`${this.name}: no SSH channel came free within ${QUEUE_TIMEOUT_MS / 1000} s for SFTP`),
        });
        try {
          const s = await new Promise<SFTPWrapper>((resolve, reject) => {
            const timer = setTimeout(
              () =>
                reject(new Error(`${this.name}: the SFTP subsystem did not start within ${QUEUE_TIMEOUT_MS / 1000} s`)),
              QUEUE_TIMEOUT_MS,
            );
            client.sftp((err, sftp) => {
              clearTimeout(timer);
              if (err) reject(err);
              else resolve(sftp);
            });
          });
          const drop = () => {
            release();
            if (this.sftpSession === session) this.sftpSession = undefined;
          };
          s.on('close', drop);
          // A request timed out (sftp.ts): the session is being closed; the next caller gets a new one.
          s.on('stuck', drop);
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

  /** The cluster's files over this connection's SFTP session. */
  async files(): Promise<RemoteFiles> {
    return new SftpFiles(await this.sftp());
  }

  /** Closes the connection; no reconnect follows. */
  dispose() {
    this.disposed = true;
    this.wake?.();
    this.client?.end();
    for (const j of this.jumpClients) j.end();
    this.setState('closed');
    this.emit('disposed');
  }
}

/**
 * Sends SIGKILL to the command of a session channel (sshd's "signal" request, killpg on its
 * process group). ssh2's own `signal()` stays silent once our side has sent EOF, which every
 * command without stdin does at once, so the request goes to the protocol layer directly.
 */
function killRemote(stream: ClientChannel) {
  const chan = stream as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, name: string): void } };
  };
  if (!chan.outgoing || chan.outgoing.state === 'closed' || chan.outgoing.state === 'closing') return;
  try {
    chan._client?._protocol?.signal(chan.outgoing.id, 'KILL');
  } catch {
    // the connection is already gone: so is the command
  }
}

/** `p`, or the signal's abort, whichever comes first. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
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
  return types.flatMap((t) =>
    t === 'ssh-rsa'
      ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']
      : /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521))$/.test(t)
        ? [t]
        : [],
  ) as never[];
}
