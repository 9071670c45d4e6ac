import { execFile } from 'node:child_process';
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { keyTypeOf } from './knownHosts';

/**
 * OpenSSH host certificates (PROTOCOL.certkeys), for `@cert-authority` lines of known_hosts.
 * ssh2 cannot negotiate certificate host keys, so the certificate is fetched on a separate
 * connection (`ssh-keyscan -c`) and checked here: signed by a trusted CA, a host certificate,
 * valid now, naming the host among its principals, and certifying exactly the key the server
 * proved it holds in our own key exchange (so a relay on the keyscan connection gains nothing).
 */
export interface HostCertificate {
  /** The certified key, as the plain public key blob the server offers without certificates. */
  readonly key: Buffer;
  readonly type: number;
  readonly keyId: string;
  readonly principals: readonly string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly caKey: Buffer;
  readonly signed: Buffer;
  readonly signature: Buffer;
}

const HOST_CERT = 2;

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  string(): Buffer {
    const n = this.b.readUInt32BE(this.at);
    if (this.at + 4 + n > this.b.length) throw new Error('truncated');
    const v = this.b.subarray(this.at + 4, this.at + 4 + n);
    this.at += 4 + n;
    return v;
  }
  uint32(): number {
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  uint64(): bigint {
    const v = this.b.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
  get offset(): number {
    return this.at;
  }
  get done(): boolean {
    return this.at === this.b.length;
  }
}

const sshString = (b: Buffer) => {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
};

/** Parses a `*-cert-v01@openssh.com` blob; throws on anything else. */
export function parseHostCertificate(blob: Buffer): HostCertificate {
  const r = new Reader(blob);
  const certType = r.string().toString('latin1');
  const m = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521))-cert-v01@openssh\.com$/.exec(certType);
  if (!m) throw new Error(`not a supported certificate type: ${certType}`);
  const plainType = m[1];
  r.string(); // nonce
  let key: Buffer;
  if (plainType === 'ssh-ed25519') key = Buffer.concat([sshString(Buffer.from(plainType)), sshString(r.string())]);
  else if (plainType === 'ssh-rsa') {
    const e = r.string();
    const n = r.string();
    key = Buffer.concat([sshString(Buffer.from(plainType)), sshString(e), sshString(n)]);
  } else {
    const curve = r.string();
    const q = r.string();
    key = Buffer.concat([sshString(Buffer.from(plainType)), sshString(curve), sshString(q)]);
  }
  r.uint64(); // serial
  const type = r.uint32();
  const keyId = r.string().toString('utf8');
  const packed = new Reader(r.string());
  const principals: string[] = [];
  while (!packed.done) principals.push(packed.string().toString('utf8'));
  const validAfter = r.uint64();
  const validBefore = r.uint64();
  r.string(); // critical options
  r.string(); // extensions
  r.string(); // reserved
  const caKey = r.string();
  const signedEnd = r.offset;
  const signature = r.string();
  return {
    key,
    type,
    keyId,
    principals,
    validAfter,
    validBefore,
    caKey,
    signed: blob.subarray(0, signedEnd),
    signature,
  };
}

const b64url = (b: Buffer) => b.toString('base64url');
const unsigned = (b: Buffer) => (b.length > 1 && b[0] === 0 ? b.subarray(1) : b);

/** A KeyObject for an SSH public key blob (Ed25519, RSA, ECDSA). */
function publicKeyObject(blob: Buffer): KeyObject {
  const r = new Reader(blob);
  const type = r.string().toString('latin1');
  if (type === 'ssh-ed25519')
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(r.string()) }, format: 'jwk' });
  if (type === 'ssh-rsa') {
    const e = r.string();
    const n = r.string();
    return createPublicKey({ key: { kty: 'RSA', e: b64url(unsigned(e)), n: b64url(unsigned(n)) }, format: 'jwk' });
  }
  const curve = { 'ecdsa-sha2-nistp256': 'P-256', 'ecdsa-sha2-nistp384': 'P-384', 'ecdsa-sha2-nistp521': 'P-521' }[
    type
  ];
  if (!curve) throw new Error(`unsupported CA key type ${type}`);
  r.string();
  const q = r.string();
  const half = (q.length - 1) / 2;
  return createPublicKey({
    key: { kty: 'EC', crv: curve, x: b64url(q.subarray(1, 1 + half)), y: b64url(q.subarray(1 + half)) },
    format: 'jwk',
  });
}

/** Checks an SSH signature blob (`string algorithm, string signature`) over `data` with an SSH public key blob. */
export function verifySshSignature(keyBlob: Buffer, data: Buffer, sigBlob: Buffer): boolean {
  const r = new Reader(sigBlob);
  const algo = r.string().toString('latin1');
  const sig = r.string();
  const key = publicKeyObject(keyBlob);
  switch (algo) {
    case 'ssh-ed25519':
      return verify(null, data, key, sig);
    case 'rsa-sha2-512':
      return verify('sha512', data, key, sig);
    case 'rsa-sha2-256':
      return verify('sha256', data, key, sig);
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const bits = Number(algo.slice(-3));
      const size = Math.ceil(bits / 8);
      const rs = new Reader(sig);
      const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, size - unsigned(b).length)), unsigned(b)]);
      const p1363 = Buffer.concat([pad(rs.string()), pad(rs.string())]);
      return verify(
        bits === 256 ? 'sha256' : bits === 384 ? 'sha384' : 'sha512',
        data,
        { key, dsaEncoding: 'ieee-p1363' },
        p1363,
      );
    }
    default:
      return false; // ssh-rsa (SHA-1) signatures are refused, as OpenSSH does by default
  }
}

export type CertificateVerdict =
  | { readonly ok: true; readonly keyId: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether `cert` vouches for `offered` (the key the server used in our key exchange) as the host
 * key of `host`, signed by one of `authorities` (CA public key blobs), at time `now` (seconds).
 */
export function checkHostCertificate(
  cert: HostCertificate,
  offered: Buffer,
  host: string,
  authorities: readonly Buffer[],
  now = BigInt(Math.floor(Date.now() / 1000)),
): CertificateVerdict {
  if (!cert.key.equals(offered))
    return { ok: false, reason: 'the certificate is for another key than the one the server used' };
  if (cert.type !== HOST_CERT) return { ok: false, reason: 'not a host certificate' };
  if (!authorities.some((a) => a.equals(cert.caKey)))
    return {
      ok: false,
      reason: `signed by a CA that known_hosts does not trust for this host (${keyTypeOf(cert.caKey) ?? '?'})`,
    };
  if (now < cert.validAfter || now >= cert.validBefore)
    return { ok: false, reason: 'the certificate is not valid now' };
  if (cert.principals.length > 0 && !cert.principals.includes(host))
    return { ok: false, reason: `the certificate names ${cert.principals.join(', ')}, not ${host}` };
  if (!verifySshSignature(cert.caKey, cert.signed, cert.signature))
    return { ok: false, reason: 'the CA signature does not verify' };
  return { ok: true, keyId: cert.keyId };
}

/** The host certificates a server presents, from `ssh-keyscan -c` (OpenSSH's client tools); none when it is missing or fails. */
export function scanHostCertificates(host: string, port: number, timeoutSeconds = 5): Promise<Buffer[]> {
  return new Promise((resolve) => {
    // `--` ends the options: a host name is never read as one.
    execFile(
      'ssh-keyscan',
      ['-c', '-T', String(timeoutSeconds), '-p', String(port), '--', host],
      { timeout: (timeoutSeconds + 2) * 1000, maxBuffer: 1 << 20 },
      (err, stdout) => {
        if (err && !stdout) return resolve([]);
        const out: Buffer[] = [];
        // With -c, OpenSSH prints `type base64` (no host name field, unlike plain keys).
        for (const line of String(stdout).split('\n')) {
          const f = line.trim().split(/\s+/);
          const at = f.findIndex((x) => x.endsWith('-cert-v01@openssh.com'));
          if (at >= 0 && f[at + 1]) out.push(Buffer.from(f[at + 1], 'base64'));
        }
        resolve(out);
      },
    );
  });
}
