import { Chart } from 'chart.js';
import { categoryColour } from '../src/protocol/colours';
import type { StudyPayload } from '../src/protocol/panels';
import {
  barTooltip,
  correlationBars,
  DEFAULT_LABELS,
  type Labels,
  type PanelView,
  partialUnavailable,
  STATISTIC_IDS,
  STATISTIC_NAMES,
  shownMode,
  testsTable,
} from '../src/protocol/views';
import { listenForStudy, loadState, post, saveState } from './lib/analysisPage';
import { applyTheme, backgroundPlugin, heatmap, pngOf } from './lib/charts';
import { clear, h, type Strings, t } from './lib/dom';
import { renderTable } from './lib/table';

/** The correlation panel: task-wise bars (Figs 3–6), all tests, regular vs partial (F.3), heatmaps (F.1, F.2). */
let state: PanelView = loadState();
let study: StudyPayload | undefined;
let labels: Labels = DEFAULT_LABELS;
let strings: Strings = {};
const charts = new Map<string, Chart>();
const root = document.getElementById('root')!;

function setState(next: Partial<PanelView>) {
  state = { ...state, ...next };
  saveState(state);
  render();
}

function select<T extends string>(
  id: string,
  label: string,
  value: T,
  options: readonly (readonly [T, string])[],
  onChange: (v: T) => void,
  disabled = false,
  unavailable: readonly T[] = [],
) {
  return h(
    'label',
    {},
    label,
    ' ',
    h(
      'select',
      { id, disabled, onchange: (e) => onChange((e.target as HTMLSelectElement).value as T) },
      ...options.map(([v, text]) =>
        h('option', { value: v, selected: v === value, disabled: unavailable.includes(v) }, text),
      ),
    ),
  );
}

/** The view as shown: partial falls back to regular for a statistic whose partial tests have no numbers. */
function shownView(): PanelView {
  return study ? { ...state, mode: shownMode(study.result, state.statistic, state.mode) } : state;
}

function pngButton(chart: 'bars' | 'statisticsHeatmap' | 'tasksHeatmap') {
  return h(
    'button',
    {
      type: 'button',
      'data-export': `${chart}:png`,
      onclick: () => {
        const c = charts.get(chart);
        if (c) post({ type: 'exportChart', chart, view: shownView(), dataUrl: pngOf(c) });
      },
    },
    t(strings, 'Export PNG'),
  );
}

/** The multiple-testing family of the statistic shown, as the q and Holm columns were computed. */
function familyLine(s: StudyPayload): string {
  const mt = s.result.multipleTesting;
  if (mt.scope === 'all') {
    const f = mt.families[0];
    return t(
      strings,
      'Multiple testing: BH q and Holm p within one family of all tests ({0} tests, {1} duplicates counted once)',
      f?.size ?? 0,
      f?.duplicates ?? 0,
    );
  }
  return t(
    strings,
    'Multiple testing: BH q and Holm p within one family per statistic ({0} tests here)',
    mt.families.find((f) => f.id === state.statistic)?.size ?? 0,
  );
}

function render() {
  if (!study) return;
  for (const c of charts.values()) c.destroy();
  charts.clear();
  clear(root);
  const s = study;
  // The panel opens in the mode that has numbers: with too few corpora for the covariates, regular,
  // and the reason partial is unavailable is said once, in either mode.
  const noPartial = partialUnavailable(s.result, state.statistic);
  const view = shownView();
  const mode = view.mode;
  const { bars, undefinedTasks } = correlationBars(s.result, state.statistic, mode, state.pKind);
  const categories = [...new Set(bars.map((b) => b.category))];
  const covariates = s.result.covariates[state.statistic] ?? [];
  const perm = s.result.permutation;
  const barCanvas = h('canvas', {
    id: 'bars-chart',
    role: 'img',
    'aria-label': `${STATISTIC_NAMES[state.statistic]} (${mode})`,
  });
  const statCanvas = h('canvas', {
    id: 'statistics-heatmap',
    role: 'img',
    'aria-label': t(strings, 'Correlations among the compositional statistics'),
  });
  const taskCanvas = h('canvas', {
    id: 'tasks-heatmap',
    role: 'img',
    'aria-label': t(strings, 'Correlations among the tasks'),
  });
  const tests = testsTable(s.result, state.allStatistics ? 'all' : state.statistic, mode, labels);

  root.append(
    h(
      'main',
      {},
      h(
        'header',
        {},
        h('h1', {}, `${t(strings, 'Partial correlations')} — ${s.name}`),
        h(
          'p',
          { class: 'meta' },
          t(strings, '{0} corpora, {1} tasks', s.corpora.length, s.tasks.length),
          ' · ',
          t(strings, 'Source: {0}', s.source),
        ),
        perm
          ? h(
              'p',
              { class: 'meta', id: 'permutation-scheme' },
              perm.exhaustive
                ? t(
                    strings,
                    'Permutation p-values (Freedman–Lane): exhaustive over all {0} orderings',
                    perm.permutations,
                  )
                : t(
                    strings,
                    'Permutation p-values (Freedman–Lane): Monte Carlo, {0} orderings per test, seed {1}',
                    perm.permutations,
                    perm.seed ?? '',
                  ),
            )
          : null,
        h('p', { class: 'meta', id: 'multiple-testing' }, familyLine(s)),
      ),
      h(
        'div',
        { class: 'toolbar controls' },
        select(
          'statistic',
          t(strings, 'Statistic'),
          state.statistic,
          STATISTIC_IDS.map((id) => [id, STATISTIC_NAMES[id]] as const),
          (v) => setState({ statistic: v }),
        ),
        select(
          'mode',
          t(strings, 'Correlation'),
          mode,
          [
            ['partial', t(strings, 'partial')],
            ['regular', t(strings, 'regular')],
          ] as const,
          (v) => setState({ mode: v }),
          false,
          noPartial !== null ? ['partial'] : [],
        ),
        select(
          'pkind',
          t(strings, 'p-value for stars'),
          state.pKind,
          [
            ['corrected', t(strings, 'corrected (df = n − 2 − k)')],
            ['paper', t(strings, "paper's (df = n − 2)")],
            ['permutation', t(strings, 'permutation')],
          ] as const,
          (v) => setState({ pKind: v }),
          mode === 'regular',
        ),
      ),
      noPartial !== null
        ? h(
            'p',
            { id: 'partial-unavailable', role: 'note' },
            t(strings, 'Partial correlations are not available for this statistic: {0}', noPartial),
          )
        : null,
      mode === 'partial'
        ? h(
            'p',
            { id: 'covariates' },
            t(
              strings,
              'Controlled for: {0}',
              covariates.length ? covariates.map((c) => STATISTIC_NAMES[c]).join(', ') : t(strings, 'none'),
            ),
          )
        : null,
      s.result.warnings.length
        ? h(
            'div',
            { class: 'warnings', role: 'note' },
            h('strong', {}, t(strings, 'Warnings')),
            h('ul', {}, ...s.result.warnings.map((w) => h('li', {}, w))),
          )
        : null,
      h(
        'section',
        { id: 'bars' },
        h('div', { class: 'toolbar' }, pngButton('bars')),
        h('div', { class: 'chart', 'data-rows': String(bars.length) }, barCanvas),
        undefinedTasks.length
          ? h(
              'p',
              { class: 'undefined' },
              t(
                strings,
                'Not defined for: {0}',
                undefinedTasks.map((u) => `${u.tasks.join(', ')} (${u.reason})`).join('; '),
              ),
            )
          : null,
      ),
      h(
        'section',
        { id: 'tests' },
        h(
          'div',
          { class: 'toolbar' },
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              id: 'all-statistics',
              checked: state.allStatistics,
              onchange: (e) => setState({ allStatistics: (e.target as HTMLInputElement).checked }),
            }),
            ' ',
            t(strings, 'All statistics in the table'),
          ),
          h(
            'span',
            { class: 'exports' },
            h(
              'button',
              {
                type: 'button',
                'data-export': 'tests:csv',
                onclick: () => post({ type: 'exportTable', table: 'tests', format: 'csv', view: shownView() }),
              },
              t(strings, 'Export CSV'),
            ),
            h(
              'button',
              {
                type: 'button',
                'data-export': 'tests:latex',
                onclick: () => post({ type: 'exportTable', table: 'tests', format: 'latex', view: shownView() }),
              },
              t(strings, 'Export LaTeX'),
            ),
          ),
        ),
        renderTable(tests, { id: 'tests-table' }),
      ),
      h(
        'section',
        { id: 'heatmaps', class: 'heatmaps' },
        h(
          'figure',
          {},
          h(
            'figcaption',
            {},
            t(strings, 'Correlations among the compositional statistics'),
            ' ',
            pngButton('statisticsHeatmap'),
          ),
          h('div', { class: 'chart square small' }, statCanvas),
        ),
        h(
          'figure',
          {},
          h('figcaption', {}, t(strings, 'Correlations among the tasks'), ' ', pngButton('tasksHeatmap')),
          h('div', { class: 'chart square' }, taskCanvas),
        ),
      ),
    ),
  );
  (barCanvas.parentElement as HTMLElement).style.height = `${Math.max(160, bars.length * 22 + 60)}px`;

  charts.set(
    'bars',
    new Chart(barCanvas, {
      type: 'bar',
      data: {
        labels: bars.map((b) => b.label),
        // One dataset per category, so the legend names the colours; skipNull keeps one bar per row.
        datasets: categories.map((cat) => ({
          label: cat,
          data: bars.map((b) => (b.category === cat ? b.r : null)),
          backgroundColor: categoryColour(cat),
          grouped: true,
          skipNull: true,
        })),
      },
      options: {
        indexAxis: 'y',
        maintainAspectRatio: false,
        scales: {
          x: { min: -1, max: 1, title: { display: true, text: `r (${mode})` } },
          y: { ticks: { autoSkip: false } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: { label: (c) => barTooltip(bars[c.dataIndex], (key, ...args) => t(strings, key, ...args)) },
          },
        },
      },
      plugins: [backgroundPlugin],
    }),
  );
  charts.set(
    'statisticsHeatmap',
    heatmap(statCanvas, s.result.matrices.statistics, t(strings, 'Correlations among the compositional statistics')),
  );
  // The core leaves the task matrix out when asked to (tasks² numbers); the panel's studies always have it.
  const tasks = s.result.matrices.tasks;
  if (tasks) charts.set('tasksHeatmap', heatmap(taskCanvas, tasks, t(strings, 'Correlations among the tasks')));
}

listenForStudy(
  (m) => {
    study = m.study;
    labels = { ...DEFAULT_LABELS, ...m.labels };
    strings = m.strings;
    applyTheme();
    render();
  },
  () => strings,
);
