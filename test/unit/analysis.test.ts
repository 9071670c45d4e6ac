import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyze, type AnalysisResult } from '../../src/core/analysis/analyze';
import { benjaminiHochberg, correlationPValue, pearson, permutationPValue } from '../../src/core/analysis/correlation';
import { STATISTIC_IDS } from '../../src/core/analysis/statistics';
import { parseControls, readStudyDirectory } from '../../src/core/analysis/study';
import { differencesFromResults, parseCompositionCsv, parseScoreCsv } from '../../src/core/analysis/tables';
import { FIXTURES, PAPER_STUDY } from './helpers';

interface RefTest {
  task: string;
  statistic: string;
  covariates: string[];
  regular: { r: number; p: number };
  partial: { r: number; p: number; pCorrected: number; pPermutation: number };
  q: number;
}
const reference = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis', 'paper-reference.json'), 'utf8')) as {
  corpora: string[];
  default: RefTest[];
  regular_only: RefTest[];
  statistics_matrix: number[][];
  tasks_matrix: number[][];
  language_averages: Record<string, Record<string, number>>;
};

const TOLERANCE = 1e-9;
function close(actual: number | null, expected: number, what: string) {
  assert.ok(actual !== null && Math.abs(actual - expected) <= TOLERANCE, `${what}: ${actual} vs reference ${expected}`);
}

function compare(result: AnalysisResult, expected: RefTest[]) {
  assert.equal(result.tests.length, expected.length);
  for (const ref of expected) {
    const t = result.tests.find((x) => x.task === ref.task && x.statistic === ref.statistic);
    assert.ok(t, `${ref.task} ~ ${ref.statistic}`);
    const what = `${ref.task} ~ ${ref.statistic}`;
    assert.deepEqual(t.covariates, ref.covariates, what);
    assert.equal(t.error, undefined, what);
    close(t.regular.r, ref.regular.r, `${what} regular r`);
    close(t.regular.p, ref.regular.p, `${what} regular p`);
    close(t.partial.r, ref.partial.r, `${what} partial r`);
    close(t.partial.p, ref.partial.p, `${what} partial p`);
    close(t.partial.pCorrected, ref.partial.pCorrected, `${what} corrected p`);
    close(t.partial.pPermutation, ref.partial.pPermutation, `${what} permutation p`);
    close(t.q, ref.q, `${what} q`);
  }
}

test('the paper analysis agrees with the NumPy/SciPy reference to 1e-9 (default covariates)', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const result = analyze(inputs.composition, inputs.scores);
  assert.deepEqual(result.corpora, reference.corpora);
  assert.equal(result.tests.length, 27 * 7);
  compare(result, reference.default);
  assert.deepEqual(result.permutation, { method: 'exact', permutations: 720 });
  assert.deepEqual(result.warnings, []);
});

test('with no covariates the partial tests are the regular ones, and agree with the reference', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const controls = parseControls(STATISTIC_IDS.map((id) => `${id}=`));
  const result = analyze(inputs.composition, inputs.scores, { covariates: controls });
  compare(result, reference.regular_only);
});

test("the paper's regular correlation IgakuQA ~ total tokens is r = 0.915, p = 0.011 (Appendix F)", async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const t = analyze(inputs.composition, inputs.scores).tests.find((x) => x.task === 'IgakuQA' && x.statistic === 'total_tokens')!;
  assert.equal(t.regular.r!.toFixed(3), '0.915');
  assert.equal(t.regular.p!.toFixed(3), '0.011');
});

test('correlation matrices among statistics (Fig. F.1) and tasks (Fig. F.2) match the reference', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const { matrices, averages } = analyze(inputs.composition, inputs.scores);
  assert.deepEqual(matrices.statistics.labels, STATISTIC_IDS);
  matrices.statistics.values.forEach((row, i) => row.forEach((v, j) => close(v, reference.statistics_matrix[i][j], `F.1[${i}][${j}]`)));
  assert.equal(matrices.tasks.labels.length, 27);
  matrices.tasks.values.forEach((row, i) => row.forEach((v, j) => close(v, reference.tasks_matrix[i][j], `F.2[${i}][${j}]`)));
  for (const lang of ['Japanese', 'English']) {
    for (const c of reference.corpora) close(averages.language[lang][c], reference.language_averages[lang][c], `${lang} average ${c}`);
  }
  assert.equal(Object.keys(averages.category).length, 7);
  close(averages.category['English/MT']['EnJa-Base'], 0.003, 'English/MT');
});

test('collinear and rank-deficient designs are named, never NaN', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const run = (spec: string[]) => analyze(inputs.composition, inputs.scores, { covariates: parseControls(spec), statistics: [spec[0].split('=')[0]] as never });
  const total = run(['total_tokens=japanese_tokens,english_tokens,parallel_tokens']);
  assert.equal(total.tests.length, 27);
  for (const t of total.tests) {
    assert.equal(t.partial.r, null);
    assert.equal(t.q, null);
    assert.equal(t.error, 'total_tokens is a linear function of its covariates japanese_tokens, english_tokens, parallel_tokens (e.g. total = Japanese + English + parallel): its partial correlation is undefined');
    assert.ok(t.regular.r !== null, 'the regular correlation is still shown');
  }
  const explained = run(['japanese_tokens=total_tokens,english_tokens,parallel_tokens']);
  assert.equal(explained.tests[0].error, 'japanese_tokens is a linear function of its covariates total_tokens, english_tokens, parallel_tokens (e.g. total = Japanese + English + parallel): its partial correlation is undefined');
  // With EnJa-Balance's ratios summing to exactly 100 %, the three ratios are rank-deficient together.
  const exact = parseCompositionCsv('c.csv', readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').replace('45.86,53.45,0.68', '45.86,53.46,0.68'));
  const ratios = analyze(exact, inputs.scores, { covariates: parseControls(['total_tokens=japanese_ratio,english_ratio,parallel_ratio']), statistics: ['total_tokens'] });
  assert.equal(ratios.tests[0].error, 'the covariates of total_tokens are collinear: japanese_ratio is a linear function of english_ratio, parallel_ratio (rank-deficient design)');
  const tooMany = run(['english_ratio=total_tokens,japanese_tokens,parallel_tokens,japanese_ratio']);
  assert.equal(tooMany.tests[0].error, 'too few corpora: n = 6 with 4 covariates leaves n − 2 − k = 0 degrees of freedom');
  const self = run(['english_ratio=english_ratio']);
  assert.equal(self.tests[0].error, 'english_ratio cannot be its own covariate');
  for (const r of [total, explained, ratios, tooMany, self]) assert.ok(!JSON.stringify(r).includes('NaN'));
});

test('near-collinear covariates warn with their variance inflation', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  // The three ratios sum to 100 % up to the table's rounding (EnJa-Balance sums to 99.99).
  const r = analyze(inputs.composition, inputs.scores, { covariates: parseControls(['total_tokens=japanese_ratio,english_ratio']), statistics: ['parallel_ratio', 'total_tokens'] });
  assert.deepEqual(r.warnings, []);
  const near = analyze(inputs.composition, inputs.scores, { covariates: parseControls(['parallel_ratio=japanese_ratio,english_ratio']), statistics: ['parallel_ratio'] });
  assert.equal(near.warnings.length, 1);
  assert.match(near.warnings[0], /^parallel_ratio is nearly collinear with its covariates japanese_ratio, english_ratio \(VIF = \d+\): its partial correlations are unstable$/);
});

test('bad --control specs name the culprit', () => {
  assert.throws(() => parseControls(['total_token=japanese_tokens']), { message: '--control "total_token=japanese_tokens": unknown statistic "total_token" (did you mean "total_tokens"?); known: total_tokens, japanese_tokens, english_tokens, parallel_tokens, japanese_ratio, english_ratio, parallel_ratio' });
  assert.throws(() => parseControls(['total_tokens']), { message: '--control "total_tokens": expected STAT=COV1,COV2' });
  assert.throws(() => parseControls(['total_tokens=', 'total_tokens=japanese_ratio']), { message: '--control: total_tokens is given twice' });
  assert.deepEqual(parseControls(['english_tokens=japanese_tokens, parallel_tokens', 'total_tokens=']), { english_tokens: ['japanese_tokens', 'parallel_tokens'], total_tokens: [] });
});

test('exact permutation p-values enumerate all n! orderings; above 8 a seeded Monte Carlo', () => {
  assert.deepEqual(permutationPValue([1, 2, 3], [1, 2, 3]), { p: 2 / 6, method: 'exact', permutations: 6 });
  // n = 4, r = 0.8 (Σxy = 29): |r| ≥ 0.8 needs Σxy ≥ 29 or ≤ 21: 1234, 2134, 1324, 1243 and their
  // reversals 4321, 3421, 4231, 4312 — 8 of 24, counted by hand.
  assert.deepEqual(permutationPValue([1, 2, 3, 4], [1, 2, 4, 3]), { p: 8 / 24, method: 'exact', permutations: 24 });
  assert.equal(permutationPValue([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7])!.permutations, 40320);
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const y = [1, 3, 2, 5, 4, 7, 6, 9, 8];
  const mc = permutationPValue(x, y, { samples: 2000, seed: 7 })!;
  assert.equal(mc.method, 'monte-carlo');
  assert.equal(mc.permutations, 2000);
  assert.equal(mc.seed, 7);
  assert.deepEqual(permutationPValue(x, y, { samples: 2000, seed: 7 }), mc, 'same seed, same p');
  // r = 0.95 with n = 9: the exact p is 1/181440·(a handful); a Monte Carlo p is (hits + 1)/(B + 1).
  assert.ok(mc.p > 0 && mc.p < 0.01, String(mc.p));
  assert.equal(permutationPValue([1, 1, 1], [1, 2, 3]), undefined);
});

test('t-test p-values and BH q-values agree with known values', () => {
  close(correlationPValue(0.9148433959232759, 4), 0.010568708001301401, 'p (SciPy pearsonr)');
  assert.throws(() => correlationPValue(0.5, 0), RangeError);
  assert.equal(correlationPValue(1, 4), 0);
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
  assert.deepEqual(benjaminiHochberg([0.01, 0.04, 0.03, 0.005]).map((v) => +v.toFixed(12)), [0.02, 0.04, 0.04, 0.02]);
  assert.equal(pearson([1, 2, 3], [5, 5, 5]), undefined);
});

test('malformed score and composition tables are errors naming file, row and column', () => {
  const scores = (body: string) => () => parseScoreCsv('s.csv', body);
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,x,0.3\n'), { message: 's.csv:2:5: "B" must be a number, got "x"' });
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,0.2,0.3\nT1,Japanese,MCQA,0.1,0.2,0.3\n'), { message: 's.csv:3:1: duplicate task "T1" (first on row 2)' });
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,,0.3\n'), { message: 's.csv:2:5: missing value for "B"' });
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,0.2\n'), { message: 's.csv:2: row has 5 cells, the header has 6' });
  assert.throws(scores('task,lang,category,A\n'), { message: 's.csv:1:2: column 2 must be "language", got "lang"' });
  assert.throws(scores('task,language,category,A,A\nT,J,M,1,2\n'), { message: 's.csv:1:5: duplicate corpus column "A"' });
  assert.throws(scores('task,language,category,A,B\n"T,J,M,1,2\n'), (e: Error) => e.message.startsWith('s.csv:2: not valid CSV:'));
  const composition = parseCompositionCsv('c.csv', readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8'));
  assert.throws(() => parseCompositionCsv('c.csv', 'corpus,total_tokens_b\nA,1\n'), { message: 'c.csv:1: missing column "japanese_tokens_b"' });
  const bad = readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').replace('42.76,32.76', '42.76,n/a');
  assert.throws(() => parseCompositionCsv('c.csv', bad), { message: 'c.csv:3:3: "japanese_tokens_b" must be a number, got "n/a"' });
  const dup = readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').replace('JaDominant', 'EnJa-Base');
  assert.throws(() => parseCompositionCsv('c.csv', dup), { message: 'c.csv:3:1: duplicate corpus "EnJa-Base"' });

  const missing = parseScoreCsv('s.csv', 'task,language,category,EnJa-Base,JaDominant,EnDominant,EnJa-Plus,EnJa-Balance\nT,Japanese,MCQA,1,2,3,4,5\n');
  assert.throws(() => analyze(composition, missing), { message: 's.csv:1: missing corpus column "EnJa-Hybrid" (listed in c.csv)' });
  const unknown = parseScoreCsv('s.csv', 'task,language,category,EnJa-Base,Mystery\nT,Japanese,MCQA,1,2\n');
  assert.throws(() => analyze(composition, unknown), { message: 's.csv:1:5: corpus "Mystery" is not in the composition table c.csv' });
  const two = parseCompositionCsv('c2.csv', 'corpus,total_tokens_b,japanese_tokens_b,english_tokens_b,parallel_tokens_b,japanese_ratio_pct,english_ratio_pct,parallel_ratio_pct\nA,1,1,0,0,100,0,0\nB,2,1,1,0,50,50,0\n');
  assert.throws(() => analyze(two, parseScoreCsv('s.csv', 'task,language,category,A,B\nT,Japanese,MCQA,1,2\n')), { message: 's.csv:1: needs at least 3 corpora to correlate, found 2' });
});

test('score differences are after − before, with a shared or per-corpus before', () => {
  const before = parseScoreCsv('b.csv', 'task,language,category,base\nT1,Japanese,MCQA,0.40\nT2,English,MT,0.20\n');
  const after = parseScoreCsv('a.csv', 'task,language,category,A,B\nT1,Japanese,MCQA,0.45,0.50\nT2,English,MT,0.25,0.10\n');
  const d = differencesFromResults(before, after);
  assert.deepEqual(d.tasks.map((t) => t.values.map((v) => +v.toFixed(12))), [[0.05, 0.1], [0.05, -0.1]]);
  const perCorpus = parseScoreCsv('b.csv', 'task,language,category,B,A\nT1,Japanese,MCQA,0.3,0.4\nT2,English,MT,0.2,0.1\n');
  assert.deepEqual(differencesFromResults(perCorpus, after).tasks.map((t) => t.values.map((v) => +v.toFixed(12))), [[0.05, 0.2], [0.15, -0.1]]);
  const lacking = parseScoreCsv('b.csv', 'task,language,category,base\nT1,Japanese,MCQA,0.40\n');
  assert.throws(() => differencesFromResults(lacking, after), { message: 'b.csv:1: no "before" score for task "T2" (row 3 of a.csv)' });
});
