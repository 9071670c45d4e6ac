import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  type Plugin,
  Tooltip,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { CorrelationMatrix } from '../../src/protocol/views';

// Only what the panels draw, so the bundle stays small.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend, MatrixController, MatrixElement);
Chart.defaults.animation = false;

export function themeColour(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export function applyTheme() {
  Chart.defaults.color = themeColour('--vscode-foreground', '#444');
  Chart.defaults.borderColor = themeColour('--vscode-panel-border', 'rgba(128,128,128,0.3)');
  Chart.defaults.font.family = themeColour('--vscode-font-family', 'sans-serif');
}

/** Paints the editor background under the chart, so an exported PNG reads like the panel. */
export const backgroundPlugin: Plugin = {
  id: 'corpusLabBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = themeColour('--vscode-editor-background', '#ffffff');
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** Categorical colours that read on light and dark themes. */
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

/** Diverging red/blue for correlations in [-1, 1]. */
export function divergingColour(v: number | null): string {
  if (v === null) return 'rgba(128,128,128,0.25)';
  const a = Math.min(1, Math.abs(v));
  return v >= 0
    ? `rgba(214, 39, 40, ${(0.1 + 0.85 * a).toFixed(3)})`
    : `rgba(31, 119, 180, ${(0.1 + 0.85 * a).toFixed(3)})`;
}

interface Cell {
  x: string;
  y: string;
  v: number | null;
}

/** Figs F.1/F.2: a correlation matrix as a heatmap. */
export function heatmap(canvas: HTMLCanvasElement, matrix: CorrelationMatrix, title: string): Chart {
  const n = matrix.labels.length;
  const data: Cell[] = [];
  for (const [i, row] of matrix.values.entries()) {
    for (const [j, v] of row.entries()) data.push({ x: matrix.labels[j], y: matrix.labels[i], v });
  }
  const config = {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: title,
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
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: () => '',
            label: (c: { raw: Cell }) => `${c.raw.y} × ${c.raw.x}: r = ${c.raw.v === null ? '–' : c.raw.v.toFixed(3)}`,
          },
        },
      },
      scales: {
        x: {
          type: 'category',
          labels: [...matrix.labels],
          offset: true,
          grid: { display: false },
          ticks: { autoSkip: false, maxRotation: 90, minRotation: 60 },
        },
        y: {
          type: 'category',
          labels: [...matrix.labels].reverse(),
          offset: true,
          grid: { display: false },
          ticks: { autoSkip: false },
        },
      },
    },
    plugins: [backgroundPlugin],
  } as unknown as ChartConfiguration;
  return new Chart(canvas, config);
}

export function pngOf(chart: Chart): string {
  return chart.toBase64Image('image/png', 1);
}
