import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { correlationBars } from '../../src/core/analysis/views';
import { figureSize, figureText, PRINT_PIXEL_RATIO } from '../../src/core/report/figure';
import { checkSvg } from '../../src/core/report/svgCheck';
import { loadStudy } from '../../src/core/study/loadStudy';
import { type FigurePage, openFigurePage, svgTexts as texts } from './figureHarness';
import { PAPER_STUDY } from './helpers';

/**
 * The figure export as the panels run it — Chart.js drawing on svgcanvas and on a canvas — in a
 * real browser (Debian's Chromium, as the end-to-end tests use), on the paper study's numbers.
 */
// The page's setup: the panels' bar and heatmap configurations on the shared export.
const SETUP = `
import { barsConfig, heatmapConfig } from './webview/lib/charts';
import { categoryColour } from './src/protocol/colours';
const kinds = {
  bars: (f, style) => barsConfig(f.rows, categoryColour, style, f.text, true, () => ''),
  heatmap: (f, style) => heatmapConfig(f.matrix, (l) => f.names[l] ?? l, style, f.text, true, 'Pearson r'),
};
const configOf = (f, s) => kinds[f.kind](f, s);
`;

let figures: FigurePage;

before(async () => {
  figures = await openFigurePage(SETUP);
});

after(async () => {
  await figures?.close();
});

const NAMES: Record<string, string> = {
  total_tokens: 'Total token count',
  japanese_tokens: 'Japanese token count',
  english_tokens: 'English token count',
  parallel_tokens: 'Parallel token count',
  japanese_ratio: 'Japanese token ratio',
  english_ratio: 'English token ratio',
  parallel_ratio: 'Parallel token ratio',
};
const view = { statistic: 'japanese_ratio', mode: 'partial', pKind: 'corrected' } as const;

async function barsFigure() {
  const model = await loadStudy(PAPER_STUDY);
  const { bars } = correlationBars(model.result, 'japanese_ratio', 'partial', 'corrected');
  const text = figureText('bars', view, { statistic: (id) => NAMES[id] }, ['total_tokens', 'parallel_ratio']);
  return {
    kind: 'bars',
    ...figureSize('bars', bars.length),
    text,
    rows: bars.map((b) => ({ label: b.label, category: b.category, r: b.r })),
    bars,
  };
}

test('an SVG of the bars is a well-formed standalone SVG: title, light background, axis labels, every task', async () => {
  const figure = await barsFigure();
  const svg = await figures.render(figure, 'svg');
  assert.equal(checkSvg(svg), svg);
  assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?>\n<svg /);
  assert.match(svg, new RegExp(`viewBox="0 0 ${figure.width} ${figure.height}"`));
  assert.ok(
    svg.includes(
      `<title>Japanese token ratio: partial r by task</title><rect x="0" y="0" width="${figure.width}" height="${figure.height}" fill="#ffffff"/>`,
    ),
    svg.slice(0, 400),
  );
  const shown = texts(svg);
  for (const expected of [
    'Japanese token ratio: partial r by task',
    'Controlled for: Total token count, Parallel token ratio',
    'Stars: p (df = n − 2 − k); * p &lt; 0.05, ** p &lt; 0.01, *** p &lt; 0.001',
    'partial r',
    'Task (p)',
    // The r axis, minus signs as U+2212.
    '−1.0',
    '−0.4',
    '0',
    '0.6',
    '1.0',
    ...figure.bars.map((b) => b.label),
  ])
    assert.ok(shown.includes(expected), `no <text> "${expected}" among ${JSON.stringify(shown.slice(0, 12))}…`);
  // Text is dark on the light page: the figure's foreground, not the theme's.
  assert.match(svg, /<text [^>]*fill="#1a1a1a"[^>]*>Task \(p\)<\/text>/);
});

test('a PNG of the bars is drawn at print resolution on the light background', async () => {
  const figure = await barsFigure();
  const png = await figures.render(figure, 'png');
  assert.equal(png.url, 'data:image/png;base64,');
  assert.equal(png.width, figure.width * PRINT_PIXEL_RATIO);
  assert.equal(png.height, figure.height * PRINT_PIXEL_RATIO);
  assert.deepEqual(png.corner, [255, 255, 255, 255]);
});

test('a heatmap of the statistics is labelled by their names and carries its colour legend', async () => {
  const model = await loadStudy(PAPER_STUDY);
  const matrix = model.result.matrices.statistics;
  const figure = {
    kind: 'heatmap',
    ...figureSize('statisticsHeatmap', matrix.labels.length),
    text: figureText('statisticsHeatmap', view, { statistic: (id) => NAMES[id] }, []),
    matrix,
    names: NAMES,
  };
  const svg = await figures.render(figure, 'svg');
  checkSvg(svg);
  const shown = texts(svg);
  for (const name of Object.values(NAMES)) assert.ok(shown.includes(name), `no label "${name}"`);
  assert.deepEqual(
    shown.filter((s) => Object.keys(NAMES).includes(s)),
    [],
    'ids instead of names',
  );
  // The legend: its name and its five ticks, −1 to 1.
  for (const tick of ['Pearson r', '1.0', '0.5', '0', '−0.5', '−1.0'])
    assert.ok(shown.includes(tick), `legend lacks "${tick}"`);
  assert.ok(svg.includes('<title>Correlations among the compositional statistics</title>'));
});
