import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { panelView } from '../../src/core/analysis/schemas';
import { parseTableOneCsv } from '../../src/core/analysis/tables';
import {
  averagesTable,
  barTooltip,
  correlationBars,
  exportStem,
  panelTable,
  partialUnavailable,
  scoreDifferenceTable,
  shownMode,
  stars,
  testsTable,
} from '../../src/core/analysis/views';
import { type DataTable, toCsv, toLatex } from '../../src/core/report/dataTable';
import { decodePngDataUrl, safeFileStem, writeExport } from '../../src/core/report/exportFile';
import { loadStudy } from '../../src/core/study/loadStudy';
import { toStudyPayload } from '../../src/protocol/studyPayload';
import { FIXTURES, PAPER_STUDY, tempDir } from './helpers';

type RefCi = { low: number; high: number } | null;
const reference = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis', 'paper-reference.json'), 'utf8')) as {
  language_averages: Record<string, Record<string, number>>;
  default: {
    task: string;
    statistic: string;
    regular: { ci: RefCi };
    partial: { pCorrected: number | null; ci: RefCi };
  }[];
};
const view = panelView.parse({});

test('score table: Tables E.1–E.6 side by side, grouped, IgakuQA row exact, best corpus marked', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const table = scoreDifferenceTable(study.tasks, study.corpora);
  assert.deepEqual(
    table.columns.map((c) => c.key),
    ['task', 'EnJa-Base', 'JaDominant', 'EnDominant', 'EnJa-Plus', 'EnJa-Balance', 'EnJa-Hybrid'],
  );
  assert.equal(table.rows.length, 27);
  const i = table.rows.findIndex((r) => r[0] === 'IgakuQA');
  assert.deepEqual(table.rows[i], ['IgakuQA', 0.05, 0.0663, 0.0588, 0.0731, 0.0847, 0.0756]);
  assert.deepEqual(table.marks?.[i], [5], 'EnJa-Balance is best on IgakuQA');
  assert.deepEqual(
    table.groups?.map((g) => g.label),
    [
      'Japanese / STS',
      'Japanese / NER',
      'Japanese / MT',
      'Japanese / MCQA',
      'Japanese / DC',
      'English / MT',
      'English / MCQA',
    ],
  );
  assert.deepEqual(
    table.groups?.map((g) => g.row),
    [0, 1, 9, 10, 17, 20, 21],
  );
});

test('score table sorts within groups by a corpus, and flat without groups', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const sorted = scoreDifferenceTable(study.tasks, study.corpora, {
    sortKey: 'EnJa-Hybrid',
    descending: true,
    grouped: false,
  });
  const col = sorted.columns.findIndex((c) => c.key === 'EnJa-Hybrid');
  const values = sorted.rows.map((r) => r[col] as number);
  assert.deepEqual(
    values,
    [...values].sort((a, b) => b - a),
  );
  assert.equal(sorted.rows[0][0], 'IgakuQA-En');
  assert.equal(sorted.groups, undefined);
  const grouped = scoreDifferenceTable(study.tasks, study.corpora, { sortKey: 'task', descending: false });
  assert.deepEqual(
    grouped.rows.slice(1, 9).map((r) => r[0]),
    [...grouped.rows.slice(1, 9).map((r) => r[0] as string)].sort((a, b) => a.localeCompare(b)),
  );
});

test('averages agree with the reference language averages to 1e-9 (EnJa-Balance: Japanese 0.04302)', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const table = averagesTable(study.result);
  for (const [lang, byCorpus] of Object.entries(reference.language_averages)) {
    const row = table.rows.find((r) => r[0] === lang)!;
    study.corpora.forEach((c, j) => {
      assert.ok(Math.abs((row[1 + j] as number) - byCorpus[c]) < 1e-9, `${lang} ${c}`);
    });
  }
  const ja = table.rows.find((r) => r[0] === 'Japanese')!;
  assert.ok(Math.abs((ja[5] as number) - 0.04302) < 1e-12);
  assert.equal(table.rows.length, 2 + 7);
});

test('Table 1 is read from average-scores.csv with the best per column marked', async () => {
  const model = await loadStudy(PAPER_STUDY);
  assert.deepEqual(
    model.tableOne?.find((r) => r.corpus === 'EnJa-Balance'),
    { corpus: 'EnJa-Balance', japanese: 0.475, english: 0.473 },
  );
  const table = panelTable(toStudyPayload(model), 'tableOne', view);
  const best = table.rows.flatMap((r, i) => (table.marks?.[i] ?? []).map((j) => `${r[0]}:${table.columns[j].key}`));
  assert.deepEqual(best, ['EnJa-Balance:japanese', 'EnJa-Balance:english']);
  assert.throws(
    () => parseTableOneCsv('t.csv', 'corpus,japanese_tasks_avg,english_tasks_avg\nA,0.4,x\n'),
    /t\.csv:2:3: "english_tasks_avg" must be a number, got "x"/,
  );
});

test('bars: regular IgakuQA ~ total tokens is 0.915 (p = 0.011, one star); sorted by r', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const { bars, undefinedTasks } = correlationBars(study.result, 'total_tokens', 'regular');
  const igaku = bars.find((b) => b.task === 'IgakuQA')!;
  assert.equal(igaku.r.toFixed(3), '0.915');
  assert.equal(igaku.label, 'IgakuQA (0.011) *');
  assert.equal(bars.length, 27);
  assert.deepEqual(undefinedTasks, []);
  assert.deepEqual(
    bars.map((b) => b.r),
    [...bars.map((b) => b.r)].sort((a, b) => b - a),
  );
  assert.deepEqual([stars(0.0009), stars(0.009), stars(0.049), stars(0.05), stars(null)], ['***', '**', '*', '', '']);
});

test('tests table: partial columns and covariates; regular has r, its 95 % interval and p', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const partial = testsTable(study.result, 'japanese_ratio', 'partial');
  assert.deepEqual(
    partial.columns.map((c) => c.key),
    [
      'task',
      'language',
      'category',
      'covariates',
      'r',
      'ciLow',
      'ciHigh',
      'p',
      'pCorrected',
      'pPermutation',
      'q',
      'holm',
      'note',
    ],
  );
  assert.equal(partial.rows.length, 27);
  assert.equal(partial.rows[0][3], 'total_tokens + parallel_ratio');
  const all = testsTable(study.result, 'all', 'regular');
  assert.equal(all.rows.length, 27 * 7);
  assert.deepEqual(
    all.columns.map((c) => c.key),
    ['task', 'language', 'category', 'statistic', 'r', 'ciLow', 'ciHigh', 'p', 'note'],
  );
  assert.equal(exportStem('tests', { ...view, statistic: 'japanese_ratio' }), 'tests-japanese_ratio-partial');
});

/** The paper study with its first three corpora only: n − 2 − k = −1 for every partial test (k = 2). */
function threeCorpora(): string {
  const dir = tempDir('corpus-lab-three-');
  const keep = (file: string, columns: number) =>
    writeFileSync(
      path.join(dir, file),
      `${readFileSync(path.join(PAPER_STUDY, file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, columns).join(','))
        .join('\n')}\n`,
    );
  const composition = `${readFileSync(path.join(PAPER_STUDY, 'composition.csv'), 'utf8').trim().split('\n').slice(0, 4).join('\n')}\n`;
  writeFileSync(path.join(dir, 'composition.csv'), composition);
  keep('score-differences.csv', 6);
  writeFileSync(
    path.join(dir, 'study.yaml'),
    'name: three\nscores: score-differences.csv\ncomposition: composition.csv\n',
  );
  return dir;
}

test('three corpora: the panel shows regular, says once why partial is unavailable, and regular keeps its numbers (issue 15 item 9)', async () => {
  const study = toStudyPayload(await loadStudy(threeCorpora()));
  assert.deepEqual(study.corpora, ['EnJa-Base', 'JaDominant', 'EnDominant']);
  const why = 'too few corpora: n = 3 with 2 covariates leaves n − 2 − k = -1 degrees of freedom';
  for (const id of ['total_tokens', 'japanese_ratio'] as const) {
    assert.equal(partialUnavailable(study.result, id), why, id);
    assert.equal(shownMode(study.result, id, 'partial'), 'regular', id);
    assert.equal(shownMode(study.result, id, 'regular'), 'regular', id);
  }
  // Asked for partial anyway: the 27 tasks are named under their one cause, not 27 times.
  const partial = correlationBars(study.result, 'total_tokens', 'partial');
  assert.equal(partial.bars.length, 0);
  assert.equal(partial.undefinedTasks.length, 1);
  assert.equal(partial.undefinedTasks[0].reason, why);
  assert.equal(partial.undefinedTasks[0].tasks.length, 27);
  const regular = correlationBars(study.result, 'total_tokens', 'regular');
  assert.equal(regular.bars.length, 27);
  assert.deepEqual(regular.undefinedTasks, []);
  // n − 3 = 0: no interval for r, and the note says so rather than repeating the partial test's error.
  const table = testsTable(study.result, 'total_tokens', 'regular');
  const igaku = table.rows.find((r) => r[0] === 'IgakuQA')!;
  assert.equal(
    igaku[3],
    study.result.tests.find((t) => t.task === 'IgakuQA' && t.statistic === 'total_tokens')!.regular.r,
  );
  assert.deepEqual(igaku.slice(4), [
    null,
    null,
    igaku[6],
    'no 95 % confidence interval: Fisher z needs n − 3 − k > 0, here 3 − 3 − 0 = 0',
  ]);
  assert.equal(typeof igaku[6], 'number');
  // With a statistic whose partial tests have numbers, partial stays.
  const paper = toStudyPayload(await loadStudy(PAPER_STUDY));
  assert.equal(partialUnavailable(paper.result, 'total_tokens'), null);
  assert.equal(shownMode(paper.result, 'total_tokens', 'partial'), 'partial');
});

test("stars by the corrected p by default (df = n − 2 − k); the paper's df = n − 2 stays a choice (issue 15 item 15)", async () => {
  assert.equal(panelView.parse({}).pKind, 'corrected');
  assert.equal(panelView.parse({ pKind: 'paper' }).pKind, 'paper');
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const ref = reference.default.find((t) => t.task === 'IgakuQA' && t.statistic === 'total_tokens')!;
  const byDefault = correlationBars(study.result, 'total_tokens', 'partial').bars.find((b) => b.task === 'IgakuQA')!;
  assert.ok(Math.abs(byDefault.p! - ref.partial.pCorrected!) <= 1e-9);
  assert.equal(byDefault.label, 'IgakuQA (0.029) *');
  const papers = correlationBars(study.result, 'total_tokens', 'partial', 'paper').bars.find(
    (b) => b.task === 'IgakuQA',
  )!;
  assert.equal(papers.label, 'IgakuQA (0.001) **');
});

test('r and partial r carry their 95 % Fisher-z interval in the table, the tooltip and the exports (issue 15 item 15)', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const ref = reference.default.find((t) => t.task === 'IgakuQA' && t.statistic === 'total_tokens')!;
  const near = (a: unknown, b: number, what: string) =>
    assert.ok(typeof a === 'number' && Math.abs(a - b) <= 1e-9, `${what}: ${a} vs ${b}`);
  const regular = testsTable(study.result, 'total_tokens', 'regular').rows.find((r) => r[0] === 'IgakuQA')!;
  near(regular[3], 0.9148433959232759, 'r');
  near(regular[4], ref.regular.ci!.low, 'regular low');
  near(regular[5], ref.regular.ci!.high, 'regular high');
  assert.equal(regular.at(-1), null);
  const partial = testsTable(study.result, 'total_tokens', 'partial').rows.find((r) => r[0] === 'IgakuQA')!;
  near(partial[5], ref.partial.ci!.low, 'partial low');
  near(partial[6], ref.partial.ci!.high, 'partial high');
  // The interval of the partial r is wider: k = 2 covariates leave n − 3 − k = 1 degree of freedom to z.
  assert.equal(ref.partial.ci!.low.toFixed(4), '0.1406');
  const bars = (mode: 'regular' | 'partial') =>
    correlationBars(study.result, 'total_tokens', mode).bars.find((b) => b.task === 'IgakuQA')!;
  assert.equal(barTooltip(bars('regular')), 'r = 0.9148, 95 % CI [0.4010, 0.9908], p = 0.01057');
  assert.equal(barTooltip(bars('partial')), 'r = 0.9705, 95 % CI [0.1406, 0.9994], p = 0.02946');
  assert.equal(barTooltip({ ...bars('partial'), ci: null }), 'r = 0.9705, 95 % CI undefined, p = 0.02946');
  const csv = toCsv(panelTable(study, 'tests', { ...view, statistic: 'total_tokens', mode: 'regular' })).split('\r\n');
  assert.equal(csv[0], 'Task,Language,Category,r,95 % CI low,95 % CI high,p (df = n − 2),Note');
  assert.equal(
    csv.find((l) => l.startsWith('IgakuQA,')),
    `IgakuQA,Japanese,${regular[2]},${regular[3]},${regular[4]},${regular[5]},${regular[6]},`,
  );
  const latex = toLatex(panelTable(study, 'tests', { ...view, statistic: 'total_tokens', mode: 'partial' }));
  assert.match(latex, /95 \\% CI low & 95 \\% CI high/);
});

const small: DataTable = {
  title: 'A & B_1 50%',
  columns: [
    { key: 't', label: 'Task' },
    { key: 'a', label: 'x_1', digits: 3 },
    { key: 'b', label: 'y', digits: 3 },
  ],
  rows: [
    ['Q, "quoted"', 0.12345, -1],
    ['R#2', null, 2.5],
  ],
  groups: [{ row: 0, label: 'Ja & En' }],
  marks: [[1], [2]],
};

test('CSV: RFC 4180 quoting, full precision, empty for missing', () => {
  assert.equal(toCsv(small), 'Task,x_1,y\r\n"Q, ""quoted""",0.12345,-1\r\nR#2,,2.5\r\n');
});

test('LaTeX: booktabs, escaped specials, panel precision, true minus signs, marks in bold, groups spanning, caption and label', () => {
  assert.equal(
    toLatex(small),
    [
      '% Corpus Lab export; needs \\usepackage{booktabs}',
      '\\begin{table}[t]',
      '\\centering',
      '\\caption{A \\& B\\_1 50\\%}',
      '\\label{tab:a-b-1-50}',
      '\\begin{tabular}{lrr}',
      '\\toprule',
      'Task & x\\_1 & y \\\\',
      '\\midrule',
      '\\multicolumn{3}{l}{\\textit{Ja \\& En}} \\\\',
      'Q, "quoted" & \\textbf{0.123} & $-$1.000 \\\\',
      'R\\#2 &  & \\textbf{2.500} \\\\',
      '\\bottomrule',
      '\\end{tabular}',
      '\\end{table}',
      '',
    ].join('\n'),
  );
});

test('every table the panels export as LaTeX compiles with pdflatex (the paper study: scores, averages, all tests)', async () => {
  const which = spawnSync('sh', ['-c', 'command -v pdflatex'], { encoding: 'utf8' });
  assert.equal(
    which.status,
    0,
    "pdflatex is missing: install Debian's texlive-latex-base and texlive-latex-recommended (npm test does)",
  );
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const tables = [
    scoreDifferenceTable(study.tasks, study.corpora),
    averagesTable(study.result),
    testsTable(study.result, 'all', 'partial'),
    testsTable(study.result, 'japanese_ratio', 'partial'),
  ];
  const dir = tempDir();
  const body = tables.map((t) => toLatex(t)).join('\n');
  assert.doesNotMatch(body, /\u2212/, 'no Unicode minus reaches LaTeX');
  writeFileSync(
    path.join(dir, 'paper.tex'),
    `\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n${body}\n\\end{document}\n`,
  );
  const r = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'paper.tex'], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(
    r.status,
    0,
    r.stdout
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .join('\n') || r.stdout.slice(-2000),
  );
  assert.ok(readFileSync(path.join(dir, 'paper.pdf')).subarray(0, 5).equals(Buffer.from('%PDF-')));
  assert.match(readFileSync(path.join(dir, 'paper.log'), 'utf8'), /Output written on paper\.pdf \(\d+ pages?/);
});

test('exports never overwrite and never leave temporary files', async () => {
  const dir = tempDir();
  const a = await writeExport(dir, 'scores', 'csv', 'one');
  const b = await writeExport(dir, 'scores', 'csv', 'two');
  const c = await writeExport(dir, '../../etc/passwd', 'csv', 'three');
  assert.deepEqual(
    [a, b, c].map((f) => path.basename(f)),
    ['scores.csv', 'scores-2.csv', 'etc-passwd.csv'],
  );
  assert.equal(readFileSync(a, 'utf8'), 'one');
  assert.equal(readFileSync(b, 'utf8'), 'two');
  assert.deepEqual(readdirSync(dir).sort(), ['etc-passwd.csv', 'scores-2.csv', 'scores.csv']);
  assert.equal(safeFileStem('表 1: 日本語'), '表-1-日本語');
  writeFileSync(path.join(dir, 'x.png'), '');
  assert.equal(path.basename(await writeExport(dir, 'x', 'png', new Uint8Array([1]))), 'x-2.png');
  // The same export again is the file already there, not a copy.
  assert.equal(await writeExport(dir, 'scores', 'csv', 'two'), b);
  assert.equal(path.basename(await writeExport(dir, 'x', 'png', new Uint8Array([1]))), 'x-2.png');
  assert.deepEqual(readdirSync(dir).sort(), ['etc-passwd.csv', 'scores-2.csv', 'scores.csv', 'x-2.png', 'x.png']);
});

test('PNG data URLs are checked for the PNG signature', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  assert.deepEqual([...decodePngDataUrl(`data:image/png;base64,${png.toString('base64')}`)], [...png]);
  assert.throws(
    () => decodePngDataUrl(`data:image/png;base64,${Buffer.from('GIF89a..').toString('base64')}`),
    /bad signature/,
  );
  assert.throws(() => decodePngDataUrl('data:text/html;base64,PGI+'), /not a base64 PNG/);
});
