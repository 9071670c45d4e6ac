import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { labelProblem, safeLabel } from '../../src/core/jobs/labels';
import { exportBlend } from '../../src/core/recipe/blend';
import { loadRecipes } from '../../src/core/recipe/loader';
import { decodeUtf8, readTextFile } from '../../src/core/regularFile';
import { toCsv } from '../../src/core/report/dataTable';
import { parseResultCsv } from '../../src/core/results/jmedbench';
import { readStudyFile } from '../../src/core/study/studyFile';
import { ROOT, runCli, tempDir } from './helpers';

const HOSTILE = path.join(ROOT, 'test', 'hostile');
const cli = runCli;

test('result rows named constructor or __proto__ are unknown tasks, not Object.prototype', () => {
  const file = path.join(HOSTILE, 'csv', 'prototype-rows.csv');
  const r = parseResultCsv(file, readFileSync(file, 'utf8'));
  assert.deepEqual(
    r.rows.map((x) => [x.csvTask, x.score]),
    [['igakuqa', 0.25]],
  );
  assert.deepEqual(
    r.problems,
    ['constructor', '__proto__', 'hasOwnProperty'].map(
      (t, i) => `${file}:${i + 2}:1: unknown task "${t}" (not one of JMedBench's 27 in the paper)`,
    ),
  );
});

test('CSV exports neutralise text a spreadsheet would run as a formula; numbers stay numbers', () => {
  const csv = toCsv({
    title: 't',
    columns: [
      { key: 'task', label: '=task' },
      { key: 'a', label: 'A', digits: 3 },
    ],
    rows: [
      ['=HYPERLINK("http://evil.example")', -0.25],
      ['+cmd|calc', 1],
      ['@SUM(1)', null],
      ['-2+3', 0],
      ['\tx', 2],
      ['igakuqa', -1e-9],
    ],
  });
  assert.equal(
    csv,
    [
      `'=task,A`,
      `"'=HYPERLINK(""http://evil.example"")",-0.25`,
      `'+cmd|calc,1`,
      `'@SUM(1),`,
      `'-2+3,0`,
      `'\tx,2`,
      'igakuqa,-1e-9',
      '',
    ].join('\r\n'),
  );
});

test('blend: a prefix with spaces or quotes stays one shell argument', async () => {
  const { set, requested } = await loadRecipes([path.join(HOSTILE, 'datasets', 'spaced.recipe.yaml')]);
  assert.deepEqual(set.diagnostics, []);
  const r = exportBlend(set.recipes.get('Spaced')!, "/data/it's here");
  assert.ok(r.ok && requested.length === 1);
  assert.equal(r.ok && r.dataPath, `12 '/data/it'\\''s here/with space/ja_text_document'`);
  assert.equal(r.ok && r.entries[0].prefix, "/data/it's here/with space/ja_text_document");
  // What the shell makes of it: exactly two arguments.
  const argv = execFileSync('sh', ['-c', `printf '%s\\n' ${r.ok && r.dataPath}`], { encoding: 'utf8' })
    .split('\n')
    .slice(0, -1);
  assert.deepEqual(argv, ['12', "/data/it's here/with space/ja_text_document"]);
});

test('study.yaml: paths stay inside the study folder; errors point at the key; alias bombs are refused', async () => {
  const at = (f: string) => path.join(HOSTILE, 'study', f);
  await assert.rejects(readStudyFile(at('parent-path.yaml')), {
    message: `${at('parent-path.yaml')}:2:9: scores: must be a path inside the study folder (relative, without "..")`,
  });
  await assert.rejects(readStudyFile(at('absolute-path.yaml')), {
    message: `${at('absolute-path.yaml')}:2:14: composition: must be a path inside the study folder (relative, without "..")`,
  });
  await assert.rejects(readStudyFile(at('unknown-key.yaml')), {
    message: `${at('unknown-key.yaml')}:3:1: colour: Unrecognized key(s) in object: 'colour'`,
  });
  await assert.rejects(readStudyFile(at('alias-bomb.yaml')), {
    message: `${at('alias-bomb.yaml')}:1:1: YAML: Excessive alias count indicates a resource exhaustion attack`,
  });
});

test('CSV tables: invalid UTF-8 is an error at its line, a BOM does not shift columns, a FIFO is refused', async () => {
  const bad = path.join(HOSTILE, 'csv', 'invalid-utf8.csv');
  await assert.rejects(readTextFile(bad), {
    message: `${bad}:3: not valid UTF-8 (byte 0xff at offset 53); save the file as UTF-8`,
  });
  assert.equal(decodeUtf8('x', Buffer.from('\ufeffa,b\n')), 'a,b\n');
  assert.throws(
    () => decodeUtf8('x', Buffer.from([0x61, 0xed, 0xa0, 0x80])),
    /x:1: not valid UTF-8 \(byte 0xed at offset 1\)/,
  ); // a UTF-16 surrogate
  assert.throws(() => decodeUtf8('x', Buffer.from([0xc0, 0xaf])), /byte 0xc0 at offset 0/); // overlong "/"
  assert.equal(decodeUtf8('x', Buffer.from('日本語 ✓ 𝄞')), '日本語 ✓ 𝄞');
  const dir = tempDir();
  const fifo = path.join(dir, 'scores.csv');
  execFileSync('mkfifo', [fifo]);
  const r = await cli('analyze', '--composition', fifo, '--scores', fifo);
  assert.deepEqual([r.code, r.stderr], [1, `${fifo}:1: is a FIFO (named pipe), not a regular file\n`]);
  const idx = path.join(dir, 'ds.idx');
  execFileSync('mkfifo', [idx]);
  const t = await cli('tokens', idx);
  assert.deepEqual([t.code, t.stderr], [1, `${idx}: is a FIFO (named pipe), not a regular file\n`]);
});

test('labels: any name becomes a Slurm- and path-safe label, deterministic and collision-aware', () => {
  assert.equal(safeLabel('EnJa-Plus'), 'EnJa-Plus');
  assert.match(safeLabel('EnJa Plus'), /^EnJa-Plus-[0-9a-f]{6}$/);
  assert.notEqual(safeLabel('EnJa Plus'), safeLabel('EnJa  Plus'));
  assert.equal(safeLabel('EnJa Plus'), safeLabel('EnJa Plus'));
  assert.match(safeLabel('日本語コーパス'), /^label-[0-9a-f]{6}$/);
  assert.notEqual(safeLabel('日本語コーパス'), safeLabel('英語コーパス'));
  assert.match(safeLabel('ＥｎＪａ２'), /^EnJa2-[0-9a-f]{6}$/);
  assert.match(safeLabel('..'), /^label-[0-9a-f]{6}$/);
  assert.match(safeLabel('-rf'), /^rf-[0-9a-f]{6}$/);
  assert.match(safeLabel('a\u202eb', 'study'), /^a-b-[0-9a-f]{6}$/);
  assert.equal(safeLabel('x'.repeat(100)).length, 64);
  for (const n of ['EnJa Plus', '日本語コーパス', '..', '-rf', 'x'.repeat(100), 'a/b', ''])
    assert.equal(labelProblem(safeLabel(n)), undefined, n);
  assert.equal(labelProblem('EnJa.v2_final-3'), undefined);
  assert.equal(labelProblem(''), 'a label cannot be empty');
  assert.equal(
    labelProblem('EnJa Plus'),
    `"EnJa Plus" contains a space; a label holds only ASCII letters, digits, ".", "_" and "-" (a safe label: "${safeLabel('EnJa Plus')}")`,
  );
  assert.equal(
    labelProblem('日本語'),
    `"日本語" contains "日" (U+65E5); a label holds only ASCII letters, digits, ".", "_" and "-" (a safe label: "${safeLabel('日本語')}")`,
  );
  assert.equal(
    labelProblem('a\u001bb'),
    `"a\\u{1b}b" contains the control character U+001B; a label holds only ASCII letters, digits, ".", "_" and "-" (a safe label: "${safeLabel('a\u001bb')}")`,
  );
  assert.equal(
    labelProblem('.hidden'),
    `".hidden" starts with "."; a label starts with a letter or digit (a safe label: "${safeLabel('.hidden')}")`,
  );
});

test('the CLI shows control and bidi characters in names instead of obeying them', async () => {
  const dir = tempDir();
  const scores = path.join(dir, 'scores.csv');
  writeFileSync(scores, readFileSync(path.join(HOSTILE, 'csv', 'formula-scores.csv')));
  writeFileSync(
    path.join(dir, 'composition.csv'),
    'corpus,total_tokens_b,japanese_tokens_b,english_tokens_b,parallel_tokens_b,japanese_ratio_pct,english_ratio_pct,parallel_ratio_pct\nA,1,0.5,0.5,0,50,50,0\nB,2,1,1,0,50,50,0\nC,3,1,2,0,33.3,66.7,0\nD,4,1,3,0,25,75,0\n',
  );
  const text = await cli('analyze', '--composition', path.join(dir, 'composition.csv'), '--scores', scores);
  assert.equal(text.code, 0);
  assert.ok(text.stdout.includes('plain\\u{1b}[2J\\u{202e}evil'));
  assert.doesNotMatch(text.stdout, /[\u001b\u202e]/);
  const json = await cli('analyze', '--composition', path.join(dir, 'composition.csv'), '--scores', scores, '--json');
  assert.doesNotMatch(json.stdout, /[\u001b\u202e]/);
  assert.ok(
    (JSON.parse(json.stdout) as { tests: { task: string }[] }).tests.some((t) => t.task === 'plain\u001b[2J\u202eevil'),
  );
});

test('the CLI names the file of every file error, in words', async () => {
  const dir = tempDir();
  const r = await cli('analyze', '--composition', dir, '--scores', dir);
  assert.deepEqual([r.code, r.stderr], [1, `${dir}:1: is a directory, not a file\n`]);
  const missing = await cli('stats', path.join(dir, 'nope.recipe.yaml'));
  assert.deepEqual(
    [missing.code, missing.stderr],
    [1, `corpus-lab stats: ${path.join(dir, 'nope.recipe.yaml')}: no such file\n`],
  );
  const bom = path.join(HOSTILE, 'csv', 'bom-bad-number.csv');
  const b = await cli('analyze', '--composition', bom, '--scores', bom);
  assert.equal(b.stderr, `${bom}:1:1: first column must be "corpus", got "task"\n`);
});

test('stats on a good recipe beside an alias bomb: its numbers, the bomb named, exit 0', async () => {
  const dir = path.join(HOSTILE, 'recipes', '06-alias-bomb');
  const r = await cli('stats', path.join(dir, 'good.recipe.yaml'), '--json');
  assert.equal(
    r.stderr,
    `${path.join(dir, 'bomb.recipe.yaml')}:1:1: YAML: Excessive alias count indicates a resource exhaustion attack\n`,
  );
  assert.equal(r.code, 0);
  assert.deepEqual(
    (JSON.parse(r.stdout) as { name: string; total: number }[]).map((x) => [x.name, x.total]),
    [['Good', 1e9]],
  );
  const both = await cli('stats', dir, '--json');
  assert.equal(both.code, 1);
});
