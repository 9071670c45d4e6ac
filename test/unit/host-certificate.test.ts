import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { checkHostCertificate, parseHostCertificate } from '../../src/core/cluster/hostCertificate';
import { certAuthorities, parseKnownHosts } from '../../src/core/cluster/knownHosts';

/** Certificates made by OpenSSH's own ssh-keygen, checked by our parser and verifier. */
const dir = mkdtempSync(path.join(tmpdir(), 'corpus-lab-cert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const blobOf = (file: string) => Buffer.from(readFileSync(file, 'utf8').trim().split(/\s+/)[1], 'base64');
function key(name: string, type: string): string {
  const f = path.join(dir, name);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-C',
    name,
    '-f',
    f,
  ]);
  return f;
}
function sign(ca: string, host: string, principals: string, validity = '-5m:+1h', extra: string[] = ['-h']): Buffer {
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    ca,
    '-I',
    `id-${path.basename(host)}`,
    ...extra,
    '-n',
    principals,
    '-V',
    validity,
    `${host}.pub`,
  ]);
  return blobOf(`${host}-cert.pub`);
}

test('host certificates signed by Ed25519, RSA (rsa-sha2-512) and ECDSA CAs verify; each wrong case names its reason', () => {
  const hostKey = key('host', 'ed25519');
  const offered = blobOf(`${hostKey}.pub`);
  const now = BigInt(Math.floor(Date.now() / 1000));
  for (const type of ['ed25519', 'rsa', 'ecdsa']) {
    const ca = key(`ca-${type}`, type);
    const cert = parseHostCertificate(sign(ca, hostKey, 'login.example,10.0.0.1'));
    assert.deepEqual(cert.principals, ['login.example', '10.0.0.1']);
    assert.deepEqual(
      checkHostCertificate(cert, offered, 'login.example', [blobOf(`${ca}.pub`)], now),
      { ok: true, keyId: 'id-host' },
      type,
    );
  }
  const ca = key('ca', 'ed25519');
  const caBlob = blobOf(`${ca}.pub`);
  const good = parseHostCertificate(sign(ca, hostKey, 'login.example'));
  assert.deepEqual(checkHostCertificate(good, offered, 'other.example', [caBlob], now), {
    ok: false,
    reason: 'the certificate names login.example, not other.example',
  });
  assert.deepEqual(
    checkHostCertificate(good, offered, 'login.example', [blobOf(`${key('stranger', 'ed25519')}.pub`)], now),
    { ok: false, reason: 'signed by a CA that known_hosts does not trust for this host (ssh-ed25519)' },
  );
  assert.deepEqual(
    checkHostCertificate(good, blobOf(`${key('other-host', 'ed25519')}.pub`), 'login.example', [caBlob], now),
    { ok: false, reason: 'the certificate is for another key than the one the server used' },
  );
  assert.deepEqual(checkHostCertificate(good, offered, 'login.example', [caBlob], now + 7200n), {
    ok: false,
    reason: 'the certificate is not valid now',
  });
  const user = parseHostCertificate(sign(ca, hostKey, 'login.example', '-5m:+1h', []));
  assert.deepEqual(checkHostCertificate(user, offered, 'login.example', [caBlob], now), {
    ok: false,
    reason: 'not a host certificate',
  });
  // One flipped bit in the signed part (the key id) and the CA's signature no longer holds.
  const raw = sign(ca, hostKey, 'login.example');
  const at = raw.indexOf(Buffer.from('id-host'));
  raw[at] ^= 1;
  assert.deepEqual(checkHostCertificate(parseHostCertificate(raw), offered, 'login.example', [caBlob], now), {
    ok: false,
    reason: 'the CA signature does not verify',
  });
  assert.throws(() => parseHostCertificate(offered), /not a supported certificate type: ssh-ed25519/);
});

test('known_hosts: @cert-authority keys by host pattern and port, less @revoked ones', () => {
  const a = blobOf(`${key('ca-a', 'ed25519')}.pub`);
  const b = blobOf(`${key('ca-b', 'ed25519')}.pub`);
  const text = [
    `@cert-authority *.hpc.example ssh-ed25519 ${a.toString('base64')}`,
    `@cert-authority [login.hpc.example]:2222 ssh-ed25519 ${b.toString('base64')}`,
    `@revoked * ssh-ed25519 ${b.toString('base64')}`,
  ].join('\n');
  writeFileSync(path.join(dir, 'kh'), text);
  const { entries } = parseKnownHosts(text);
  assert.deepEqual(certAuthorities(entries, 'login.hpc.example', 22), [a]);
  assert.deepEqual(certAuthorities(entries, 'login.hpc.example', 2222), []);
  assert.deepEqual(certAuthorities(entries, 'elsewhere.example', 22), []);
});
