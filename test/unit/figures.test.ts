import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STATISTIC_NAMES, type StatisticId } from '../../src/core/analysis/statistics';
import { testsTable } from '../../src/core/analysis/views';
import type { DataTable } from '../../src/core/report/dataTable';
import {
  type FigureId,
  figureSize,
  figureStem,
  figureText,
  PUBLICATION_STYLE,
  pValueRule,
} from '../../src/core/report/figure';
import { compareCells, descendingFirst, sortTable } from '../../src/core/report/sort';
import { withStatisticNames } from '../../src/core/report/statisticNames';
import { standaloneSvg } from '../../src/core/report/svg';
import { checkSvg } from '../../src/core/report/svgCheck';

const names = { statistic: (id: string) => STATISTIC_NAMES[id as StatisticId] ?? id };
const partial = { statistic: 'japanese_ratio', mode: 'partial', pKind: 'corrected' } as const;

test('a bars figure names the statistic, the mode, the covariates and the p-value rule of its stars', () => {
  assert.deepEqual(figureText('bars', partial, names, ['total_tokens', 'parallel_ratio']), {
    title: 'Japanese token ratio: partial r by task',
    subtitle: [
      'Controlled for: Total token count, Parallel token ratio',
      'Stars: p (df = n − 2 − k); * p < 0.05, ** p < 0.01, *** p < 0.001',
    ],
    x: 'partial r',
    y: 'Task (p)',
  });
  assert.deepEqual(figureText('bars', { ...partial, mode: 'regular' }, names, ['total_tokens']), {
    title: 'Japanese token ratio: Pearson r by task',
    subtitle: ['Stars: p (df = n − 2); * p < 0.05, ** p < 0.01, *** p < 0.001'],
    x: 'Pearson r',
    y: 'Task (p)',
  });
  assert.deepEqual(figureText('bars', { ...partial, pKind: 'permutation' }, names, []).subtitle, [
    'Controlled for: none',
    'Stars: p (permutation, Freedman–Lane); * p < 0.05, ** p < 0.01, *** p < 0.001',
  ]);
});

test('the p-value rule: the paper’s df = n − 2 for regular r whatever was chosen for partial', () => {
  assert.equal(pValueRule('regular', 'corrected'), 'p (df = n − 2)');
  assert.equal(pValueRule('regular', 'permutation'), 'p (df = n − 2)');
  assert.equal(pValueRule('partial', 'paper'), 'p (df = n − 2)');
  assert.equal(pValueRule('partial', 'corrected'), 'p (df = n − 2 − k)');
  assert.equal(pValueRule('partial', 'permutation'), 'p (permutation, Freedman–Lane)');
});

test('figure texts go through the translation, placeholders filled after it', () => {
  const ja: Record<string, string> = {
    '{0}: {1} by task': '{0}: タスク別の {1}',
    'partial r': '偏相関係数 r',
    'Japanese token ratio': '日本語トークン比率',
  };
  const translate = (key: string, ...args: (string | number)[]) =>
    (ja[key] ?? key).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)]));
  const text = figureText(
    'bars',
    partial,
    { statistic: (id) => translate(STATISTIC_NAMES[id as StatisticId]) },
    [],
    translate,
  );
  assert.equal(text.title, '日本語トークン比率: タスク別の 偏相関係数 r');
  assert.equal(text.x, '偏相関係数 r');
});

test('heatmap and averages figures: titled, the heatmaps without axis titles (their labels are the names)', () => {
  assert.deepEqual(figureText('statisticsHeatmap', partial, names, []), {
    title: 'Correlations among the compositional statistics',
    subtitle: ['Pearson r of the statistics across corpora'],
    x: '',
    y: '',
  });
  assert.equal(
    figureText('tasksHeatmap', partial, names, []).subtitle[0],
    'Pearson r of the score differences across corpora',
  );
  assert.deepEqual(figureText('averages', partial, names, []), {
    title: 'Average score differences by language',
    subtitle: [],
    x: 'Corpus',
    y: 'Score difference (after − before)',
  });
});

test('figure file names say the view: statistic, mode and, for partial r, the p-value rule', () => {
  assert.equal(figureStem('bars', partial), 'bars-japanese_ratio-partial-p-corrected');
  assert.equal(figureStem('bars', { ...partial, pKind: 'paper' }), 'bars-japanese_ratio-partial-p-paper');
  assert.equal(
    figureStem('bars', { ...partial, mode: 'regular', pKind: 'permutation' }),
    'bars-japanese_ratio-regular',
  );
  const others: [FigureId, string][] = [
    ['statisticsHeatmap', 'heatmap-statistics'],
    ['tasksHeatmap', 'heatmap-tasks'],
    ['averages', 'averages'],
  ];
  for (const [id, stem] of others) assert.equal(figureStem(id, partial), stem);
});

test('figure sizes: two-column width, the bars growing with the tasks', () => {
  assert.deepEqual(figureSize('bars', 27), { width: 700, height: 626 });
  assert.deepEqual(figureSize('bars', 2), { width: 700, height: 260 });
  assert.deepEqual(figureSize('tasksHeatmap', 27), { width: 760, height: 760 });
});

test('a serialized SVG becomes standalone: declaration, title, viewBox and the light background first', () => {
  const svg = standaloneSvg(
    '<svg xmlns="http://www.w3.org/2000/svg" width="700" height="300"><g><text>r &lt; 0</text></g></svg>',
    {
      title: 'Japanese token ratio: partial r <by> task & "more"',
      background: PUBLICATION_STYLE.background,
      width: 700,
      height: 300,
    },
  );
  assert.equal(
    svg,
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' +
      '<svg xmlns="http://www.w3.org/2000/svg" width="700" height="300" viewBox="0 0 700 300">' +
      '<title>Japanese token ratio: partial r &lt;by&gt; task &amp; &quot;more&quot;</title>' +
      '<rect x="0" y="0" width="700" height="300" fill="#ffffff"/>' +
      '<g><text>r &lt; 0</text></g></svg>\n',
  );
  assert.equal(checkSvg(svg), svg);
  // An empty drawing and one without its namespace (as some serializers write it).
  assert.equal(
    standaloneSvg('<svg width="10" height="10"/>', { title: 't', background: '#fff', width: 10, height: 10 }),
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<svg width="10" height="10" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>t</title><rect x="0" y="0" width="10" height="10" fill="#fff"/></svg>\n',
  );
  assert.throws(
    () => standaloneSvg('<html></html>', { title: 't', background: '#fff', width: 1, height: 1 }),
    /not an SVG document/,
  );
});

test('the extension refuses an SVG that is not well-formed, not SVG, or could run or fetch anything', () => {
  const ns = 'xmlns="http://www.w3.org/2000/svg"';
  const cases: [string, RegExp][] = [
    [`<svg ${ns}><g></svg>`, /^Error: SVG line 1, column 50: Unexpected close tag$/],
    [`<svg ${ns}>\n<text>a & b</text></svg>`, /^Error: SVG line 2, column 11: Invalid character in entity name$/],
    [`<svg ${ns}><rect/>`, /^Error: SVG line 1, column 48: Unclosed root tag$/],
    ['<svg><rect/></svg>', /the root element is <svg>, not an SVG <svg>/],
    [`<html ${ns}/>`, /the root element is <html>, not an SVG <svg>/],
    [`<svg ${ns}><script>alert(1)</script></svg>`, /<script> is not allowed in an exported figure/],
    [`<svg ${ns}><foreignObject/></svg>`, /<foreignObject> is not allowed/],
    [`<svg ${ns} onload="alert(1)"/>`, /the event handler onload is not allowed/],
    [
      `<svg ${ns} xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://example.org/x.png"/></svg>`,
      /a reference outside the figure \(https:\/\/example\.org\/x\.png\) is not allowed/,
    ],
    [`<!DOCTYPE svg [<!ENTITY x "y">]><svg ${ns}/>`, /a DOCTYPE is not allowed/],
    ['', /the SVG has no root element/],
  ];
  for (const [svg, error] of cases) assert.throws(() => checkSvg(svg), error, svg);
  assert.doesNotThrow(() => checkSvg(`<svg ${ns}><defs><pattern id="p"/></defs><rect fill="url(#p)"/></svg>`));
});

test('the sort comparator: numbers by value, text in reading order with digits as numbers, empty cells last', () => {
  assert.ok(compareCells(0.2, 0.1, false) > 0);
  assert.ok(compareCells(0.2, 0.1, true) < 0);
  assert.ok(compareCells(-0.5, 0.1, false) < 0);
  assert.ok(compareCells('Task 2', 'Task 10', false) < 0, 'numeric collation');
  assert.ok(compareCells('igakuqa', 'IgakuQA-En', false) < 0);
  assert.equal(compareCells('MCQA', 'mcqa', false), 0, 'case does not order');
  for (const descending of [false, true]) {
    assert.ok(compareCells(null, 0.5, descending) > 0, 'null last');
    assert.ok(compareCells(0.5, null, descending) < 0);
    assert.ok(compareCells('', 'a', descending) > 0, 'empty text last');
    assert.equal(compareCells(null, '', descending), 0);
  }
  assert.ok(compareCells(1, 'a', false) < 0, 'numbers before text in a mixed column');
});

const TABLE: DataTable = {
  title: 't',
  columns: [
    { key: 'task', label: 'Task' },
    { key: 'category', label: 'Category' },
    { key: 'r', label: 'r', digits: 4 },
  ],
  rows: [
    ['B', 'NER', 0.3],
    ['A', 'MCQA', null],
    ['C', 'MCQA', -0.7],
    ['D', 'NER', 0.3],
    ['E', 'MCQA', 0.9],
  ],
  marks: [[2], [], [], [2], []],
  groups: [{ row: 0, label: 'g' }],
};

test('sorting a table: stable, nulls last both ways, marks move with their rows, groups dropped', () => {
  const byR = sortTable(TABLE, 'r', true);
  assert.deepEqual(
    byR.rows.map((r) => r[0]),
    ['E', 'B', 'D', 'C', 'A'],
  );
  assert.deepEqual(byR.marks, [[], [2], [2], [], []]);
  assert.equal(byR.groups, undefined);
  assert.deepEqual(
    sortTable(TABLE, 'r', false).rows.map((r) => r[0]),
    ['C', 'B', 'D', 'E', 'A'],
  );
  // Ties keep the computed order: the MCQA tasks stay A, C, E.
  assert.deepEqual(
    sortTable(TABLE, 'category', false).rows.map((r) => r[0]),
    ['A', 'C', 'E', 'B', 'D'],
  );
  assert.deepEqual(
    sortTable(TABLE, 'category', true).rows.map((r) => r[0]),
    ['B', 'D', 'A', 'C', 'E'],
  );
  assert.equal(sortTable(TABLE, undefined, true), TABLE);
  assert.equal(sortTable(TABLE, 'no such column', true), TABLE);
  assert.equal(descendingFirst(TABLE, 'r'), true);
  assert.equal(descendingFirst(TABLE, 'task'), false);
});

test('the tests table names statistics and covariates, as the panel shows and exports them', () => {
  const aTest = (statistic: StatisticId, covariates: StatisticId[]) => ({
    task: 'IgakuQA',
    language: 'Japanese',
    category: 'MCQA',
    statistic,
    covariates,
    n: 6,
    regular: { r: 0.5, p: 0.3, ci: null },
    partial: { r: 0.4, p: 0.4, pCorrected: 0.5, pPermutation: 0.6, ci: null },
    q: 0.7,
    holm: 0.8,
    family: statistic,
    permutation: null,
  });
  const result = { tests: [aTest('japanese_ratio', ['total_tokens', 'parallel_ratio']), aTest('total_tokens', [])] };
  const table = withStatisticNames(testsTable(result, 'all', 'partial'), (id) => names.statistic(id));
  assert.deepEqual(
    table.rows.map((r) => r.slice(3, 5)),
    [
      ['Japanese token ratio', 'Total token count, Parallel token ratio'],
      ['Total token count', '—'],
    ],
  );
  const regular = testsTable(result, 'total_tokens', 'regular');
  assert.equal(withStatisticNames(regular, names.statistic), regular, 'nothing to name');
});
