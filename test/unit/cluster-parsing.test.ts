import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { checkHostKey, fingerprint, knownHostsLine, parseKnownHosts } from '../../src/core/cluster/knownHosts';
import { clusterProfilesSchema, resolveProfile } from '../../src/core/cluster/profile';
import { pathArg, shellAnd, shellCommand, shellQuote } from '../../src/core/cluster/shellQuote';
import { parseJump, resolveSshHost, type SshConfigFiles, tokenizeConfigLine } from '../../src/core/cluster/sshConfig';

test('shellQuote: plain words stay, everything else is single-quoted, quotes escaped', () => {
  assert.equal(shellQuote('squeue'), 'squeue');
  assert.equal(shellQuote('--format=%i,%T'), '--format=%i,%T');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$(rm -rf ~)'), "'$(rm -rf ~)'");
  assert.equal(shellQuote('日本語'), "'日本語'");
  assert.equal(shellCommand(['printf', '%s\\n', 'a;b']), "printf '%s\\n' 'a;b'");
  assert.equal(shellAnd([['cd', 'dir x'], ['ls']]), "cd 'dir x' && ls");
  assert.equal(pathArg('-rf'), './-rf');
  assert.equal(pathArg('/abs/-x'), '/abs/-x');
  assert.throws(() => shellCommand(['echo', 'a\0b']), /argument 1 contains a NUL byte/);
  assert.throws(() => shellCommand([]), /empty command/);
});

const KEY_A = Buffer.concat([
  Buffer.from([0, 0, 0, 11]),
  Buffer.from('ssh-ed25519'),
  Buffer.from([0, 0, 0, 32]),
  Buffer.alloc(32, 1),
]);
const KEY_B = Buffer.concat([
  Buffer.from([0, 0, 0, 11]),
  Buffer.from('ssh-ed25519'),
  Buffer.from([0, 0, 0, 32]),
  Buffer.alloc(32, 2),
]);
const RSA = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(20, 3)]);
const b64 = (k: Buffer) => k.toString('base64');

test('known_hosts: plain, [host]:port, wildcards, negation, hashed, revoked, changed, other types', () => {
  const salt = Buffer.alloc(20, 9);
  const hashed = `|1|${b64(salt)}|${createHmac('sha1', salt).update('[login.example]:2222').digest('base64')}`;
  const text = [
    '# comment',
    `login.example,10.0.0.1 ssh-ed25519 ${b64(KEY_A)}`,
    `[login.example]:2222 ssh-ed25519 ${b64(KEY_B)}`,
    `*.hpc.example,!evil.hpc.example ssh-ed25519 ${b64(KEY_A)}`,
    `${hashed} ssh-rsa ${b64(RSA)}`,
    `@revoked * ssh-ed25519 ${b64(KEY_B)}`,
    'broken line',
  ].join('\n');
  const { entries, problems } = parseKnownHosts(text);
  assert.equal(entries.length, 5);
  assert.deepEqual(problems, ['line 7: expected host patterns, key type and key']);
  assert.deepEqual(checkHostKey(entries, 'login.example', 22, KEY_A), { status: 'known', line: 2 });
  assert.deepEqual(checkHostKey(entries, '10.0.0.1', 22, KEY_A), { status: 'known', line: 2 });
  assert.deepEqual(checkHostKey(entries, 'node1.hpc.example', 22, KEY_A), { status: 'known', line: 4 });
  assert.deepEqual(checkHostKey(entries, 'evil.hpc.example', 22, KEY_A), { status: 'unknown', otherTypes: [] });
  assert.deepEqual(checkHostKey(entries, 'login.example', 2222, KEY_B), { status: 'revoked', line: 6 });
  const changed = checkHostKey(
    entries.filter((e) => e.marker !== 'revoked'),
    'login.example',
    22,
    KEY_B,
  );
  assert.deepEqual(changed, { status: 'changed', line: 2, knownFingerprint: fingerprint(KEY_A) });
  // The hashed entry names [login.example]:2222 with an RSA key: an ed25519 key there is "unknown, other types known".
  const noB = entries.filter((e) => e.line !== 3 && e.marker !== 'revoked');
  assert.deepEqual(checkHostKey(noB, 'login.example', 2222, KEY_A), { status: 'unknown', otherTypes: ['ssh-rsa'] });
  assert.deepEqual(checkHostKey(noB, 'login.example', 2222, RSA), { status: 'known', line: 5 });
  assert.equal(knownHostsLine('h', 2222, KEY_A), `[h]:2222 ssh-ed25519 ${b64(KEY_A)}`);
  assert.match(fingerprint(KEY_A), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.deepEqual(parseKnownHosts(`h ssh-rsa ${b64(KEY_A)}`).problems, [
    'line 1: the key does not decode to a ssh-rsa key',
  ]);
});

function files(map: Record<string, string>): SshConfigFiles {
  return {
    readFile: (f) => map[f],
    glob: (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return Object.keys(map)
        .filter((f) => re.test(f))
        .sort();
    },
  };
}
const ctx = { home: '/home/me', localUser: 'me' };

test('ssh_config: Host patterns and negation, first value wins, IdentityFile accumulates, Include, tokens', () => {
  const fs = files({
    '/home/me/.ssh/config': [
      'Include conf.d/*.conf',
      'Host abci login-* !login-test',
      '  HostName %h.abci.example',
      '  User u123',
      '  IdentityFile ~/.ssh/id_abci',
      'Host *',
      '  User fallback',
      '  Port 22',
      '  IdentityFile ~/.ssh/id_%r',
      '  ServerAliveInterval 30',
      'Match host foo',
      '  User matched',
    ].join('\n'),
    '/home/me/.ssh/conf.d/10-jump.conf': 'Host abci\n  ProxyJump jumper@bastion.example:2200\n  Port=2022\n',
  });
  const abci = resolveSshHost('abci', fs, ctx);
  assert.equal(abci.hostName, 'abci.abci.example');
  assert.equal(abci.user, 'u123');
  assert.equal(abci.port, 2022);
  assert.deepEqual(abci.identityFiles, ['/home/me/.ssh/id_abci', '/home/me/.ssh/id_u123']);
  assert.deepEqual(abci.proxyJump, [{ user: 'jumper', host: 'bastion.example', port: 2200 }]);
  assert.equal(abci.serverAliveInterval, 30);
  assert.ok(abci.notes.some((n) => /Match blocks are not evaluated/.test(n)));
  const test1 = resolveSshHost('login-test', fs, ctx);
  assert.equal(test1.hostName, 'login-test');
  assert.equal(test1.user, 'fallback');
  assert.deepEqual(parseJump('a@b:1,[::1]:22,c'), [
    { user: 'a', host: 'b', port: 1 },
    { user: undefined, host: '::1', port: 22 },
    { user: undefined, host: 'c', port: undefined },
  ]);
  assert.deepEqual(tokenizeConfigLine('IdentityFile "/path with space/key" # note'), {
    keyword: 'identityfile',
    args: ['/path with space/key'],
  });
});

test('cluster profiles: validated with named fields; resolved through ssh_config, profile fields first', () => {
  const bad = clusterProfilesSchema.safeParse([
    { name: 'a b', host: '' },
    { name: 'x', host: 'h', port: 70000, colour: 'red' },
  ]);
  assert.ok(!bad.success);
  const where = bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(where.some((w) => w.startsWith('0.name:')));
  assert.ok(where.some((w) => w.startsWith('0.host:')));
  assert.ok(where.some((w) => w.startsWith('1.port:')));
  assert.ok(where.some((w) => /Unrecognized key\(s\) in object: 'colour'/.test(w)));
  const fs = files({
    '/home/me/.ssh/config':
      'Host abci\n  HostName login.abci.example\n  User u1\n  IdentityFile ~/.ssh/id_abci\n  ProxyJump bastion\nHost bastion\n  HostName gw.example\n  User gw\n',
  });
  const [profile] = clusterProfilesSchema.parse([{ name: 'abci', host: 'abci', user: 'override' }]);
  assert.ok(profile.kind === 'ssh', 'a profile without kind is an SSH one');
  const r = resolveProfile(profile, fs, { ...ctx, agentSocket: '/run/agent.sock' });
  assert.deepEqual(r.target, {
    host: 'login.abci.example',
    port: 22,
    username: 'override',
    identityFiles: ['/home/me/.ssh/id_abci'],
    agent: '/run/agent.sock',
    identitiesOnly: false,
    jumps: [
      {
        host: 'gw.example',
        port: 22,
        username: 'gw',
        identityFiles: [],
        agent: '/run/agent.sock',
        identitiesOnly: false,
      },
    ],
    keepaliveIntervalMs: 15000,
    keepaliveCountMax: 4,
    readyTimeoutMs: 20000,
  });
  assert.deepEqual(r.knownHostsFiles, ['/home/me/.ssh/known_hosts']);
  assert.deepEqual(r.globalKnownHostsFiles, ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
});

test('ssh_config: GlobalKnownHostsFile (OpenSSH default /etc/ssh/ssh_known_hosts, or none) and IdentitiesOnly', () => {
  const fs = files({
    '/home/me/.ssh/config':
      'Host site\n  IdentitiesOnly yes\n  GlobalKnownHostsFile /opt/site/known_hosts ~/.ssh/site_hosts\nHost bare\n  GlobalKnownHostsFile none\n',
  });
  const site = resolveSshHost('site', fs, ctx);
  assert.equal(site.identitiesOnly, true);
  assert.deepEqual(site.globalKnownHostsFiles, ['/opt/site/known_hosts', '/home/me/.ssh/site_hosts']);
  const bare = resolveSshHost('bare', fs, ctx);
  assert.equal(bare.identitiesOnly, false);
  assert.deepEqual(bare.globalKnownHostsFiles, []);
  assert.deepEqual(resolveSshHost('other', fs, ctx).globalKnownHostsFiles, [
    '/etc/ssh/ssh_known_hosts',
    '/etc/ssh/ssh_known_hosts2',
  ]);
  const [profile] = clusterProfilesSchema.parse([{ name: 'site', host: 'site' }]);
  assert.ok(profile.kind === 'ssh');
  assert.equal(resolveProfile(profile, fs, ctx).target.identitiesOnly, true);
});

test('cluster profiles: kind local takes a name and a remote root only; a wrong kind is named', () => {
  assert.deepEqual(clusterProfilesSchema.parse([{ name: 'login', kind: 'local' }]), [
    { name: 'login', kind: 'local', remoteRoot: 'corpus-lab' },
  ]);
  assert.deepEqual(clusterProfilesSchema.parse([{ name: 'scratch', kind: 'local', remoteRoot: '/tmp/cl' }]), [
    { name: 'scratch', kind: 'local', remoteRoot: '/tmp/cl' },
  ]);
  const bad = clusterProfilesSchema.safeParse([
    { name: 'x', kind: 'local', host: 'h' },
    { name: 'y', kind: 'slurm' },
  ]);
  assert.ok(!bad.success);
  assert.deepEqual(
    bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    ["0: Unrecognized key(s) in object: 'host'", "1.kind: Invalid discriminator value. Expected 'ssh' | 'local'"],
  );
  const twice = clusterProfilesSchema.safeParse([
    { name: 'x', kind: 'local' },
    { name: 'x', host: 'h' },
  ]);
  assert.deepEqual(
    twice.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    ['1.name: duplicate cluster name "x"'],
  );
});
