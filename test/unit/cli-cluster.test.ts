import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from './helpers';

/** A workspace whose .vscode/settings.json holds `settings` (a string is written as it is). */
function workspace(settings: unknown): string {
  const dir = tempDir('corpus-lab-cli-');
  mkdirSync(path.join(dir, '.vscode'));
  writeFileSync(
    path.join(dir, '.vscode', 'settings.json'),
    typeof settings === 'string' ? settings : JSON.stringify(settings, null, 2),
  );
  return dir;
}

const LOCAL = { 'corpusLab.clusters': [{ name: 'login', kind: 'local' }] };

test('cluster commands: usage errors exit 2 and say the usage', async () => {
  const ws = workspace(LOCAL);
  const cases: [string[], string][] = [
    [
      ['study', 'launch', 'EnJa'],
      'corpus-lab study: usage: corpus-lab study validate|launch <recipes…> --study NAME [--cluster NAME]\n',
    ],
    [
      ['study', 'submit', 'EnJa', '--study', 's'],
      'corpus-lab study: usage: corpus-lab study validate|launch <recipes…> --study NAME [--cluster NAME]\n',
    ],
    [['cancel'], 'corpus-lab cancel: usage: corpus-lab cancel <job> | corpus-lab cancel --study NAME\n'],
    [
      ['cancel', '123', '--study', 's'],
      'corpus-lab cancel: usage: corpus-lab cancel <job> | corpus-lab cancel --study NAME\n',
    ],
    [['jobs', 'extra'], 'corpus-lab jobs: jobs takes no arguments (got "extra")\n'],
    [['logs'], 'corpus-lab logs: usage: corpus-lab logs <job> [--follow]\n'],
    [['fetch'], 'corpus-lab fetch: usage: corpus-lab fetch <study>\n'],
    [['cluster', 'status', 'login'], 'corpus-lab cluster: usage: corpus-lab cluster check <profile>\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = await runCli(...args, '--workspace', ws);
    assert.deepEqual([r.code, r.stderr, r.stdout], [2, stderr, ''], args.join(' '));
  }
  const unknownOption = await runCli('jobs', '--stdy', 's', '--workspace', ws);
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.stderr, /^corpus-lab jobs: Unknown option '--stdy'/);
});

test('settings: a syntax error names file, line and column; a bad value is named and left out', async () => {
  const broken = workspace(
    '{\n  // comments and trailing commas are fine,\n  "corpusLab.clusters": [\n    { "name": "a", },\n  ]\n  "x": 1\n}\n',
  );
  const file = path.join(broken, '.vscode', 'settings.json');
  const r = await runCli('jobs', '--workspace', broken);
  assert.deepEqual([r.code, r.stderr], [1, `corpus-lab jobs: ${file}:6:3: CommaExpected\n`]);

  const bad = workspace({ 'corpusLab.clusters': [{ name: 'login', kind: 'lokal' }] });
  const badFile = path.join(bad, '.vscode', 'settings.json');
  const b = await runCli('study', 'validate', 'EnJa', '--study', 's', '--workspace', bad);
  assert.equal(b.code, 1);
  assert.equal(
    b.stderr,
    [
      `warning: ${badFile}: corpusLab.clusters[0].kind Invalid discriminator value. Expected 'ssh' | 'local', got "lokal"`,
      `corpus-lab study: no clusters are configured (corpusLab.clusters in ${badFile})`,
      '',
    ].join('\n'),
  );
});

test('--config names the settings file; a missing one is an error naming it', async () => {
  const ws = workspace({});
  const missing = path.join(ws, 'nowhere.json');
  const r = await runCli('jobs', '--workspace', ws, '--config', missing);
  assert.deepEqual([r.code, r.stderr], [1, `corpus-lab jobs: ${missing}: no such file\n`]);
  const config = path.join(ws, 'user-settings.json');
  writeFileSync(
    config,
    JSON.stringify({
      'corpusLab.clusters': [
        { name: 'a', kind: 'local' },
        { name: 'b', kind: 'local' },
      ],
    }),
  );
  const two = await runCli('study', 'validate', 'EnJa', '--study', 's', '--workspace', ws, '--config', config);
  assert.deepEqual(
    [two.code, two.stderr],
    [2, 'corpus-lab study: several clusters are configured; choose one with --cluster (a, b)\n'],
  );
  const unknown = await runCli(
    'study',
    'validate',
    'EnJa',
    '--study',
    's',
    '--cluster',
    'c',
    '--workspace',
    ws,
    '--config',
    config,
  );
  assert.deepEqual(
    [unknown.code, unknown.stderr],
    [1, `corpus-lab study: no cluster named "c" in ${config} (known: a, b)\n`],
  );
});

test('jobs and logs read the workspace registry: none yet, or a job it does not hold', async () => {
  const ws = workspace(LOCAL);
  assert.deepEqual(await runCli('jobs', '--workspace', ws), { code: 0, stdout: 'no jobs\n', stderr: '' });
  assert.deepEqual(await runCli('jobs', '--json', '--workspace', ws), { code: 0, stdout: '[]\n', stderr: '' });
  const logs = await runCli('logs', 's/cpt/A', '--workspace', ws);
  assert.deepEqual(
    [logs.code, logs.stderr],
    [
      1,
      `corpus-lab logs: no job "s/cpt/A" in ${path.join(ws, '.corpus-lab', 'jobs.json')} (give a tag, a job id or study/stage/model)\n`,
    ],
  );
  const fetch = await runCli('fetch', 's', '--workspace', ws);
  assert.deepEqual(
    [fetch.code, fetch.stderr],
    [1, `corpus-lab fetch: study s has no evaluation jobs in ${path.join(ws, '.corpus-lab', 'jobs.json')}\n`],
  );
});

test('a cluster that cannot be reached exits 3, naming why', async () => {
  // Port 1 on the loopback: nothing listens, the connection is refused at once.
  const ws = workspace({
    'corpusLab.clusters': [
      { name: 'down', host: '127.0.0.1', port: 1, user: 'nobody', identityFiles: [], useAgent: false },
    ],
  });
  const r = await runCli('cluster', 'check', 'down', '--workspace', ws);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^corpus-lab cluster: cannot reach the cluster: .*127\.0\.0\.1:1.*ECONNREFUSED/);
});

test('a recipe the workspace does not have is named with those it has', async () => {
  const ws = workspace(LOCAL);
  writeFileSync(
    path.join(ws, 'a.recipe.yaml'),
    'name: EnJa\ntokenizer: t\nsources:\n  - id: s\n    language: ja\n    origin: original\n    kind: web\n    tokens: 1B\n',
  );
  const r = await runCli('study', 'validate', 'JaOnly', '--study', 's', '--workspace', ws);
  assert.deepEqual([r.code, r.stderr], [1, `corpus-lab study: no recipe named "JaOnly" in ${ws} (known: EnJa)\n`]);
});
