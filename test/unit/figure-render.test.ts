import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { correlationBars } from '../../src/core/analysis/views';
import { figureSize, figureText, PRINT_PIXEL_RATIO, PUBLICATION_STYLE } from '../../src/core/report/figure';
import { checkSvg } from '../../src/core/report/svgCheck';
import { loadStudy } from '../../src/core/study/loadStudy';
import { PAPER_STUDY, ROOT } from './helpers';

/**
 * The figure export as the panels run it — Chart.js drawing on svgcanvas and on a canvas — in a
 * real browser (Debian's Chromium, as the end-to-end tests use), on the paper study's numbers.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The page's entry: the webview's own export and chart modules, bundled as the panels bundle them.
const ENTRY = `
import { figurePng, figureSvg } from './webview/lib/export';
import { barsConfig, heatmapConfig } from './webview/lib/charts';
import { categoryColour } from './src/protocol/colours';
const kinds = {
  bars: (f, style) => barsConfig(f.rows, categoryColour, style, f.text, true, () => ''),
  heatmap: (f, style) => heatmapConfig(f.matrix, (l) => f.names[l] ?? l, style, f.text, true, 'Pearson r'),
};
window.exportFigure = async (f, format, style) => {
  const figure = { width: f.width, height: f.height, text: f.text, config: (s) => kinds[f.kind](f, s) };
  if (format === 'svg') return figureSvg(figure, style);
  const url = figurePng(figure, style);
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { url: url.slice(0, 22), width: c.width, height: c.height, corner: [...ctx.getImageData(1, 1, 1, 1).data] };
};
`;

let browser: Browser;
let page: Page;

before(async () => {
  const bundle = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
});

after(async () => {
  await browser?.close();
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

type Exported = { url: string; width: number; height: number; corner: number[] };

/** Runs the page's export of a figure; an SVG's text, or what the PNG decoded to. */
async function render(figure: object, format: 'svg'): Promise<string>;
async function render(figure: object, format: 'png'): Promise<Exported>;
async function render(figure: object, format: 'svg' | 'png'): Promise<string | Exported> {
  return page.evaluate(
    ([f, fmt, s]) =>
      (window as never as { exportFigure: (...a: unknown[]) => Promise<string | Exported> }).exportFigure(f, fmt, s),
    [figure, format, PUBLICATION_STYLE] as const,
  );
}

function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

test('an SVG of the bars is a well-formed standalone SVG: title, light background, axis labels, every task', async () => {
  const figure = await barsFigure();
  const svg = await render(figure, 'svg');
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
  const png = await render(figure, 'png');
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
  const svg = await render(figure, 'svg');
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
