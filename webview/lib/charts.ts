import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  type Plugin,
  SubTitle,
  Title,
  Tooltip,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { CorrelationMatrix, FigureStyle, FigureText } from '../../src/protocol/views';

// Only what the panels draw, so the bundle stays small.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
  Title,
  SubTitle,
  MatrixController,
  MatrixElement,
);
Chart.defaults.animation = false;

export function themeColour(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** The panel's own look: VS Code's theme, so the charts read like the editor around them. */
export function themeStyle(): FigureStyle {
  return {
    background: themeColour('--vscode-editor-background', '#ffffff'),
    foreground: themeColour('--vscode-foreground', '#444'),
    grid: themeColour('--vscode-panel-border', 'rgba(128,128,128,0.3)'),
    font: themeColour('--vscode-font-family', 'sans-serif'),
  };
}

/** Sets Chart.js's global colours to the theme (the training chart draws with them). */
export function applyTheme() {
  const style = themeStyle();
  Chart.defaults.color = style.foreground;
  Chart.defaults.borderColor = style.grid;
  Chart.defaults.font.family = style.font;
}

/** Categorical colours that read on light and dark themes (the training chart's series). */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** The theme's editor background under a panel chart, read when it draws. */
export const backgroundPlugin: Plugin = {
  id: 'corpusLabThemeBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = themeColour('--vscode-editor-background', '#ffffff');
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

export function pngOf(chart: Chart): string {
  return chart.toBase64Image('image/png', 1);
}

/** Canvases stacked top to bottom into one PNG, the way they stand on the page; undefined without a 2D context. */
export function stackedPng(parts: readonly HTMLCanvasElement[]): string | undefined {
  const out = document.createElement('canvas');
  out.width = Math.max(...parts.map((c) => c.width));
  out.height = parts.reduce((sum, c) => sum + c.height, 0);
  const ctx = out.getContext('2d');
  if (!ctx) return undefined;
  let y = 0;
  for (const c of parts) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  return out.toDataURL('image/png');
}

/**
 * Paints the background under the chart, first, with an ordinary fill: an SVG context has no
 * compositing, so drawing it last "behind" the chart would cover the chart instead.
 */
function fillBackground(colour: string): Plugin {
  return {
    id: 'corpusLabBackground',
    beforeDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.fillStyle = colour;
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };
}

/** A correlation tick: one decimal, the minus sign U+2212, zero as 0. */
function signed(v: number): string {
  return v === 0 ? '0' : v.toFixed(1).replace('-', '\u2212');
}

/** Diverging red/blue for correlations in [-1, 1]. */
export function divergingColour(v: number | null): string {
  if (v === null) return 'rgba(128,128,128,0.25)';
  const a = Math.min(1, Math.abs(v));
  return v >= 0
    ? `rgba(214, 39, 40, ${(0.1 + 0.85 * a).toFixed(3)})`
    : `rgba(31, 119, 180, ${(0.1 + 0.85 * a).toFixed(3)})`;
}

const LEGEND_STEPS = 40;
const LEGEND_WIDTH = 14;
/** Room right of a heatmap for its colour legend: the bar, its tick labels and its name. */
const LEGEND_ROOM = 70;

/** The heatmaps' colour scale drawn beside the matrix, so a figure says which colour is which r. */
function colourLegendPlugin(style: FigureStyle, name: string): Plugin {
  return {
    id: 'corpusLabColourLegend',
    afterDraw(chart) {
      const { ctx, chartArea } = chart;
      if (!chartArea) return;
      const x = chartArea.right + 18;
      const top = chartArea.top;
      const height = Math.min(chartArea.height, 260);
      const step = height / LEGEND_STEPS;
      ctx.save();
      for (let i = 0; i < LEGEND_STEPS; i++) {
        // Top is +1, bottom −1: the colour at each step's centre.
        ctx.fillStyle = divergingColour(1 - (2 * (i + 0.5)) / LEGEND_STEPS);
        ctx.fillRect(x, top + i * step, LEGEND_WIDTH, step + 0.5);
      }
      ctx.strokeStyle = style.grid;
      ctx.strokeRect(x, top, LEGEND_WIDTH, height);
      ctx.fillStyle = style.foreground;
      ctx.font = `11px ${style.font}`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      for (const v of [1, 0.5, 0, -0.5, -1])
        ctx.fillText(signed(v), x + LEGEND_WIDTH + 4, top + ((1 - v) / 2) * height);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(name, x + LEGEND_WIDTH / 2, top - 4);
      ctx.restore();
    },
  };
}

/** Title and subtitle of an exported figure; on screen the page's headings say it. */
function titles(style: FigureStyle, text: FigureText | undefined) {
  return {
    title: {
      display: text !== undefined,
      text: text?.title ?? '',
      color: style.foreground,
      font: { family: style.font, size: 15, weight: 'bold' as const },
      padding: { top: 4, bottom: 2 },
    },
    subtitle: {
      display: text !== undefined && text.subtitle.length > 0,
      text: [...(text?.subtitle ?? [])],
      color: style.foreground,
      font: { family: style.font, size: 11 },
      padding: { top: 0, bottom: 8 },
    },
  };
}

/** A scale in the figure's colours, with its title when it has one (scale colours do not inherit the chart's). */
function axis(style: FigureStyle, title: string, extra: Record<string, unknown> = {}) {
  const { ticks, ...rest } = extra as { ticks?: Record<string, unknown> };
  return {
    ...rest,
    title: { display: title !== '', text: title, color: style.foreground, font: { family: style.font, size: 12 } },
    ticks: { color: style.foreground, font: { family: style.font }, ...ticks },
    grid: { color: style.grid, ...(rest as { grid?: object }).grid },
    border: { color: style.grid },
  };
}

function legend(style: FigureStyle, display = true) {
  return { display, position: 'bottom' as const, labels: { color: style.foreground, font: { family: style.font } } };
}

export interface BarRow {
  readonly label: string;
  readonly category: string;
  readonly r: number;
}

/** Figs 3–6: task-wise horizontal bars of r, one colour per category. */
export function barsConfig(
  bars: readonly BarRow[],
  colours: (category: string) => string,
  style: FigureStyle,
  text: FigureText,
  exported: boolean,
  tooltip: (index: number) => string,
): ChartConfiguration {
  const categories = [...new Set(bars.map((b) => b.category))];
  return {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      // One dataset per category, so the legend names the colours; skipNull keeps one bar per row.
      datasets: categories.map((cat) => ({
        label: cat,
        data: bars.map((b) => (b.category === cat ? b.r : null)),
        backgroundColor: colours(cat),
        grouped: true,
        skipNull: true,
      })),
    },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      scales: {
        // Ticks with a true minus sign, as the paper typesets them.
        x: axis(style, text.x, { min: -1, max: 1, ticks: { callback: (v: number | string) => signed(Number(v)) } }),
        y: axis(style, text.y, { ticks: { autoSkip: false } }),
      },
      plugins: {
        ...titles(style, exported ? text : undefined),
        legend: legend(style),
        tooltip: { callbacks: { label: (c) => tooltip(c.dataIndex) } },
      },
    },
    plugins: [fillBackground(style.background)],
  };
}

/** The language averages of the score differences per corpus. */
export function averagesConfig(
  corpora: readonly string[],
  series: readonly { readonly label: string; readonly values: readonly number[]; readonly colour: string }[],
  style: FigureStyle,
  text: FigureText,
  exported: boolean,
): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: [...corpora],
      datasets: series.map((s) => ({ label: s.label, data: [...s.values], backgroundColor: s.colour })),
    },
    options: {
      maintainAspectRatio: false,
      scales: { x: axis(style, text.x), y: axis(style, text.y) },
      plugins: { ...titles(style, exported ? text : undefined), legend: legend(style) },
    },
    plugins: [fillBackground(style.background)],
  };
}

export interface RunCurve {
  readonly label: string;
  readonly colour: string;
  readonly dash: readonly number[];
  readonly points: { x: number; y: number }[];
}

/**
 * Compare Runs: one metric of several runs against one x-axis, a line per run. The panel draws it
 * in the theme and exports it as a figure (titled, axes named) through the same configuration.
 */
export function runsConfig(
  curves: readonly RunCurve[],
  style: FigureStyle,
  text: FigureText,
  exported: boolean,
  y: { readonly log: boolean; readonly exponent: boolean },
): ChartConfiguration {
  return {
    type: 'line',
    data: {
      datasets: curves.map((c) => ({
        label: c.label,
        data: c.points,
        borderColor: c.colour,
        backgroundColor: c.colour,
        borderDash: [...c.dash],
        pointRadius: 0,
        borderWidth: 1.5,
        parsing: false as const,
      })),
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: axis(style, text.x, { type: 'linear' }),
        y: axis(style, text.y, {
          type: y.log ? 'logarithmic' : 'linear',
          // Learning rates are 1e-6…1e-3: two significant digits in exponent form read better than 0.00009.
          ...(y.exponent ? { ticks: { callback: (v: unknown) => Number(v).toExponential(1) } } : {}),
        }),
      },
      plugins: { ...titles(style, exported ? text : undefined), legend: legend(style) },
    },
    plugins: [fillBackground(style.background)],
  } as ChartConfiguration;
}

interface Cell {
  x: string;
  y: string;
  v: number | null;
}

/** Figs F.1/F.2: a correlation matrix as a heatmap, labelled by `name`, with its colour legend. */
export function heatmapConfig(
  matrix: CorrelationMatrix,
  name: (label: string) => string,
  style: FigureStyle,
  text: FigureText,
  exported: boolean,
  legendName: string,
): ChartConfiguration {
  const labels = matrix.labels.map(name);
  const n = labels.length;
  const data: Cell[] = [];
  for (const [i, row] of matrix.values.entries()) {
    for (const [j, v] of row.entries()) data.push({ x: labels[j], y: labels[i], v });
  }
  return {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: text.title,
          data,
          backgroundColor: (c: { raw?: Cell }) => divergingColour(c.raw?.v ?? null),
          borderWidth: 0,
          width: (c: { chart: Chart }) => (c.chart.chartArea ? c.chart.chartArea.width / n - 1 : 10),
          height: (c: { chart: Chart }) => (c.chart.chartArea ? c.chart.chartArea.height / n - 1 : 10),
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      // Above the matrix, room for the legend's name.
      layout: { padding: { right: LEGEND_ROOM, top: 16 } },
      plugins: {
        ...titles(style, exported ? text : undefined),
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: () => '',
            label: (c: { raw: Cell }) => `${c.raw.y} × ${c.raw.x}: r = ${c.raw.v === null ? '–' : c.raw.v.toFixed(3)}`,
          },
        },
      },
      scales: {
        x: axis(style, text.x, {
          type: 'category',
          labels: [...labels],
          offset: true,
          grid: { display: false },
          ticks: { autoSkip: false, maxRotation: 90, minRotation: 60 },
        }),
        y: axis(style, text.y, {
          type: 'category',
          labels: [...labels].reverse(),
          offset: true,
          grid: { display: false },
          ticks: { autoSkip: false },
        }),
      },
    },
    plugins: [fillBackground(style.background), colourLegendPlugin(style, legendName)],
  } as unknown as ChartConfiguration;
}
