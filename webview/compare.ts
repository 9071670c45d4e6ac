import { Chart, LinearScale, LineController, LineElement, LogarithmicScale, PointElement } from 'chart.js';
import { recipeColours } from '../src/protocol/colours';
import { type CompareToPage, type CompareView, compareProtocol, compareView } from '../src/protocol/compare';
import {
  chartSeries,
  type FigureText,
  formatSlurmDuration,
  type Metric,
  mergePoints,
  PUBLICATION_STYLE,
  type XAxis,
} from '../src/protocol/views';
import { applyTheme, type RunCurve, runsConfig, themeStyle } from './lib/charts';
import { curveControls } from './lib/curveControls';
import { h, type Strings, t } from './lib/dom';
import { type Figure, figurePng, figureSvg } from './lib/export';
import { listen, loadState, poster, saveState } from './lib/host';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale);

/**
 * Runs side by side: lm loss, learning rate, grad norm and throughput, each on its own chart with
 * every run's curve on one x-axis (iteration, consumed samples or tokens), smoothed by the same EMA
 * as the training chart; a colour per recipe (a dash per run where a recipe repeats); the summaries
 * below. A live run's new points are merged in as they come; each chart exports as a figure.
 */
type Runs = Extract<CompareToPage, { type: 'runs' }>;
type Points = Extract<CompareToPage, { type: 'points' }>;

const post = poster(compareProtocol);
const root = document.getElementById('root')!;
let view: CompareView = loadState(compareView);
let strings: Strings = {};
/** What the page shows: the runs message, its runs' points merged with every `points` message since. */
let shown: { title: string; runs: Runs['runs'][number][]; summaries: Runs['summaries']; live: Set<string> } | undefined;
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
/** An exported chart in CSS pixels (SVG user units): two-column width, as the analysis figures. */
const FIGURE_SIZE = { width: 700, height: 360 };

function curves(runs: Runs['runs'], metric: Metric): RunCurve[] {
  const colours = recipeColours(runs.map((r) => r.recipe));
  const log = metric === 'lmLoss' && view.logLoss;
  return chartSeries(runs, metric, view.axis, view.smoothing, log).map((s, i) => ({
    label: s.label,
    colour: colours.get(runs[i].recipe) ?? '#999999',
    dash: DASHES[runs.slice(0, i).filter((r) => r.recipe === runs[i].recipe).length % DASHES.length],
    points: s.points,
  }));
}

/** What a figure of a chart says about itself: the panel's title and the metric, the axes named. */
function figureText(title: string): FigureText {
  const metric = t(strings, title);
  return { title: `${shown?.title ?? ''}: ${metric}`, subtitle: [], x: t(strings, AXIS_TITLES[view.axis]), y: metric };
}

function figure(metric: Metric, title: string): Figure {
  const runs = shown?.runs ?? [];
  const text = figureText(title);
  const y = { log: metric === 'lmLoss' && view.logLoss, exponent: metric === 'learningRate' };
  return { ...FIGURE_SIZE, text, config: (style) => runsConfig(curves(runs, metric), style, text, true, y) };
}

function chart(canvas: HTMLCanvasElement, metric: Metric, title: string): Chart {
  const y = { log: metric === 'lmLoss' && view.logLoss, exponent: metric === 'learningRate' };
  return new Chart(canvas, runsConfig(curves(shown?.runs ?? [], metric), themeStyle(), figureText(title), false, y));
}

function setView(next: Partial<CompareView>) {
  view = { ...view, ...next };
  saveState(view);
  draw();
}

/** A chart as a figure: light publication style unless the panel's theme is asked for. */
function exportFigure(metric: Metric, title: string, format: 'svg' | 'png') {
  const f = figure(metric, title);
  const style = view.lightFigures ? PUBLICATION_STYLE : themeStyle();
  if (format === 'svg') post({ type: 'exportSvg', metric, axis: view.axis, svg: figureSvg(f, style) });
  else post({ type: 'exportChart', metric, axis: view.axis, dataUrl: figurePng(f, style) });
}

const fixed = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));

function summaryTable(): HTMLTableElement {
  const m = shown!;
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
        { 'data-run': s.id, 'data-live': m.live.has(s.id) },
        ...[
          m.live.has(s.id) ? `${s.label} (${t(strings, 'live')})` : s.label,
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
    ...curveControls(strings, view, setView),
    h(
      'label',
      {},
      h('input', {
        type: 'checkbox',
        id: 'light-figures',
        checked: view.lightFigures,
        onchange: (e) => setView({ lightFigures: (e.target as HTMLInputElement).checked }),
      }),
      ' ',
      t(strings, 'Light background for exports'),
    ),
    h(
      'button',
      { type: 'button', 'data-export': 'compare:csv', onclick: () => post({ type: 'exportCsv' }) },
      t(strings, 'Export CSV'),
    ),
  );
}

function figureButtons(metric: Metric, title: string): HTMLElement {
  return h(
    'span',
    { class: 'exports' },
    ...(['svg', 'png'] as const).map((format) =>
      h(
        'button',
        { type: 'button', 'data-export': `${metric}:${format}`, onclick: () => exportFigure(metric, title, format) },
        t(strings, format === 'svg' ? 'Export SVG' : 'Export PNG'),
      ),
    ),
  );
}

/** The counts and the note on unplaced points: they change as live runs grow. */
function counts(): [string, string] {
  const runs = shown!.runs;
  const iterations = runs.reduce((sum, r) => sum + r.points.length, 0);
  const unplaced = chartSeries(runs, 'lmLoss', view.axis).reduce((sum, s) => sum + s.unplaced, 0);
  return [
    t(strings, '{0} runs, {1} iterations', runs.length, iterations),
    unplaced
      ? t(
          strings,
          '{0} points of {1} cannot be placed on this axis (no consumed samples or sequence length)',
          unplaced,
          iterations,
        )
      : '',
  ];
}

function draw(missing: Runs['missing'] = []) {
  if (!shown) return;
  for (const c of charts) c.destroy();
  const boxes = CHARTS.map(({ id, title, metric }) => {
    const canvas = h('canvas', { id, role: 'img', 'aria-label': t(strings, title) });
    return { canvas, box: h('div', { class: 'chart' }, canvas), buttons: figureButtons(metric, title) };
  });
  const [count, unplaced] = counts();
  const gone = document.getElementById('missing') ?? h('ul', { id: 'missing', class: 'meta' });
  if (missing.length)
    gone.replaceChildren(
      ...missing.map((r) =>
        h(
          'li',
          { 'data-run': r.id },
          t(
            strings,
            'The job of run {0} (study {1}) is no longer in the job registry: it is not shown.',
            r.id,
            r.study,
          ),
        ),
      ),
    );
  root.replaceChildren(
    h('h1', {}, shown.title),
    h('p', { class: 'meta', id: 'count' }, count),
    gone,
    h('p', { class: 'meta', id: 'follow-status' }, document.getElementById('follow-status')?.textContent ?? ''),
    controls(),
    h('p', { class: 'meta', id: 'unplaced' }, unplaced),
    ...boxes.flatMap((b) => [b.buttons, b.box]),
    summaryTable(),
  );
  for (const b of boxes) b.box.style.height = '260px';
  charts = CHARTS.map((c, i) => chart(boxes[i].canvas, c.metric, c.title));
  mark();
}

/** What a reader (or a test) can check against the logs: each curve's points and where they start. */
function mark() {
  charts.forEach((c) => {
    const box = c.canvas.parentElement!;
    const sets = c.data.datasets as { data: { x: number; y: number }[] }[];
    box.setAttribute('data-datasets', String(sets.length));
    box.setAttribute('data-points', sets.map((s) => s.data.length).join(','));
    box.setAttribute('data-first-x', sets.map((s) => s.data[0]?.x ?? '').join(','));
  });
}

/** New points of live runs merged in; the charts keep their place and only their data changes. */
function append(m: Points) {
  if (!shown) return;
  const s = shown;
  for (const r of m.runs) {
    const i = s.runs.findIndex((run) => run.id === r.id);
    if (i >= 0) s.runs[i] = { ...s.runs[i], points: mergePoints(s.runs[i].points, r.points) };
  }
  s.summaries = m.summaries;
  s.live = new Set(m.live);
  charts.forEach((c, i) => {
    const fresh = curves(s.runs, CHARTS[i].metric);
    c.data.datasets.forEach((d, j) => {
      d.data = fresh[j].points;
    });
    c.update('none');
  });
  mark();
  const [count, unplaced] = counts();
  document.getElementById('count')!.textContent = count;
  document.getElementById('unplaced')!.textContent = unplaced;
  document.getElementById('compare-summary')?.replaceWith(summaryTable());
}

listen(
  compareProtocol,
  {
    runs: (m) => {
      strings = m.strings;
      shown = { title: m.title, runs: [...m.runs], summaries: m.summaries, live: new Set(m.live) };
      // The runs are the page's state: after a window reload the extension reads or follows them again.
      view = { ...view, runs: [...m.runs.map((r) => ({ id: r.id, study: r.study })), ...m.missing] };
      saveState(view);
      applyTheme();
      draw(m.missing);
    },
    points: append,
    status: (m) => {
      const el = document.getElementById('follow-status');
      if (el) el.textContent = m.text;
    },
  },
  () => strings,
);
