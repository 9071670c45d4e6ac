import { Chart, LinearScale, LineController, LineElement, LogarithmicScale, PointElement } from 'chart.js';
import { type TrainingToPage, type TrainingView, trainingProtocol, trainingView } from '../src/protocol/training';
import { smoothEma } from '../src/protocol/views';
import { applyTheme, backgroundPlugin, PALETTE, stackedPng } from './lib/charts';
import { curveControls } from './lib/curveControls';
import { h, type Strings, t } from './lib/dom';
import { listen, loadState, poster, saveState } from './lib/host';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale);

/**
 * A Megatron job as it trains, appended as the log grows: loss and grad norm (raw, faint, and
 * smoothed by TensorBoard's EMA; loss on a linear or log axis) above, the learning rate and the
 * throughput per GPU, each on its own labelled axis, below.
 */
type Iterations = Extract<TrainingToPage, { type: 'append' }>['iterations'];
type Point = { x: number; y: number };

const post = poster(trainingProtocol);
const root = document.getElementById('root')!;
let view: TrainingView = loadState(trainingView);
let strings: Strings = {};
let count = 0;
/** The raw points of each curve; the smoothed ones are derived from them. */
const raw = { loss: [] as Point[], gradNorm: [] as Point[], lr: [] as Point[], tflops: [] as Point[] };
let curves: Chart | undefined;
let schedule: Chart | undefined;

/** Raw points faint under their smoothed curve, as TensorBoard draws them. */
const FAINT = '55';
const LOSS = PALETTE[0];
const GRAD_NORM = PALETTE[3];
const LR = PALETTE[2];
const TFLOPS = PALETTE[1];

function line(label: string, axis: string, colour: string, data: Point[], width = 1.5) {
  return {
    label,
    data,
    yAxisID: axis,
    borderColor: colour,
    backgroundColor: colour,
    pointRadius: 0,
    borderWidth: width,
    parsing: false as const,
  };
}

function smoothed(points: readonly Point[]): Point[] {
  const ys = smoothEma(
    points.map((p) => p.y),
    view.smoothing,
  );
  return points.map((p, i) => ({ x: p.x, y: ys[i] }));
}

function axisTitle(text: string) {
  return { display: true, text };
}

function lossChart(canvas: HTMLCanvasElement): Chart {
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        line(t(strings, 'lm loss'), 'loss', LOSS, smoothed(raw.loss), 2),
        line(t(strings, 'grad norm'), 'gradNorm', GRAD_NORM, smoothed(raw.gradNorm), 2),
        // The raw curves, unlabelled in the legend, under the smoothed ones.
        { ...line('', 'loss', `${LOSS}${FAINT}`, raw.loss, 1), hidden: view.smoothing === 0 },
        { ...line('', 'gradNorm', `${GRAD_NORM}${FAINT}`, raw.gradNorm, 1), hidden: view.smoothing === 0 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: axisTitle(t(strings, 'iteration')) },
        loss: {
          type: view.logLoss ? 'logarithmic' : 'linear',
          position: 'left',
          title: axisTitle(t(strings, 'lm loss')),
        },
        gradNorm: {
          type: 'linear',
          position: 'right',
          grid: { drawOnChartArea: false },
          title: axisTitle(t(strings, 'grad norm')),
        },
      },
      plugins: { legend: { position: 'bottom', labels: { filter: (item) => item.text !== '' } } },
    },
    plugins: [backgroundPlugin],
  });
}

function scheduleChart(canvas: HTMLCanvasElement): Chart {
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        line(t(strings, 'learning rate'), 'lr', LR, raw.lr),
        line(t(strings, 'throughput per GPU (TFLOP/s)'), 'tflops', TFLOPS, raw.tflops),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: axisTitle(t(strings, 'iteration')) },
        lr: {
          type: 'linear',
          position: 'left',
          title: axisTitle(t(strings, 'learning rate')),
          // Learning rates are 1e-6…1e-3: two significant digits in exponent form read better than 9.00000E-5.
          ticks: { callback: (v) => Number(v).toExponential(1) },
        },
        tflops: {
          type: 'linear',
          position: 'right',
          grid: { drawOnChartArea: false },
          title: axisTitle('TFLOP/s'),
        },
      },
      plugins: { legend: { position: 'bottom' } },
    },
    plugins: [backgroundPlugin],
  });
}

function setView(next: Partial<TrainingView>) {
  view = { ...view, ...next };
  saveState(view);
  draw();
}

/** Both charts stacked into one PNG, the way they stand on the page. */
function exportPng() {
  if (!curves || !schedule) return;
  const parts = [curves.canvas, schedule.canvas];
  const dataUrl = stackedPng(parts);
  if (dataUrl) post({ type: 'exportChart', dataUrl });
}

function draw() {
  curves?.destroy();
  schedule?.destroy();
  const lossCanvas = h('canvas', { id: 'training-chart', role: 'img', 'aria-label': t(strings, 'lm loss') });
  const lrCanvas = h('canvas', { id: 'schedule-chart', role: 'img', 'aria-label': t(strings, 'learning rate') });
  const lossBox = h('div', { class: 'chart' }, lossCanvas);
  const lrBox = h('div', { class: 'chart' }, lrCanvas);
  document
    .getElementById('charts')
    ?.replaceChildren(
      h(
        'div',
        { class: 'toolbar controls' },
        ...curveControls(strings, view, setView),
        h('button', { type: 'button', 'data-export': 'training:png', onclick: exportPng }, t(strings, 'Export PNG')),
      ),
      lossBox,
      lrBox,
    );
  lossBox.style.height = '360px';
  lrBox.style.height = '240px';
  curves = lossChart(lossCanvas);
  schedule = scheduleChart(lrCanvas);
  markCounts();
}

/** How many points each curve holds, on its chart's box: what a reader (or a test) can check against the log. */
function markCounts() {
  const box = (id: string) => document.getElementById(id)?.parentElement;
  box('training-chart')?.setAttribute('data-points', `lm loss ${raw.loss.length}, grad norm ${raw.gradNorm.length}`);
  box('schedule-chart')?.setAttribute('data-points', `learning rate ${raw.lr.length}, throughput ${raw.tflops.length}`);
}

function reset(m: Extract<TrainingToPage, { type: 'reset' }>) {
  strings = m.strings;
  view = { ...view, job: m.job };
  saveState(view);
  applyTheme();
  for (const series of Object.values(raw)) series.length = 0;
  count = 0;
  root.replaceChildren(
    h('h1', {}, m.title),
    h('p', { class: 'meta', id: 'state' }, m.state),
    h('p', { id: 'count', class: 'meta' }, t(strings, 'Waiting for iterations…')),
    h('div', { id: 'charts' }),
  );
  draw();
  append(m.iterations);
}

function append(iterations: Iterations) {
  for (const it of iterations) {
    const x = it.iteration;
    if (it.lmLoss !== undefined) raw.loss.push({ x, y: it.lmLoss });
    if (it.gradNorm !== undefined) raw.gradNorm.push({ x, y: it.gradNorm });
    if (it.learningRate !== undefined) raw.lr.push({ x, y: it.learningRate });
    if (it.tflopsPerGpu !== undefined) raw.tflops.push({ x, y: it.tflopsPerGpu });
  }
  count += iterations.length;
  if (curves) {
    // The smoothed curves depend on every point before: recomputed, the raw ones grew in place.
    curves.data.datasets[0].data = smoothed(raw.loss);
    curves.data.datasets[1].data = smoothed(raw.gradNorm);
    curves.update('none');
  }
  schedule?.update('none');
  markCounts();
  const el = document.getElementById('count');
  if (el && count > 0) el.textContent = t(strings, '{0} iterations', count);
}

listen(
  trainingProtocol,
  {
    reset,
    append: (m) => append(m.iterations),
    state: (m) => {
      const el = document.getElementById('state');
      if (el) el.textContent = m.state;
    },
  },
  () => strings,
);
