import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chartSeries, type Run, runPoints } from '../../src/core/logs/runComparison';
import { PRINT_PIXEL_RATIO } from '../../src/core/report/figure';
import { checkSvg } from '../../src/core/report/svgCheck';
import { recipeColours } from '../../src/protocol/colours';
import { type FigurePage, openFigurePage, svgTexts as texts } from './figureHarness';

/**
 * Compare Runs' figure export as its page runs it — the shared figure path of the analysis panels
 * (webview/lib/export.ts on Chart.js and svgcanvas) with the runs' line configuration — in a real
 * browser (Debian's Chromium, as the end-to-end tests use), on two runs' Megatron logs.
 */
// The page's setup: Compare Runs' line configuration on the shared export.
const SETUP = `
import { Chart, LinearScale, LineController, LineElement, LogarithmicScale, PointElement } from 'chart.js';
import { runsConfig } from './webview/lib/charts';
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale);
const configOf = (f, s) => runsConfig(f.curves, s, f.text, true, f.y);
`;

let figures: FigurePage;

before(async () => {
  figures = await openFigurePage(SETUP);
});

after(async () => {
  await figures?.close();
});

const megatron = (it: number, loss: number) =>
  ` [2026-11-27 02:00:00] iteration ${String(it).padStart(8)}/      12 | consumed samples: ${String(it * 1024).padStart(12)} | elapsed time per iteration (ms): 1234.5 | throughput per GPU (TFLOP/s/GPU): 181.5 | learning rate: 1.000000E-04 | global batch size:  1024 | lm loss: ${loss.toExponential(6).toUpperCase()} | loss scale: 1.0 | grad norm: 0.500 | number of skipped iterations:   0 | number of nan iterations:   0 |`;

function run(recipe: string, start: number): Run {
  return {
    id: `e2e-compare-cpt-${recipe}`,
    study: 'e2e-compare',
    recipe,
    kind: 'cpt',
    seqLength: 4096,
    points: runPoints(
      'cpt',
      Array.from({ length: 12 }, (_, i) => megatron(i + 1, start - i / 4)),
    ),
  };
}

/** The lm-loss chart on the tokens axis, as the page builds its figure. */
function lossFigure() {
  const runs = [run('Tiny-A', 10), run('Tiny-B', 9)];
  const colours = recipeColours(runs.map((r) => r.recipe));
  const curves = chartSeries(runs, 'lmLoss', 'tokens', 0.6).map((s, i) => ({
    label: s.label,
    colour: colours.get(runs[i].recipe)!,
    dash: [],
    points: s.points,
  }));
  const text = { title: 'Compare Runs: lm loss', subtitle: [], x: 'consumed tokens', y: 'lm loss' };
  return { width: 700, height: 360, text, curves, y: { log: false, exponent: false }, colours };
}

test('an SVG of a compared metric: standalone, titled, on the light background, both axes and both runs named', async () => {
  const figure = lossFigure();
  const svg = await figures.render(figure, 'svg');
  assert.equal(checkSvg(svg), svg);
  assert.ok(
    svg.includes('<title>Compare Runs: lm loss</title><rect x="0" y="0" width="700" height="360" fill="#ffffff"/>'),
    svg.slice(0, 400),
  );
  const shown = texts(svg);
  for (const expected of ['Compare Runs: lm loss', 'consumed tokens', 'lm loss', 'Tiny-A', 'Tiny-B'])
    assert.ok(shown.includes(expected), `no <text> "${expected}" among ${JSON.stringify(shown)}`);
  // Dark text on the light page, and one stroked line per run in its recipe's colour.
  assert.match(svg, /<text [^>]*fill="#1a1a1a"[^>]*>consumed tokens<\/text>/);
  for (const colour of figure.colours.values())
    assert.ok(new RegExp(`<path [^>]*stroke="${colour}"`, 'i').test(svg), `no curve in ${colour}`);
  // Clip paths numbered in order (svgcanvas draws random names), every reference to one that exists.
  const ids = [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(ids.length > 0);
  assert.deepEqual(
    ids,
    ids.map((_, i) => `figure-${i + 1}`),
  );
  for (const [, ref] of svg.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref), `url(#${ref}) names no element`);
  // The same view exported again is the same file, byte for byte: the export reuses it instead of writing a -2 copy.
  assert.equal(await figures.render(figure, 'svg'), svg);
});

test("a PNG of a compared metric is drawn at print resolution on the light background; the theme's on request", async () => {
  const figure = lossFigure();
  const png = await figures.render(figure, 'png');
  assert.equal(png.url, 'data:image/png;base64,');
  assert.equal(png.width, 700 * PRINT_PIXEL_RATIO);
  assert.equal(png.height, 360 * PRINT_PIXEL_RATIO);
  assert.deepEqual(png.corner, [255, 255, 255, 255]);
  const dark = { background: '#1e1e1e', foreground: '#cccccc', grid: '#444444', font: 'sans-serif' };
  assert.deepEqual((await figures.render(figure, 'png', dark)).corner, [30, 30, 30, 255]);
  assert.ok((await figures.render(figure, 'svg', dark)).includes('fill="#1e1e1e"/>'));
});
