import { Chart, LinearScale, LineController, LineElement, PointElement } from 'chart.js';
import { parseMessage } from '../src/protocol/panels';
import { type TrainingHostMessage, type TrainingWebviewMessage, trainingHostMessage } from '../src/protocol/training';
import { applyTheme, backgroundPlugin, PALETTE, pngOf } from './lib/charts';
import { h, type Strings, t } from './lib/dom';

Chart.register(LineController, LineElement, PointElement, LinearScale);

interface VsCodeApi {
  postMessage(m: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const api = acquireVsCodeApi();
const post = (m: TrainingWebviewMessage) => api.postMessage(m);

/** Live loss / throughput / learning rate of a Megatron job, appended as the log grows. */
const root = document.getElementById('root')!;
let strings: Strings = {};
let chart: Chart | undefined;
let count = 0;

function series(label: string, axis: string, colour: string) {
  return {
    label,
    data: [] as { x: number; y: number }[],
    yAxisID: axis,
    borderColor: colour,
    backgroundColor: colour,
    pointRadius: 0,
    borderWidth: 1.5,
    parsing: false as const,
  };
}

function reset(m: Extract<TrainingHostMessage, { type: 'reset' }>) {
  strings = m.strings;
  applyTheme();
  chart?.destroy();
  root.replaceChildren();
  const canvas = h('canvas', { id: 'training-chart', role: 'img', 'aria-label': m.title });
  root.append(
    h('h1', {}, m.title),
    h('p', { class: 'meta', id: 'state' }, m.state),
    h(
      'div',
      { class: 'toolbar' },
      h('span', { id: 'count', class: 'meta' }, t(strings, 'Waiting for iterations…')),
      h(
        'button',
        {
          type: 'button',
          'data-export': 'training:png',
          onclick: () => chart && post({ type: 'exportChart', dataUrl: pngOf(chart) }),
        },
        t(strings, 'Export PNG'),
      ),
    ),
    h('div', { class: 'chart', style: false }, canvas),
  );
  (canvas.parentElement as HTMLElement).style.height = '420px';
  chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        series(t(strings, 'lm loss'), 'loss', PALETTE[0]),
        series(t(strings, 'throughput per GPU (TFLOP/s)'), 'tflops', PALETTE[1]),
        series(t(strings, 'learning rate'), 'lr', PALETTE[2]),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: t(strings, 'iteration') } },
        loss: { type: 'linear', position: 'left', title: { display: true, text: t(strings, 'lm loss') } },
        tflops: {
          type: 'linear',
          position: 'right',
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'TFLOP/s' },
        },
        lr: { type: 'linear', position: 'right', grid: { drawOnChartArea: false }, display: false },
      },
      plugins: { legend: { position: 'bottom' } },
    },
    plugins: [backgroundPlugin],
  });
  count = 0;
  append(m.iterations);
}

function append(iterations: Extract<TrainingHostMessage, { type: 'append' }>['iterations']) {
  if (!chart) return;
  const [loss, tflops, lr] = chart.data.datasets as { data: { x: number; y: number }[] }[];
  for (const it of iterations) {
    if (it.lmLoss !== undefined) loss.data.push({ x: it.iteration, y: it.lmLoss });
    if (it.tflopsPerGpu !== undefined) tflops.data.push({ x: it.iteration, y: it.tflopsPerGpu });
    if (it.learningRate !== undefined) lr.data.push({ x: it.iteration, y: it.learningRate });
  }
  count += iterations.length;
  chart.update('none');
  const el = document.getElementById('count');
  if (el) el.textContent = t(strings, '{0} iterations', count);
}

window.addEventListener('message', (e: MessageEvent) => {
  const r = parseMessage(trainingHostMessage, e.data);
  if (!r.ok) return console.error(`corpus-lab: ignored an invalid message: ${r.error}`);
  const m = r.message;
  if (m.type === 'reset') reset(m);
  else if (m.type === 'append') append(m.iterations);
  else {
    const el = document.getElementById('state');
    if (el) el.textContent = m.state;
  }
});
post({ type: 'ready' });
