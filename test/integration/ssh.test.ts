import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import {
  type ClusterConnection,
  ConnectionLostError,
  HostKeyError,
  type HostKeyPrompt,
  MAX_CHANNELS,
} from '../../src/core/cluster/connection';
import { countRemoteDatasets, findRemoteDatasets } from '../../src/core/cluster/remoteDatasets';
import { downloadAtomic, readRemoteFile, sftpCall, uploadAtomic } from '../../src/core/cluster/sftp';
import { pathArg, shellAnd } from '../../src/core/cluster/shellQuote';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { RecipeCatalog } from '../../src/core/recipe/catalog';
import { countDatasetsOnCluster } from '../../src/core/recipe/recipeCounts';
import { connection, type LoopbackCluster, local, loopbackCluster } from './cluster';

/** The ssh2 client against the real OpenSSH server of the loopback cluster (test/cluster/start.sh). */
let c: LoopbackCluster;
let conn: ClusterConnection;
let scratch: string;
const run = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

before(async () => {
  c = loopbackCluster();
  conn = connection(c);
  scratch = mkdtempSync(path.join(tmpdir(), 'corpus-lab-ssh-'));
});

after(() => {
  conn?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

test('connects with the identity file, checks the host key against known_hosts, runs a command', async () => {
  const r = await conn.exec(['id', '-un']);
  assert.deepEqual(r, { code: 0, signal: undefined, stdout: `${c.user}\n`, stderr: '' });
  assert.equal(conn.state, 'connected');
  const slurm = await conn.exec(['sinfo', '-h', '-o', '%P %G %D']);
  assert.equal(slurm.stdout.trim(), 'gpu* gpu:8 1');
});

const CANARY = () => `${c.home}/canary-${run}`;
function hostileNames(): string[] {
  const canary = CANARY();
  return [
    'semi;colon',
    `a; touch ${canary}`,
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `'; touch ${canary}; echo '`,
    `"; touch ${canary}; echo "`,
    "it's",
    '"double quoted"',
    'new\nline',
    'tab\there',
    'carriage\rreturn',
    '*',
    '?',
    '[a-z]*',
    '{a,b}',
    '~',
    '~root',
    '-rf',
    '--help',
    '-',
    ' leading space',
    'trailing space ',
    '日本語ファイル.txt',
    '医学コーパス 2024年',
    '$HOME',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile name, not a template
    '${IFS}x',
    '\\backslash\\',
    'a|b',
    'a&b&',
    'a>b',
    'a<b',
    '!bang',
    '!!',
    '#hash',
    '%s%n',
    '$((1+1))',
    '\u001b[31mred',
    'ünïcödé',
    '...',
    'emoji 😀',
    `$(rm -rf ${c.home})`,
    '>(true)',
    'x\\',
    "''",
    'a\u00a0nbsp',
  ];
}

test('45 hostile names pass through shellQuote as exactly themselves, and nothing in them runs', async () => {
  const names = hostileNames();
  assert.ok(names.length >= 30);
  for (const name of names) {
    const r = await conn.exec(['printf', '%s', name]);
    assert.equal(r.code, 0, `${JSON.stringify(name)}: ${r.stderr}`);
    assert.equal(r.stdout, name, `printf echoes ${JSON.stringify(name)} unchanged`);
  }
  // As file names: created through `cd dir && touch NAME`, listed back through SFTP.
  const dir = `${c.home}/hostile-${run}`;
  await conn.exec(['mkdir', '-p', dir]);
  const fileNames = names.filter((n) => !n.includes('/') && n !== '.' && n !== '..');
  for (const name of fileNames) {
    const r = await conn.execLine(
      shellAnd([
        ['cd', dir],
        ['touch', pathArg(name)],
      ]),
    );
    assert.equal(r.code, 0, `touch ${JSON.stringify(name)}: ${r.stderr}`);
  }
  const sftp = await conn.files();
  const listed = (await sftp.readdir(dir)).map((x) => x.filename);
  assert.deepEqual(listed.sort(), [...fileNames].sort());
  assert.equal(existsSync(CANARY()), false, 'a hostile name executed a command');
  assert.ok(existsSync(c.home), 'the home directory is still there');
  await conn.exec(['rm', '-rf', '--', dir]);
});

test('a NUL byte in an argument is refused before anything is sent', async () => {
  await assert.rejects(conn.exec(['echo', 'a\0b']), /argument 1 contains a NUL byte/);
});

test(`at most ${MAX_CHANNELS} channels at once; the rest queue and all complete`, async () => {
  let peak = 0;
  const probe = setInterval(() => (peak = Math.max(peak, conn.load.inUse)), 5);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => conn.exec(['sh', '-c', 'sleep 0.2; echo "$1"', 'sh', String(i)])),
  );
  clearInterval(probe);
  assert.deepEqual(
    results.map((r) => r.stdout.trim()),
    Array.from({ length: 30 }, (_, i) => String(i)),
  );
  assert.ok(peak <= MAX_CHANNELS && peak >= 5, `peak channels ${peak}`);
});

test('SFTP: uploads are atomic (temporary name, then rename over), downloads too', async () => {
  const sftp = await conn.files();
  const remote = `${c.home}/up-${run}/nested/config 1.yaml`;
  await uploadAtomic(sftp, 'first\n', remote);
  await uploadAtomic(sftp, 'second — 第二\n', remote);
  assert.equal((await readRemoteFile(sftp, remote)).toString('utf8'), 'second — 第二\n');
  const listed = (await sftp.readdir(path.posix.dirname(remote))).map((x) => x.filename);
  assert.deepEqual(listed, ['config 1.yaml'], 'no temporary file left behind');
  const localFile = path.join(scratch, 'down', 'config.yaml');
  await downloadAtomic(sftp, remote, localFile);
  assert.equal(readFileSync(localFile, 'utf8'), 'second — 第二\n');
  await assert.rejects(
    downloadAtomic(sftp, `${remote}.missing`, path.join(scratch, 'never.yaml')),
    /config 1\.yaml\.missing: No such file/,
  );
  assert.equal(existsSync(path.join(scratch, 'never.yaml')), false);
  await conn.exec(['rm', '-rf', '--', `${c.home}/up-${run}`]);
});

test('remote Megatron datasets are counted over SFTP; a corrupt one is named, the rest still count', async () => {
  const sftp = await conn.files();
  const dir = `${c.home}/datasets-${run}`;
  const lengths = (i: number) => Array.from({ length: 3 + (i % 5) }, (_, k) => 100 + 7 * i + k);
  for (let i = 0; i < 12; i++) {
    const l = lengths(i);
    await uploadAtomic(sftp, encodeIndex(l, [0, 1, l.length]), `${dir}/shard_${String(i).padStart(2, '0')}.idx`);
    await uploadAtomic(
      sftp,
      Buffer.alloc(2 * l.reduce((a, b) => a + b, 0)),
      `${dir}/shard_${String(i).padStart(2, '0')}.bin`,
    );
  }
  await uploadAtomic(sftp, Buffer.alloc(10), `${dir}/shard_05.bin`); // now disagrees with its index
  const prefixes = await findRemoteDatasets(sftp, dir);
  assert.equal(prefixes.length, 12);
  const counts = await countRemoteDatasets(sftp, [...prefixes, `${dir}/absent`]);
  // Each count comes with the size and time of what it was read from (SFTP's whole seconds), for the count cache.
  const stamps = await Promise.all(
    prefixes.map(async (p) => {
      const [idx, bin] = await Promise.all([sftpCall.stat(sftp, `${p}.idx`), sftpCall.stat(sftp, `${p}.bin`)]);
      return { idx: { size: idx.size, mtimeMs: idx.mtime * 1000 }, bin: { size: bin.size, mtimeMs: bin.mtime * 1000 } };
    }),
  );
  counts.forEach((r, i) => {
    if (i === 5)
      assert.deepEqual(r, {
        prefix: prefixes[5],
        ok: false,
        error: `${prefixes[5]}.bin: size 10 bytes disagrees with the index: ${lengths(5).reduce((a, b) => a + b, 0)} tokens × 2 bytes (uint16) = ${2 * lengths(5).reduce((a, b) => a + b, 0)}`,
      });
    else if (i === 12)
      assert.deepEqual(r, {
        prefix: `${dir}/absent`,
        ok: false,
        error: `${dir}/absent.idx: no such file on the cluster`,
      });
    else
      assert.deepEqual(r, {
        prefix: prefixes[i],
        ok: true,
        info: {
          prefix: prefixes[i],
          tokens: lengths(i).reduce((a, b) => a + b, 0),
          documents: 2,
          sequences: lengths(i).length,
          dtype: 'uint16',
        },
        ...stamps[i],
      });
  });
  await conn.exec(['rm', '-rf', '--', dir]);
});

test('a dropped connection: the running command fails as lost, the next one reconnects', async () => {
  const states: string[] = [];
  conn.on('state', (s: string) => states.push(s));
  // The shell's parent is the connection's unprivileged sshd child (`sshd: user@notty`), which holds
  // the TCP socket: killing it drops the whole connection, as a network failure would.
  const sshdChild = Number((await conn.exec(['sh', '-c', 'echo $PPID'])).stdout.trim());
  assert.match(local('ps', ['-o', 'args=', '-p', String(sshdChild)]), new RegExp(`sshd: ${c.user}`));
  const running = conn.exec(['sleep', '30']);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(sshdChild, 'SIGKILL');
  await assert.rejects(running, ConnectionLostError);
  const after = await conn.exec(['echo', 'back']);
  assert.equal(after.stdout, 'back\n');
  assert.ok(states.includes('reconnecting') && states.at(-1) === 'connected', states.join(' → '));
});

test('an unknown host key is shown with its SHA256 fingerprint; refused, nothing connects; accepted, it is remembered', async () => {
  const empty = path.join(scratch, 'known_hosts_empty');
  writeFileSync(empty, '');
  const expected = execFileSync(
    'ssh-keygen',
    ['-lf', `${path.dirname(c.knownHosts)}/../ssh/ssh_host_ed25519_key.pub`],
    { encoding: 'utf8' },
  ).split(' ')[1];
  const prompts: HostKeyPrompt[] = [];
  const refused = connection(
    c,
    'refuse',
    {},
    {
      knownHostsFiles: [empty],
      confirmUnknownHost: async (p) => {
        prompts.push(p);
        return false;
      },
    },
  );
  await assert.rejects(
    refused.exec(['true']),
    (e: Error) => e instanceof HostKeyError && /not in known_hosts and was not accepted/.test(e.message),
  );
  refused.dispose();
  assert.deepEqual(prompts, [
    { host: c.host, port: c.port, keyType: 'ssh-ed25519', fingerprint: expected, otherTypes: [] },
  ]);

  const remembered: string[] = [];
  const accepted = connection(
    c,
    'accept',
    {},
    {
      knownHostsFiles: [empty],
      confirmUnknownHost: async () => true,
      rememberHostKey: async (host, port, key) => void remembered.push(`${host}:${port}:${key.length}`),
    },
  );
  assert.equal((await accepted.exec(['echo', 'ok'])).stdout, 'ok\n');
  accepted.dispose();
  assert.deepEqual(remembered, [`${c.host}:${c.port}:51`]);
});

test('a changed host key is refused loudly, without asking', async () => {
  const other = path.join(scratch, 'other_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const fake = path.join(scratch, 'known_hosts_changed');
  writeFileSync(
    fake,
    `[${c.host}]:${c.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  const asked: unknown[] = [];
  const conn2 = connection(
    c,
    'changed',
    {},
    {
      knownHostsFiles: [fake],
      confirmUnknownHost: async (p) => {
        asked.push(p);
        return true;
      },
    },
  );
  await assert.rejects(
    conn2.exec(['true']),
    /REMOTE HOST IDENTIFICATION HAS CHANGED for 127\.0\.0\.1:2222: it offered SHA256:.* but known_hosts line 1 holds SHA256:/,
  );
  conn2.dispose();
  assert.deepEqual(asked, []);
});

test('hashed known_hosts entries (ssh-keygen -H) are recognised; @revoked keys are refused', async () => {
  const hashed = path.join(scratch, 'known_hosts_hashed');
  copyFileSync(c.knownHosts, hashed);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed]);
  assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
  const h = connection(c, 'hashed', {}, { knownHostsFiles: [hashed] });
  assert.equal((await h.exec(['echo', 'hashed'])).stdout, 'hashed\n');
  h.dispose();

  const revoked = path.join(scratch, 'known_hosts_revoked');
  writeFileSync(
    revoked,
    readFileSync(c.knownHosts, 'utf8') +
      `@revoked * ${readFileSync(c.knownHosts, 'utf8').split(' ').slice(1, 3).join(' ')}`,
  );
  const r = connection(c, 'revoked', {}, { knownHostsFiles: [revoked] });
  await assert.rejects(r.exec(['true']), /marked @revoked in known_hosts \(line 2\)/);
  r.dispose();
});

test('an encrypted identity asks for its passphrase (again after a wrong one); failure names what was tried', async () => {
  const key = path.join(scratch, 'id_encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', key]);
  appendFileSync(`${c.home}/.ssh/authorized_keys`, readFileSync(`${key}.pub`));
  const asked: string[] = [];
  const e = connection(
    c,
    'encrypted',
    { identityFiles: [key] },
    {
      passphrase: async (file, retry) => {
        asked.push(`${path.basename(file)}:${retry}`);
        return retry ? 'correct horse' : 'wrong';
      },
    },
  );
  assert.equal((await e.exec(['echo', 'unlocked'])).stdout, 'unlocked\n');
  e.dispose();
  assert.deepEqual(asked, ['id_encrypted:false', 'id_encrypted:true']);

  const none = connection(c, 'no-key', { identityFiles: [path.join(scratch, 'nonexistent')] });
  await assert.rejects(
    none.exec(['true']),
    new RegExp(`${c.user}@127\\.0\\.0\\.1:2222: authentication failed \\(tried .*nonexistent\\)`),
  );
  none.dispose();
});

test('ProxyJump: through a bastion (here the same sshd) to the login node', async () => {
  const j = connection(c, 'jump', {
    jumps: [{ host: c.host, port: c.port, username: c.user, identityFiles: [c.key] }],
  });
  const r = await j.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
  j.dispose();
  // Forwarded through the bastion, the login node sees a connection from 127.0.0.1 to port 2222.
  assert.match(r.stdout, /^127\.0\.0\.1 \d+ 127\.0\.0\.1 2222\n$/);
});

test('recipes whose datasets live on the cluster get exact counts from there (dataRoot + relative prefix)', async () => {
  const sftp = await conn.files();
  const root = `${c.home}/corpus-${run}`;
  await uploadAtomic(sftp, encodeIndex([1000, 2000, 500], [0, 3]), `${root}/ja/medical_text_document.idx`);
  await uploadAtomic(sftp, Buffer.alloc(2 * 3500), `${root}/ja/medical_text_document.bin`);
  const catalog = new RecipeCatalog();
  const file = path.join(scratch, 'remote.recipe.yaml');
  catalog.update(
    file,
    'name: Remote\ntokenizer: t\nsources:\n  - id: ja-medical\n    language: ja\n    origin: original\n    megatron: ja/medical_text_document\n  - id: gone\n    language: en\n    origin: original\n    megatron: en/absent_text_document\n',
  );
  const before = await catalog.resolve();
  assert.equal(before.recipes.get('Remote')?.statistics.total, 0);
  const { counts, problems } = await countDatasetsOnCluster(conn, catalog.remoteDatasets(root));
  assert.deepEqual(problems, [`${root}/en/absent_text_document.idx: no such file on the cluster`]);
  catalog.setRemoteCounts(counts);
  const set = await catalog.resolve();
  const recipe = set.recipes.get('Remote')!;
  assert.equal(recipe.statistics.japanese, 3500);
  assert.equal(recipe.sources.find((s) => s.id === 'ja-medical')?.tokensFrom, 'cluster');
  assert.deepEqual(
    set.diagnostics.map((d) => d.message),
    [
      `cannot count tokens of "en/absent_text_document": on loopback: ${root}/en/absent_text_document.idx: no such file on the cluster`,
    ],
  );
  await conn.exec(['rm', '-rf', '--', root]);
});
