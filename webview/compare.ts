import { Chart, LinearScale, LineController, LineElement, LogarithmicScale, PointElement } from 'chart.js';
import { recipeColours } from '../src/protocol/colours';
import { type CompareToPage, type CompareView, compareProtocol, compareView } from '../src/protocol/compare';
import { chartSeries, formatSlurmDuration, MAX_SMOOTHING, type Metric, type XAxis } from '../src/protocol/views';
import { applyTheme, backgroundPlugin, stackedPng } from './lib/charts';
import { h, type Strings, t } from './lib/dom';
import { listen, loadState, poster, saveState } from './lib/host';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale);

/**
 * Runs side by side: lm loss, learning rate, grad norm and throughput, each on its own chart with
 * every run's curve on one x-axis (iteration, consumed samples or tokens), smoothed by the same EMA
 * as the training chart; a colour per recipe (a dash per run where a recipe repeats); the summaries below.
 */
type Runs = Extract<CompareToPage, { type: 'runs' }>;

const post = poster(compareProtocol);
const root = document.getElementById('root')!;
let view: CompareView = loadState(compareView);
let strings: Strings = {};
let shown: Runs | undefined;
let charts: Chart[] = [];

const CHARTS: readonly { metric: Metric; title: string; id: string }[] = [
  { metric: 'lmLoss', title: 'lm loss', id: 'compare-loss' },
  { metric: 'learningRate', title: 'learning rate', id: 'compare-lr' },
  { metric: 'gradNorm', title: 'grad norm', id: 'compare-grad-norm' },
  { metric: 'tflopsPerGpu', title: 'throughput per GPU (TFLOP/s)', id: 'compare-throughput' },
];
const AXIS_TITLES: Record<XAxis, string> = {
  iteration: 'iteration',
  samples: 'consumed samples',
  tokens: 'consumed tokens',
};
/** Runs of one recipe told apart by their dash, in the order they came. */
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

function chart(canvas: HTMLCanvasElement, runs: Runs['runs'], metric: Metric, title: string): Chart {
  const colours = recipeColours(runs.map((r) => r.recipe));
  const log = metric === 'lmLoss' && view.logLoss;
  const series = chartSeries(runs, metric, view.axis, view.smoothing, log);
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: series.map((s, i) => {
        const colour = colours.get(runs[i].recipe) ?? '#999999';
        const repeat = runs.slice(0, i).filter((r) => r.recipe === runs[i].recipe).length;
        return {
          label: s.label,
          data: s.points,
          borderColor: colour,
          backgroundColor: colour,
          borderDash: DASHES[repeat % DASHES.length],
          pointRadius: 0,
          borderWidth: 1.5,
          parsing: false as const,
        };
      }),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: t(strings, AXIS_TITLES[view.axis]) } },
        y: {
          type: log ? 'logarithmic' : 'linear',
          title: { display: true, text: t(strings, title) },
          ...(metric === 'learningRate' ? { ticks: { callback: (v: unknown) => Number(v).toExponential(1) } } : {}),
        },
      },
      plugins: { legend: { position: 'bottom' } },
    },
    plugins: [backgroundPlugin],
  });
}

function setView(next: Partial<CompareView>) {
  view = { ...view, ...next };
  saveState(view);
  draw();
}

/** The four charts stacked into one PNG, the way they stand on the page. */
function exportPng() {
  if (charts.length === 0) return;
  const parts = charts.map((c) => c.canvas);
  const dataUrl = stackedPng(parts);
  if (dataUrl) post({ type: 'exportChart', dataUrl });
}

const fixed = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));

function summaryTable(m: Runs): HTMLTableElement {
  const head = [
    'run',
    'study',
    'iterations',
    'last loss',
    'best loss (iteration)',
    'tokens seen',
    'TFLOP/s per GPU',
    'wall time',
    'GPU-hours',
  ];
  return h(
    'table',
    { id: 'compare-summary' },
    h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, t(strings, c)))),
    ...m.summaries.map((s, i) =>
      h(
        'tr',
        { 'data-run': s.id },
        ...[
          s.label,
          m.runs[i].study,
          String(s.iterations),
          fixed(s.lastLoss, 4),
          s.bestLoss === undefined ? '—' : `${s.bestLoss.toFixed(4)} (${s.bestIteration})`,
          s.tokensSeen === undefined ? '—' : s.tokensSeen.toLocaleString('en-US'),
          fixed(s.tflopsPerGpu, 1),
          s.wallSeconds === undefined ? '—' : formatSlurmDuration(s.wallSeconds),
          fixed(s.gpuHours, 2),
        ].map((c) => h('td', {}, c)),
      ),
    ),
  );
}

function controls(): HTMLElement {
  return h(
    'div',
    { class: 'toolbar controls' },
    h(
      'label',
      {},
      t(strings, 'x-axis'),
      ' ',
      h(
        'select',
        { id: 'x-axis', onchange: (e) => setView({ axis: (e.target as HTMLSelectElement).value as XAxis }) },
        ...(Object.keys(AXIS_TITLES) as XAxis[]).map((a) =>
          h('option', { value: a, selected: a === view.axis }, t(strings, AXIS_TITLES[a])),
        ),
      ),
    ),
    h(
      'label',
      {},
      t(strings, 'Smoothing'),
      ' ',
      h('input', {
        type: 'range',
        id: 'smoothing',
        min: '0',
        max: String(MAX_SMOOTHING),
        step: '0.01',
        value: String(view.smoothing),
        onchange: (e) => setView({ smoothing: Number((e.target as HTMLInputElement).value) }),
      }),
      ' ',
      h('span', { id: 'smoothing-value' }, view.smoothing.toFixed(2)),
    ),
    h(
      'label',
      {},
      h('input', {
        type: 'checkbox',
        id: 'log-loss',
        checked: view.logLoss,
        onchange: (e) => setView({ logLoss: (e.target as HTMLInputElement).checked }),
      }),
      ' ',
      t(strings, 'Log scale for loss'),
    ),
    h(
      'button',
      { type: 'button', 'data-export': 'compare:csv', onclick: () => post({ type: 'exportCsv' }) },
      t(strings, 'Export CSV'),
    ),
    h('button', { type: 'button', 'data-export': 'compare:png', onclick: exportPng }, t(strings, 'Export PNG')),
  );
}

function draw() {
  if (!shown) return;
  const m = shown;
  for (const c of charts) c.destroy();
  const boxes = CHARTS.map(({ id, title }) => {
    const canvas = h('canvas', { id, role: 'img', 'aria-label': t(strings, title) });
    return { canvas, box: h('div', { class: 'chart' }, canvas) };
  });
  const iterations = m.runs.reduce((sum, r) => sum + r.points.length, 0);
  const unplaced = chartSeries(m.runs, 'lmLoss', view.axis).reduce((sum, s) => sum + s.unplaced, 0);
  root.replaceChildren(
    h('h1', {}, m.title),
    h('p', { class: 'meta', id: 'count' }, t(strings, '{0} runs, {1} iterations', m.runs.length, iterations)),
    controls(),
    h(
      'p',
      { class: 'meta', id: 'unplaced' },
      unplaced
        ? t(
            strings,
            '{0} points of {1} cannot be placed on this axis (no consumed samples or sequence length)',
            unplaced,
            iterations,
          )
        : '',
    ),
    ...boxes.map((b) => b.box),
    summaryTable(m),
  );
  for (const b of boxes) b.box.style.height = '260px';
  charts = CHARTS.map((c, i) => chart(boxes[i].canvas, m.runs, c.metric, c.title));
  // What a reader (or a test) can check against the logs: each curve's points and where they start.
  charts.forEach((c, i) => {
    const sets = c.data.datasets as { label?: string; data: { x: number; y: number }[] }[];
    boxes[i].box.setAttribute('data-datasets', String(sets.length));
    boxes[i].box.setAttribute('data-points', sets.map((s) => s.data.length).join(','));
    boxes[i].box.setAttribute('data-first-x', sets.map((s) => s.data[0]?.x ?? '').join(','));
  });
}

listen(
  compareProtocol,
  {
    runs: (m) => {
      strings = m.strings;
      shown = m;
      applyTheme();
      draw();
    },
  },
  () => strings,
);
