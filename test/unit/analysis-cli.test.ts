import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseAnalyzeOptions, runCommand, type Values } from '../../src/cli/commands';
import { PAPER_STUDY } from './helpers';

async function analyzeWith(values: Values, args = [PAPER_STUDY]) {
  let out = '';
  let err = '';
  const code = await runCommand('analyze', args, values, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('--seed and --permutations take whole numbers only, within their limits; --family a known scope', async () => {
  assert.deepEqual(parseAnalyzeOptions({ seed: '0', permutations: '1000', family: 'all' }), {
    seed: 0,
    permutationSamples: 1000,
    family: 'all',
  });
  assert.deepEqual(parseAnalyzeOptions({}), { seed: undefined, permutationSamples: undefined, family: undefined });
  assert.deepEqual(parseAnalyzeOptions({ seed: '4294967295', permutations: '1000000' }), {
    seed: 4294967295,
    permutationSamples: 1_000_000,
    family: undefined,
  });
  const seedError = (v: string) => `--seed must be a whole number from 0 to 4294967295, got "${v}"`;
  const permError = (v: string) =>
    `--permutations must be a whole number from 1 to 1000000 (Monte Carlo orderings per test when n > 8), got "${v}"`;
  for (const v of ['', ' ', '-1', '1.5', '1e3', '0x10', '4294967296'])
    assert.throws(() => parseAnalyzeOptions({ seed: v }), { message: seedError(v) });
  for (const v of ['', '0', '1e3', '1e12', '1000001', '12.0', '+5'])
    assert.throws(() => parseAnalyzeOptions({ permutations: v }), { message: permError(v) });
  assert.throws(() => parseAnalyzeOptions({ family: 'task' }), {
    message: '--family must be one of statistic, all, got "task"',
  });

  const empty = await analyzeWith({ seed: '' });
  assert.equal(empty.code, 2);
  assert.equal(empty.err, `corpus-lab analyze: ${seedError('')}\n`);
  const huge = await analyzeWith({ permutations: '1e12' });
  assert.equal(huge.code, 2);
  assert.equal(huge.err, `corpus-lab analyze: ${permError('1e12')}\n`);
});

test('analyze states the permutation scheme and the multiple-testing family, and shows Holm beside q', async () => {
  const { code, out } = await analyzeWith({});
  assert.equal(code, 0);
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('corpora (n = 6)'));
  assert.equal(lines[at + 1], 'permutation p: Freedman–Lane, exhaustive over all 720 orderings');
  assert.equal(
    lines[at + 2],
    `multiple testing: BH q and Holm p within each family (one family per statistic); ${['total_tokens', 'japanese_tokens', 'english_tokens', 'parallel_tokens', 'japanese_ratio', 'english_ratio', 'parallel_ratio'].map((id) => `${id}: 27 tests`).join('; ')}`,
  );
  assert.match(out, /task +regular r +p +partial r +p \(df n-2\) +p \(df n-2-k\) +p perm +q +Holm\n/);

  const all = await analyzeWith({ family: 'all' });
  const allLines = all.out.split('\n');
  assert.equal(
    allLines[allLines.findIndex((l) => l.startsWith('corpora')) + 2],
    'multiple testing: BH q and Holm p within each family (one family: all tests); all: 162 tests, 27 duplicates counted once',
  );
  assert.ok(
    all.out.includes(
      '  = the same tests as japanese_ratio (negated): counted once in family all, q and Holm as there\n',
    ),
  );
});

test('analyze --json keeps pPermutation and adds the permutation object, the family and the task matrix', async () => {
  const { code, out } = await analyzeWith({ json: true, family: 'all' }, []);
  assert.equal(code, 2, 'no study given');
  const json = await analyzeWith(
    {
      json: true,
      composition: path.join(PAPER_STUDY, 'composition.csv'),
      scores: path.join(PAPER_STUDY, 'score-differences.csv'),
    },
    [],
  );
  assert.equal(json.code, 0);
  const r = JSON.parse(json.out);
  assert.deepEqual(r.permutation, { scheme: 'freedman-lane', method: 'exact', permutations: 720, exhaustive: true });
  assert.equal(r.multipleTesting.scope, 'statistic');
  assert.equal(r.matrices.tasks.labels.length, 27);
  const t = r.tests.find(
    (x: { task: string; statistic: string }) => x.task === 'IgakuQA' && x.statistic === 'total_tokens',
  );
  assert.equal(t.partial.pPermutation, t.permutation.hits / 720);
  assert.equal(t.family, 'total_tokens');
  assert.equal(out, '');
});
