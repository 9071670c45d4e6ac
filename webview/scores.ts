import { Chart } from 'chart.js';
import { languageColour } from '../src/protocol/colours';
import type { StudyPayload } from '../src/protocol/panels';
import {
  averagesTable,
  DEFAULT_LABELS,
  figureSize,
  figureText,
  type Labels,
  type PanelView,
  PUBLICATION_STYLE,
  renderMessage,
  scoreDifferenceTable,
  tableOneTable,
} from '../src/protocol/views';
import { listenForStudy, loadState, post, saveState } from './lib/analysisPage';
import { averagesConfig, themeStyle } from './lib/charts';
import { clear, h, type Strings, t } from './lib/dom';
import { type Figure, figurePng, figureSvg } from './lib/export';
import { renderTable } from './lib/table';

/** The score-difference panel: Tables E.1–E.6 side by side, averages (Table 1), exports. */
let state: PanelView = loadState();
let study: StudyPayload | undefined;
let labels: Labels = DEFAULT_LABELS;
let strings: Strings = {};
let chart: Chart | undefined;
let figure: Figure | undefined;
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
        ...s.notes.map((n) => h('p', { class: 'meta note' }, renderMessage(n, strings))),
        ...s.problems.map((p) => h('p', { class: 'meta note' }, p)),
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
        h(
          'div',
          { class: 'table-box' },
          withProvenance(
            renderTable(scores, {
              id: 'scores-table',
              colour: true,
              sortable: ['task', ...s.corpora],
              sortKey: state.sortKey,
              descending: state.descending,
              onSort: sortBy,
              sortLabel: (label) => t(strings, 'Sort by {0}', label),
            }),
            s,
          ),
        ),
      ),
      h(
        'section',
        { id: 'averages' },
        h('div', { class: 'toolbar' }, exportButtons('averages')),
        h('div', { class: 'table-box' }, renderTable(averages, { id: 'averages-table', colour: true })),
        h(
          'div',
          { class: 'toolbar' },
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              id: 'light-figures',
              checked: state.lightFigures,
              onchange: (e) => setState({ lightFigures: (e.target as HTMLInputElement).checked }),
            }),
            ' ',
            t(strings, 'Light background for exports'),
          ),
          h(
            'span',
            { class: 'exports' },
            h(
              'button',
              { type: 'button', 'data-export': 'averages:svg', onclick: () => exportFigure('svg') },
              t(strings, 'Export SVG'),
            ),
            h(
              'button',
              { type: 'button', 'data-export': 'averages:png', onclick: () => exportFigure('png') },
              t(strings, 'Export PNG'),
            ),
          ),
        ),
        h('div', { class: 'chart', style: false }, canvas),
      ),
      s.tableOne
        ? h(
            'section',
            { id: 'table-one' },
            h('div', { class: 'toolbar' }, exportButtons('tableOne')),
            h('div', { class: 'table-box' }, renderTable(tableOneTable(s.tableOne, labels), { id: 'table-one-table' })),
          )
        : null,
    ),
  );
  const series = Object.entries(s.result.averages.language).map(([lang, byCorpus]) => ({
    label: lang,
    values: s.corpora.map((c) => byCorpus[c]),
    colour: languageColour(lang),
  }));
  const translate = (key: string, ...args: (string | number)[]) => t(strings, key, ...args);
  const view = { statistic: state.statistic, mode: state.mode, pKind: state.pKind };
  const text = figureText('averages', view, { statistic: (id) => id }, [], translate);
  figure = {
    ...figureSize('averages', s.corpora.length),
    text,
    config: (style) => averagesConfig(s.corpora, series, style, text, true),
  };
  chart = new Chart(canvas, averagesConfig(s.corpora, series, themeStyle(), text, false));
}

/** The averages chart as a figure: light publication style unless the panel's theme is asked for. */
function exportFigure(format: 'svg' | 'png') {
  if (!figure) return;
  const style = state.lightFigures ? PUBLICATION_STYLE : themeStyle();
  if (format === 'svg') post({ type: 'exportSvg', chart: 'averages', view: state, svg: figureSvg(figure, style) });
  else post({ type: 'exportChart', chart: 'averages', view: state, dataUrl: figurePng(figure, style) });
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
    if (after)
      td.title = [
        `${td.title} = ${t(strings, 'after − before')}`,
        t(strings, 'after: {0}', after),
        t(strings, 'before ({0}): {1}', base, before ?? '?'),
      ].join('\n');
  }
  return table;
}

listenForStudy(
  (m) => {
    study = m.study;
    labels = { ...DEFAULT_LABELS, ...m.labels };
    strings = m.strings;
    render();
  },
  () => strings,
);
