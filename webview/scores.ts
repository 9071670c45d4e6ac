import { BarController, Chart } from 'chart.js';
import { languageColour } from '../src/protocol/colours';
import type { StudyPayload } from '../src/protocol/panels';
import {
  averagesTable,
  DEFAULT_LABELS,
  type Labels,
  type PanelView,
  scoreDifferenceTable,
  tableOneTable,
} from '../src/protocol/views';
import { listenForStudy, loadState, post, saveState } from './lib/analysisPage';
import { applyTheme, backgroundPlugin, pngOf } from './lib/charts';
import { clear, h, type Strings, t } from './lib/dom';
import { renderTable } from './lib/table';

Chart.register(BarController);

/** The score-difference panel: Tables E.1–E.6 side by side, averages (Table 1), exports. */
let state: PanelView = loadState();
let study: StudyPayload | undefined;
let labels: Labels = DEFAULT_LABELS;
let strings: Strings = {};
let chart: Chart | undefined;
const root = document.getElementById('root')!;

function setState(next: Partial<PanelView>) {
  state = { ...state, ...next };
  saveState(state);
  render();
}

function exportButtons(table: 'scores' | 'averages' | 'tableOne') {
  return h(
    'span',
    { class: 'exports' },
    h(
      'button',
      {
        type: 'button',
        'data-export': `${table}:csv`,
        onclick: () => post({ type: 'exportTable', table, format: 'csv', view: state }),
      },
      t(strings, 'Export CSV'),
    ),
    h(
      'button',
      {
        type: 'button',
        'data-export': `${table}:latex`,
        onclick: () => post({ type: 'exportTable', table, format: 'latex', view: state }),
      },
      t(strings, 'Export LaTeX'),
    ),
  );
}

function sortBy(key: string) {
  // Descending first (best corpus on top), then ascending, then the file's order.
  if (state.sortKey !== key) setState({ sortKey: key, descending: key !== 'task' });
  else if (state.descending === (key !== 'task')) setState({ descending: !state.descending });
  else setState({ sortKey: undefined });
}

function render() {
  if (!study) return;
  chart?.destroy();
  clear(root);
  const s = study;
  const scores = scoreDifferenceTable(s.tasks, s.corpora, state, labels);
  const averages = averagesTable(s.result, labels);
  const canvas = h('canvas', { id: 'averages-chart', role: 'img', 'aria-label': t(strings, 'Averages by language') });
  root.append(
    h(
      'main',
      {},
      h(
        'header',
        {},
        h('h1', {}, `${t(strings, 'Score differences')} — ${s.name}`),
        h(
          'p',
          { class: 'meta' },
          t(strings, '{0} corpora, {1} tasks', s.corpora.length, s.tasks.length),
          ' · ',
          t(strings, 'Source: {0}', s.source),
        ),
        ...s.notes.map((n) => h('p', { class: 'meta note' }, n)),
      ),
      h(
        'section',
        { id: 'scores' },
        h(
          'div',
          { class: 'toolbar' },
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              id: 'grouped',
              checked: state.grouped,
              onchange: (e) => setState({ grouped: (e.target as HTMLInputElement).checked }),
            }),
            ' ',
            t(strings, 'Group by language and category'),
          ),
          exportButtons('scores'),
        ),
        withProvenance(
          renderTable(scores, {
            id: 'scores-table',
            colour: true,
            sortable: ['task', ...s.corpora],
            sortKey: state.sortKey,
            descending: state.descending,
            onSort: sortBy,
          }),
          s,
        ),
      ),
      h(
        'section',
        { id: 'averages' },
        h('div', { class: 'toolbar' }, exportButtons('averages')),
        renderTable(averages, { id: 'averages-table', colour: true }),
        h(
          'div',
          { class: 'toolbar' },
          h(
            'button',
            {
              type: 'button',
              'data-export': 'averages:png',
              onclick: () =>
                chart && post({ type: 'exportChart', chart: 'averages', view: state, dataUrl: pngOf(chart) }),
            },
            t(strings, 'Export PNG'),
          ),
        ),
        h('div', { class: 'chart', style: false }, canvas),
      ),
      s.tableOne
        ? h(
            'section',
            { id: 'table-one' },
            h('div', { class: 'toolbar' }, exportButtons('tableOne')),
            renderTable(tableOneTable(s.tableOne, labels), { id: 'table-one-table' }),
          )
        : null,
    ),
  );
  const languages = Object.keys(s.result.averages.language);
  chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: [...s.corpora],
      datasets: languages.map((lang) => ({
        label: lang,
        data: s.corpora.map((c) => s.result.averages.language[lang][c]),
        backgroundColor: languageColour(lang),
      })),
    },
    options: { maintainAspectRatio: false, plugins: { legend: { position: 'bottom' } } },
    plugins: [backgroundPlugin],
  });
}

/** Each score cell's tooltip says where its number came from: after and before, file:row and template. */
function withProvenance(table: HTMLTableElement, s: StudyPayload): HTMLTableElement {
  const base = Object.keys(s.provenance)
    .find((k) => !s.corpora.includes(k.split('|')[1]))
    ?.split('|')[1];
  if (!base) return table;
  for (const td of table.querySelectorAll<HTMLTableCellElement>('td[data-col]')) {
    const task = td.parentElement?.getAttribute('data-row') ?? '';
    const after = s.provenance[`${task}|${td.dataset.col}`];
    const before = s.provenance[`${task}|${base}`];
    if (after) td.title = `${td.title} = after − before\nafter: ${after}\nbefore (${base}): ${before ?? '?'}`;
  }
  return table;
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
