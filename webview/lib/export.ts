import { BasicPlatform, Chart, type ChartConfiguration } from 'chart.js';
import { Context } from 'svgcanvas';
import { type FigureStyle, type FigureText, PRINT_PIXEL_RATIO, standaloneSvg } from '../../src/protocol/views';

/**
 * Figures for a paper, drawn apart from the panel's own charts: at a fixed print size, in the
 * chosen style (light by default), with a title and axis labels. PNG at PRINT_PIXEL_RATIO device
 * pixels per CSS pixel; SVG by replaying Chart.js's drawing on svgcanvas, a canvas 2D context that
 * writes SVG elements, so text stays text and bars stay shapes.
 */
export interface Figure {
  readonly width: number;
  readonly height: number;
  readonly text: FigureText;
  readonly config: (style: FigureStyle) => ChartConfiguration;
}

/** The configuration for drawing once, off screen: no resizing, no animation, no events. */
function offscreen(config: ChartConfiguration, pixelRatio: number): ChartConfiguration {
  return {
    ...config,
    platform: BasicPlatform,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: pixelRatio, events: [] },
  };
}

export function figurePng(figure: Figure, style: FigureStyle): string {
  const canvas = document.createElement('canvas');
  canvas.width = figure.width;
  canvas.height = figure.height;
  const chart = new Chart(canvas, offscreen(figure.config(style), PRINT_PIXEL_RATIO));
  try {
    return chart.toBase64Image('image/png', 1);
  } finally {
    chart.destroy();
  }
}

/**
 * svgcanvas (2.6.0) names every clip path and gradient with a random string: numbered in order
 * instead, the same view exported twice is the same file, and the export reuses it rather than
 * writing a `-2` copy.
 */
function numberedIds(svg: string): string {
  const names = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!names.has(m[1])) names.set(m[1], `figure-${names.size + 1}`);
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (all, before: string, id: string) => {
    const name = names.get(id);
    return name === undefined ? all : `${before}${name}`;
  });
}

export function figureSvg(figure: Figure, style: FigureStyle): string {
  const ctx = new Context({ width: figure.width, height: figure.height });
  // Chart.js asks its canvas for a 2D context; svgcanvas's context is its own canvas (ctx.canvas === ctx).
  const canvas = Object.assign(ctx, { getContext: () => ctx }) as unknown as HTMLCanvasElement;
  const chart = new Chart(canvas, offscreen(figure.config(style), 1));
  try {
    return standaloneSvg(numberedIds(ctx.getSerializedSvg(true)), {
      title: figure.text.title,
      background: style.background,
      width: figure.width,
      height: figure.height,
    });
  } finally {
    chart.destroy();
  }
}
