import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { type AnalysisResult, analyze } from '../../src/core/analysis/analyze';
import { parseControls } from '../../src/core/analysis/controls';
import {
  benjaminiHochberg,
  correlationPValue,
  freedmanLanePValue,
  holm,
  pearson,
  Residualizer,
} from '../../src/core/analysis/correlation';
import { type AnalysisMessage, renderMessage } from '../../src/core/analysis/messages';
import { halfUnit } from '../../src/core/analysis/precision';
import { STATISTIC_IDS } from '../../src/core/analysis/statistics';
import { differencesFromResults, parseCompositionCsv, parseScoreCsv } from '../../src/core/analysis/tables';
import { testsTable } from '../../src/core/analysis/views';
import { readStudyDirectory } from '../../src/core/study/loadStudy';
import { close, compare, type Num, type RefTest } from './analysisReference';
import { FIXTURES, PAPER_STUDY } from './helpers';

/** A message of the analysis in its English words, as the CLI prints it. */
const english = (m: AnalysisMessage | undefined) => (m === undefined ? undefined : renderMessage(m));

const reference = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis', 'paper-reference.json'), 'utf8')) as {
  corpora: string[];
  default: RefTest[];
  regular_only: RefTest[];
  all_family: RefTest[];
  statistics_matrix: Num[][];
  tasks_matrix: Num[][];
  language_averages: Record<string, Record<string, number>>;
};

/** The paper's composition.csv: its ratios are not all the rounded shares of its counts. */
const PAPER_INCONSISTENCIES = [
  'corpus "EnJa-Base", parallel_ratio_pct = 3.26 does not match 100 × parallel_tokens_b / total_tokens_b = 3.2 within the printed precision (±0.0394)',
  'corpus "JaDominant", english_ratio_pct = 22.24 does not match 100 × english_tokens_b / total_tokens_b = 22.217 within the printed precision (±0.0192911)',
  'corpus "JaDominant", parallel_ratio_pct = 1.14 does not match 100 × parallel_tokens_b / total_tokens_b = 1.12254 within the printed precision (±0.0168244)',
  'corpus "EnDominant", japanese_ratio_pct = 11.47 does not match 100 × japanese_tokens_b / total_tokens_b = 11.4469 within the printed precision (±0.0177572)',
  'corpus "EnDominant", parallel_ratio_pct = 1.12 does not match 100 × parallel_tokens_b / total_tokens_b = 1.0989 within the printed precision (±0.0165727)',
  'corpus "EnJa-Plus", parallel_ratio_pct = 0.85 does not match 100 × parallel_tokens_b / total_tokens_b = 0.833912 within the printed precision (±0.013759)',
];

test('the paper analysis agrees with the NumPy/SciPy reference to 1e-9 (default covariates, Freedman–Lane over all 720 orderings)', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const result = analyze(inputs.composition, inputs.scores);
  assert.deepEqual(result.corpora, reference.corpora);
  assert.equal(result.tests.length, 27 * 7);
  compare(result, reference.default);
  assert.deepEqual(result.permutation, {
    scheme: 'freedman-lane',
    method: 'exact',
    permutations: 720,
    exhaustive: true,
  });
  assert.deepEqual(result.multipleTesting, {
    scope: 'statistic',
    methods: { q: 'benjamini-hochberg', holm: 'holm' },
    families: STATISTIC_IDS.map((id) => ({ id, size: 27, duplicates: 0 })),
  });
  assert.deepEqual(
    result.warnings.map((w) => renderMessage(w)),
    PAPER_INCONSISTENCIES.map((w) => `${inputs.composition.file}: ${w}`),
  );
});

test('with no covariates the partial tests are the regular ones, and agree with the reference', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const controls = parseControls(STATISTIC_IDS.map((id) => `${id}=`));
  const result = analyze(inputs.composition, inputs.scores, { covariates: controls });
  compare(result, reference.regular_only);
});

test("one family for all tests counts english_ratio once: its partial r negates japanese_ratio's within the printed precision", async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const result = analyze(inputs.composition, inputs.scores, { family: 'all' });
  compare(result, reference.all_family);
  assert.deepEqual(result.multipleTesting.families, [{ id: 'all', size: 162, duplicates: 27 }]);
  const ja = result.tests.find((t) => t.task === 'IgakuQA' && t.statistic === 'japanese_ratio')!;
  const en = result.tests.find((t) => t.task === 'IgakuQA' && t.statistic === 'english_ratio')!;
  assert.deepEqual(en.duplicateOf, { statistic: 'japanese_ratio', task: 'IgakuQA', sign: -1 });
  assert.equal(en.q, ja.q);
  assert.equal(en.holm, ja.holm);
  assert.ok(Math.abs(en.partial.r! + ja.partial.r!) < 0.01, `${en.partial.r} vs ${ja.partial.r}`);
  const table = testsTable(result, 'english_ratio', 'partial');
  assert.deepEqual(
    table.columns.slice(-3).map((c) => c.label),
    ['q (BH)', 'p (Holm)', 'Note'],
  );
  assert.equal(
    table.rows.find((r) => r[0] === 'IgakuQA')!.at(-1),
    'same test as japanese_ratio (negated): counted once in family all',
  );
  // The family per statistic does not move when another statistic's covariates change.
  const base = analyze(inputs.composition, inputs.scores);
  const controlled = analyze(inputs.composition, inputs.scores, { covariates: parseControls(['total_tokens=']) });
  const q = (r: AnalysisResult) => r.tests.filter((t) => t.statistic === 'japanese_tokens').map((t) => t.q);
  assert.deepEqual(q(controlled), q(base));
});

test("the paper's regular correlation IgakuQA ~ total tokens is r = 0.915, p = 0.011 (Appendix F)", async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const t = analyze(inputs.composition, inputs.scores).tests.find(
    (x) => x.task === 'IgakuQA' && x.statistic === 'total_tokens',
  )!;
  assert.equal(t.regular.r!.toFixed(3), '0.915');
  assert.equal(t.regular.p!.toFixed(3), '0.011');
});

test('correlation matrices among statistics (Fig. F.1) and tasks (Fig. F.2) match the reference', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const { matrices, averages } = analyze(inputs.composition, inputs.scores);
  assert.deepEqual(matrices.statistics.labels, STATISTIC_IDS);
  for (const [i, row] of matrices.statistics.values.entries()) {
    for (const [j, v] of row.entries()) close(v, reference.statistics_matrix[i][j], `F.1[${i}][${j}]`);
  }
  assert.equal(matrices.tasks!.labels.length, 27);
  for (const [i, row] of matrices.tasks!.values.entries()) {
    for (const [j, v] of row.entries()) close(v, reference.tasks_matrix[i][j], `F.2[${i}][${j}]`);
  }
  for (const lang of ['Japanese', 'English']) {
    for (const c of reference.corpora)
      close(averages.language[lang][c], reference.language_averages[lang][c], `${lang} average ${c}`);
  }
  assert.equal(Object.keys(averages.category).length, 7);
  close(averages.category['English/MT']['EnJa-Base'], 0.003, 'English/MT');
});

test('collinear and rank-deficient designs are named, never NaN', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const run = (spec: string[]) =>
    analyze(inputs.composition, inputs.scores, {
      covariates: parseControls(spec),
      statistics: [spec[0].split('=')[0]] as never,
    });
  const total = run(['total_tokens=japanese_tokens,english_tokens,parallel_tokens']);
  assert.equal(total.tests.length, 27);
  for (const t of total.tests) {
    assert.equal(t.partial.r, null);
    assert.equal(t.q, null);
    assert.equal(
      english(t.error),
      'total_tokens is a linear function of its covariates japanese_tokens, english_tokens, parallel_tokens (e.g. total = Japanese + English + parallel): its partial correlation is undefined',
    );
    assert.ok(t.regular.r !== null, 'the regular correlation is still shown');
  }
  const explained = run(['japanese_tokens=total_tokens,english_tokens,parallel_tokens']);
  assert.equal(
    english(explained.tests[0].error),
    'japanese_tokens is a linear function of its covariates total_tokens, english_tokens, parallel_tokens (e.g. total = Japanese + English + parallel): its partial correlation is undefined',
  );
  // With EnJa-Balance's ratios summing to exactly 100 %, the three ratios are rank-deficient together.
  const exact = parseCompositionCsv(
    'c.csv',
    readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').replace('45.86,53.45,0.68', '45.86,53.46,0.68'),
  );
  const ratios = analyze(exact, inputs.scores, {
    covariates: parseControls(['total_tokens=japanese_ratio,english_ratio,parallel_ratio']),
    statistics: ['total_tokens'],
  });
  assert.equal(
    english(ratios.tests[0].error),
    'the covariates of total_tokens are collinear: japanese_ratio is a linear function of english_ratio, parallel_ratio (rank-deficient design)',
  );
  // As printed (EnJa-Balance sums to 99.99 %), the three ratios are collinear up to the table's rounding.
  const printed = analyze(inputs.composition, inputs.scores, {
    covariates: parseControls(['total_tokens=japanese_ratio,english_ratio,parallel_ratio']),
    statistics: ['total_tokens'],
  });
  assert.equal(
    english(printed.tests[0].error),
    `the covariates of total_tokens are collinear within the printed precision of ${inputs.composition.file}: japanese_ratio is a linear function of english_ratio, parallel_ratio up to the rounding of the table`,
  );
  const tooMany = run(['english_ratio=total_tokens,japanese_tokens,parallel_tokens,japanese_ratio']);
  assert.equal(
    english(tooMany.tests[0].error),
    'too few corpora: n = 6 with 4 covariates leaves n − 2 − k = 0 degrees of freedom',
  );
  const self = run(['english_ratio=english_ratio']);
  assert.equal(english(self.tests[0].error), 'english_ratio cannot be its own covariate');
  for (const r of [total, explained, ratios, tooMany, self]) assert.ok(!JSON.stringify(r).includes('NaN'));
});

test('a statistic its covariates determine within the printed precision is refused; near-collinear ones warn with their VIF', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  const r = analyze(inputs.composition, inputs.scores, {
    covariates: parseControls(['total_tokens=japanese_ratio,english_ratio']),
    statistics: ['parallel_ratio', 'total_tokens'],
  });
  assert.deepEqual(
    r.warnings,
    analyze(inputs.composition, inputs.scores).warnings,
    "only the table's own inconsistencies",
  );
  // parallel = 100 − Japanese − English holds only to ±0.015 (three cells ± 0.005): with two decimals
  // the partial correlation would be one of rounding noise.
  const near = analyze(inputs.composition, inputs.scores, {
    covariates: parseControls(['parallel_ratio=japanese_ratio,english_ratio']),
    statistics: ['parallel_ratio'],
  });
  for (const t of near.tests) {
    assert.equal(t.partial.r, null);
    assert.equal(
      english(t.error),
      `parallel_ratio is determined by its covariates japanese_ratio, english_ratio within the printed precision of ${inputs.composition.file} (each cell ± half its last digit): its partial correlation would measure the table's rounding`,
    );
  }
  // The same relation with exact (computed) values off by more than rounding: a test, with a warning.
  const exact = {
    file: 'computed',
    corpora: inputs.composition.corpora,
    values: {
      ...inputs.composition.values,
      parallel_ratio: inputs.composition.values.japanese_ratio.map(
        (ja, i) => 100 - ja - inputs.composition.values.english_ratio[i] + [0.01, -0.02, 0.015, 0, -0.01, 0.02][i],
      ),
    },
  };
  const warned = analyze(exact, inputs.scores, {
    covariates: parseControls(['parallel_ratio=japanese_ratio,english_ratio']),
    statistics: ['parallel_ratio'],
  });
  assert.equal(warned.tests.filter((t) => t.partial.r !== null).length, 27);
  assert.equal(warned.warnings.length, 1 + compositionWarnings(warned.warnings));
  assert.match(
    renderMessage(warned.warnings.at(-1)!),
    /^parallel_ratio is nearly collinear with its covariates japanese_ratio, english_ratio \(VIF = \d+\): its partial correlations are unstable$/,
  );
});

test('a printed cell stands for ± half a unit of its last digit', () => {
  assert.deepEqual(
    ['42.76', '15', '0.48', '-0.0000', '1.5e3', '2.50E-1', '+7.'].map(halfUnit),
    [0.005, 0.5, 0.005, 0.00005, 50, 0.0005, 0.5],
  );
  const paper = parseCompositionCsv('c.csv', readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8'));
  assert.deepEqual(paper.halfUnits!.total_tokens, [0.005, 0.005, 0.005, 0.005, 0.005, 0.005]);
});

/** How many of the warnings are about the composition table's consistency. */
function compositionWarnings(w: readonly AnalysisMessage[]) {
  return w.filter((x) => renderMessage(x).startsWith('computed: corpus')).length;
}

test('a composition whose total or ratios disagree with its counts beyond the printed precision warns, naming corpus and cell', () => {
  const header =
    'corpus,total_tokens_b,japanese_tokens_b,english_tokens_b,parallel_tokens_b,japanese_ratio_pct,english_ratio_pct,parallel_ratio_pct\n';
  const consistent = [
    'A,10.00,5.00,4.00,1.00,50.00,40.00,10.00',
    'B,20.0,10.0,5.0,5.0,50.0,25.0,25.0',
    'C,8,2,4,2,25,50,25',
  ];
  const scores = parseScoreCsv('s.csv', 'task,language,category,A,B,C,D\nT,Japanese,MCQA,0.1,0.3,0.2,0.5\n');
  const run = (rows: string[]) =>
    analyze(parseCompositionCsv('c.csv', header + rows.join('\n')), scores, {
      covariates: parseControls(STATISTIC_IDS.map((id) => `${id}=`)),
    }).warnings.map((w) => renderMessage(w));
  assert.deepEqual(run([...consistent, 'D,4.00,1.00,2.00,1.00,25.00,50.00,25.00']), []);
  // 10.0 − (5.0 + 4.0 + 0.9): 0.1 apart where four cells of ±0.05 allow 0.2 — consistent; 0.3 is not.
  assert.deepEqual(
    run([...consistent, 'D,10.0,5.0,4.0,0.9,50.0,40.0,9.0']).filter((w) => w.includes('total_tokens_b =')),
    [],
  );
  assert.deepEqual(run([...consistent, 'D,10.0,5.0,4.0,0.7,50.0,40.0,7.0']), [
    'c.csv: corpus "D", total_tokens_b = 10 differs from japanese + english + parallel = 9.7 by more than the printed precision allows (±0.2)',
  ]);
  assert.deepEqual(run([...consistent, 'D,4.00,1.00,2.00,1.00,25.00,52.00,25.00']), [
    'c.csv: corpus "D", english_ratio_pct = 52 does not match 100 × english_tokens_b / total_tokens_b = 50 within the printed precision (±0.1925)',
  ]);
});

test('bad --control specs name the culprit', () => {
  assert.throws(() => parseControls(['total_token=japanese_tokens']), {
    message:
      '--control "total_token=japanese_tokens": unknown statistic "total_token" (did you mean "total_tokens"?); known: total_tokens, japanese_tokens, english_tokens, parallel_tokens, japanese_ratio, english_ratio, parallel_ratio',
  });
  assert.throws(() => parseControls(['total_tokens']), {
    message: '--control "total_tokens": expected STAT=COV1,COV2',
  });
  assert.throws(() => parseControls(['total_tokens=', 'total_tokens=japanese_ratio']), {
    message: '--control: total_tokens is given twice',
  });
  assert.deepEqual(parseControls(['english_tokens=japanese_tokens, parallel_tokens', 'total_tokens=']), {
    english_tokens: ['japanese_tokens', 'parallel_tokens'],
    total_tokens: [],
  });
});

test('Freedman–Lane without covariates is the ordinary permutation test over all n! orderings', () => {
  const plain = (x: number[], y: number[], options = {}) => {
    const none = new Residualizer(x.length, []);
    return freedmanLanePValue(none.residuals(x), none.residuals(y), none.basis, options);
  };
  assert.deepEqual(plain([1, 2, 3], [1, 2, 3]), { p: 2 / 6, hits: 2, method: 'exact', permutations: 6 });
  // n = 4, r = 0.8 (Σxy = 29): |r| ≥ 0.8 needs Σxy ≥ 29 or ≤ 21: 1234, 2134, 1324, 1243 and their
  // reversals 4321, 3421, 4231, 4312 — 8 of 24, counted by hand.
  assert.deepEqual(plain([1, 2, 3, 4], [1, 2, 4, 3]), { p: 8 / 24, hits: 8, method: 'exact', permutations: 24 });
  assert.equal(plain([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7])!.permutations, 40320);
  // An equally spaced predictor: the mirror ordering ties exactly with the observed one even at r ≈ 0,
  // where a tolerance relative to the observed dot product misses it. Counted in integers:
  // x·y = 1, so |r| ≥ observed needs |Σ x̃ y_π| ≥ 1 with x̃ = 2x − 9, y a permutation of y.
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const y = [0.11, 0.93, 0.62, 0.29, 0.05, 0.84, 0.47, 0.38];
  const r = pearson(x, y)!;
  const integer = countIntegerTies(
    x.map((v) => 2 * v - 9),
    y.map((v) => Math.round(v * 100)),
  );
  const p = plain(x, y)!;
  assert.ok(Math.abs(r) < 0.001, String(r));
  assert.equal(p.hits, integer);
  assert.equal(plain(x, [...y].reverse())!.hits, integer, 'the mirror image has the same count');
  assert.equal(freedmanLanePValue([0, 0, 0], [-1, 0, 1], []), undefined, 'no residual variance: no test');
});

/** The ordinary permutation count of |Σ x y_π| ≥ |Σ x y| in exact integer arithmetic. */
function countIntegerTies(x: number[], y: number[]): number {
  const obs = Math.abs(x.reduce((a, v, i) => a + v * y[i], 0));
  let hits = 0;
  const go = (rest: number[], acc: number[]) => {
    if (rest.length === 0) {
      if (Math.abs(x.reduce((a, v, i) => a + v * acc[i], 0)) >= obs) hits++;
      return;
    }
    rest.forEach((v, i) => {
      go([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, v]);
    });
  };
  go(y, []);
  return hits;
}

test('above 8 corpora a seeded Monte Carlo: reproducible, bounded, capped', () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const y = [1, 3, 2, 5, 4, 7, 6, 9, 8];
  const none = new Residualizer(9, []);
  const mc = freedmanLanePValue(none.residuals(x), none.residuals(y), none.basis, { samples: 2000, stream: 7 })!;
  assert.equal(mc.method, 'monte-carlo');
  assert.equal(mc.permutations, 2000);
  assert.equal(mc.stream, 7);
  assert.equal(mc.p, (mc.hits + 1) / 2001);
  assert.deepEqual(
    freedmanLanePValue(none.residuals(x), none.residuals(y), none.basis, { samples: 2000, stream: 7 }),
    mc,
    'same stream, same p',
  );
  // r = 0.95 with n = 9: the exact p is a handful of 9! orderings; a Monte Carlo p is (hits + 1)/(B + 1).
  assert.ok(mc.p > 0 && mc.p < 0.01, String(mc.p));
  assert.throws(() => freedmanLanePValue(none.residuals(x), none.residuals(y), none.basis, { samples: 1e12 }), {
    message: 'permutation samples must be an integer from 1 to 1000000, got 1000000000000',
  });
});

test("t-test p-values are the regularized incomplete beta: SciPy's t at odd and even df, within [0, 1]", () => {
  // scipy.stats.t.sf(|t|, df) * 2 with t = r √(df / (1 − r²)), SciPy 1.17.
  close(correlationPValue(0.9148433959232759, 4), 0.01056870800130138, 'df 4');
  close(correlationPValue(0.5, 1), 0.6666666666666666, 'df 1');
  close(correlationPValue(0.3, 3), 0.623837664781073, 'df 3');
  close(correlationPValue(0.2, 5), 0.6672191256583335, 'df 5');
  const tiny = correlationPValue(0.999, 7);
  assert.ok(Math.abs(tiny - 1.0401949467151322e-10) < 1e-22, `df 7, p ≈ 1e-10 to its last digits: ${tiny}`);
  for (const df of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) assert.equal(correlationPValue(0, df), 1, `r = 0, df ${df}`);
  assert.throws(() => correlationPValue(0.5, 0), RangeError);
  assert.equal(correlationPValue(1, 4), 0);
  assert.equal(correlationPValue(-1, 3), 0);
});

test("BH q-values and Holm adjusted p-values agree with R's p.adjust", () => {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02; "holm" = 0.03 0.06 0.06 0.02
  assert.deepEqual(
    benjaminiHochberg([0.01, 0.04, 0.03, 0.005]).map((v) => +v.toFixed(12)),
    [0.02, 0.04, 0.04, 0.02],
  );
  assert.deepEqual(
    holm([0.01, 0.04, 0.03, 0.005]).map((v) => +v.toFixed(12)),
    [0.03, 0.06, 0.06, 0.02],
  );
  assert.deepEqual(holm([0.5, 0.6]), [1, 1]);
});

test('constant columns are judged on their own scale: no r from rounding noise, null in the matrices', () => {
  // The mean of six 0.7s is 0.7000000000000001: the deviations are rounding, not variance.
  assert.equal(pearson([0.7, 0.7, 0.7, 0.7, 0.7, 0.7], [1, 2, 3, 4, 5, 7]), undefined);
  assert.equal(pearson(new Array(10).fill(0.48), [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]), undefined);
  assert.equal(pearson([1, 2, 3], [5, 5, 5]), undefined);
  const composition = parseCompositionCsv('c.csv', readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8'));
  const scores = parseScoreCsv(
    's.csv',
    `task,language,category,${composition.corpora.join(',')}\nFlat,Japanese,MCQA,0.7,0.7,0.7,0.7,0.7,0.7\nSloped,Japanese,MCQA,0.1,0.2,0.3,0.4,0.5,0.7\n`,
  );
  const r = analyze(composition, scores);
  for (const t of r.tests.filter((x) => x.task === 'Flat')) {
    assert.deepEqual([t.regular.r, t.regular.p, t.partial.r, t.q], [null, null, null, null]);
    assert.equal(english(t.error), 'the score differences of "Flat" do not vary across corpora');
  }
  assert.deepEqual(r.matrices.tasks!.values, [
    [null, null],
    [null, 1],
  ]);
  // parallel_tokens_b is 0.48 for five of the six corpora, not all: it varies.
  assert.notEqual(r.matrices.statistics.values[3][3], null);
});

test('the task × task matrix is built only when asked for; samples and seed are checked whatever n is', async () => {
  const inputs = await readStudyDirectory(PAPER_STUDY);
  assert.equal(analyze(inputs.composition, inputs.scores, { taskMatrix: false }).matrices.tasks, null);
  assert.throws(() => analyze(inputs.composition, inputs.scores, { permutationSamples: 1e12 }), {
    message: 'permutation samples must be an integer from 1 to 1000000, got 1000000000000',
  });
  assert.throws(() => analyze(inputs.composition, inputs.scores, { seed: -1 }), {
    message: 'the seed must be an integer from 0 to 4294967295, got -1',
  });
});

test('malformed score and composition tables are errors naming file, row and column', () => {
  const scores = (body: string) => () => parseScoreCsv('s.csv', body);
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,x,0.3\n'), {
    message: 's.csv:2:5: "B" must be a number, got "x"',
  });
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,0.2,0.3\nT1,Japanese,MCQA,0.1,0.2,0.3\n'), {
    message: 's.csv:3:1: duplicate task "T1" (first on row 2)',
  });
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,,0.3\n'), {
    message: 's.csv:2:5: missing value for "B"',
  });
  assert.throws(scores('task,language,category,A,B,C\nT1,Japanese,MCQA,0.1,0.2\n'), {
    message: 's.csv:2: row has 5 cells, the header has 6',
  });
  assert.throws(scores('task,lang,category,A\n'), { message: 's.csv:1:2: column 2 must be "language", got "lang"' });
  assert.throws(scores('task,language,category,A,A\nT,J,M,1,2\n'), {
    message: 's.csv:1:5: duplicate corpus column "A"',
  });
  assert.throws(scores('task,language,category,A,B\n"T,J,M,1,2\n'), (e: Error) =>
    e.message.startsWith('s.csv:2: not valid CSV:'),
  );
  const composition = parseCompositionCsv('c.csv', readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8'));
  assert.throws(() => parseCompositionCsv('c.csv', 'corpus,total_tokens_b\nA,1\n'), {
    message: 'c.csv:1: missing column "japanese_tokens_b"',
  });
  const bad = readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').replace('42.76,32.76', '42.76,n/a');
  assert.throws(() => parseCompositionCsv('c.csv', bad), {
    message: 'c.csv:3:3: "japanese_tokens_b" must be a number, got "n/a"',
  });
  const dup = readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').replace('JaDominant', 'EnJa-Base');
  assert.throws(() => parseCompositionCsv('c.csv', dup), { message: 'c.csv:3:1: duplicate corpus "EnJa-Base"' });

  const missing = parseScoreCsv(
    's.csv',
    'task,language,category,EnJa-Base,JaDominant,EnDominant,EnJa-Plus,EnJa-Balance\nT,Japanese,MCQA,1,2,3,4,5\n',
  );
  assert.throws(() => analyze(composition, missing), {
    message: 's.csv:1: missing corpus column "EnJa-Hybrid" (listed in c.csv)',
  });
  const unknown = parseScoreCsv('s.csv', 'task,language,category,EnJa-Base,Mystery\nT,Japanese,MCQA,1,2\n');
  assert.throws(() => analyze(composition, unknown), {
    message: 's.csv:1:5: corpus "Mystery" is not in the composition table c.csv',
  });
  const two = parseCompositionCsv(
    'c2.csv',
    'corpus,total_tokens_b,japanese_tokens_b,english_tokens_b,parallel_tokens_b,japanese_ratio_pct,english_ratio_pct,parallel_ratio_pct\nA,1,1,0,0,100,0,0\nB,2,1,1,0,50,50,0\n',
  );
  assert.throws(() => analyze(two, parseScoreCsv('s.csv', 'task,language,category,A,B\nT,Japanese,MCQA,1,2\n')), {
    message: 's.csv:1: needs at least 3 corpora to correlate, found 2',
  });
});

test('score differences are after − before, with a shared or per-corpus before', () => {
  const before = parseScoreCsv('b.csv', 'task,language,category,base\nT1,Japanese,MCQA,0.40\nT2,English,MT,0.20\n');
  const after = parseScoreCsv(
    'a.csv',
    'task,language,category,A,B\nT1,Japanese,MCQA,0.45,0.50\nT2,English,MT,0.25,0.10\n',
  );
  const d = differencesFromResults(before, after);
  assert.deepEqual(
    d.tasks.map((t) => t.values.map((v) => +v.toFixed(12))),
    [
      [0.05, 0.1],
      [0.05, -0.1],
    ],
  );
  const perCorpus = parseScoreCsv(
    'b.csv',
    'task,language,category,B,A\nT1,Japanese,MCQA,0.3,0.4\nT2,English,MT,0.2,0.1\n',
  );
  assert.deepEqual(
    differencesFromResults(perCorpus, after).tasks.map((t) => t.values.map((v) => +v.toFixed(12))),
    [
      [0.05, 0.2],
      [0.15, -0.1],
    ],
  );
  const lacking = parseScoreCsv('b.csv', 'task,language,category,base\nT1,Japanese,MCQA,0.40\n');
  assert.throws(() => differencesFromResults(lacking, after), {
    message: 'b.csv:1: no "before" score for task "T2" (row 3 of a.csv)',
  });
});
