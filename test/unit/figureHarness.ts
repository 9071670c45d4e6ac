import * as esbuild from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PUBLICATION_STYLE } from '../../src/core/report/figure';
import { ROOT } from './helpers';

/**
 * The panels' figure export (webview/lib/export.ts on Chart.js and svgcanvas) as a page runs it, in
 * a real browser: Debian's Chromium, as the end-to-end tests use.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type ExportedPng = { url: string; width: number; height: number; corner: number[] };

export interface FigurePage {
  /** An SVG's text, or what the PNG decoded to: its size and the colour of a corner pixel. */
  render(figure: object, format: 'svg', style?: object): Promise<string>;
  render(figure: object, format: 'png', style?: object): Promise<ExportedPng>;
  close(): Promise<void>;
}

/**
 * Bundles `setup` (the page's imports and a `configOf(figure, style)` building the Chart.js
 * configuration) with the shared export into a page of its own.
 */
export async function openFigurePage(setup: string): Promise<FigurePage> {
  const entry = `
import { figurePng, figureSvg } from './webview/lib/export';
${setup}
window.exportFigure = async (f, format, style) => {
  const figure = { width: f.width, height: f.height, text: f.text, config: (s) => configOf(f, s) };
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
  const bundle = await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  });
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page: Page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  return {
    render: ((figure: object, format: 'svg' | 'png', style: object = PUBLICATION_STYLE) =>
      page.evaluate(
        ([f, fmt, s]) =>
          (window as never as { exportFigure: (...a: unknown[]) => Promise<string | ExportedPng> }).exportFigure(
            f,
            fmt,
            s,
          ),
        [figure, format, style] as const,
      )) as FigurePage['render'],
    close: () => browser.close(),
  };
}

/** The texts of an SVG's <text> elements, in order. */
export const svgTexts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
