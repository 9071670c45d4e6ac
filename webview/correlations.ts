import { Chart } from 'chart.js';
import { categoryColour } from '../src/protocol/colours';
import type { StudyPayload } from '../src/protocol/panels';
import {
  barTooltip,
  correlationBars,
  DEFAULT_LABELS,
  descendingFirst,
  type FigureId,
  figureSize,
  figureText,
  type Labels,
  type PanelView,
  PUBLICATION_STYLE,
  partialUnavailable,
  renderMessage,
  STATISTIC_IDS,
  STATISTIC_NAMES,
  shownMode,
  sortTable,
  testsTable,
  withStatisticNames,
} from '../src/protocol/views';
import { listenForStudy, loadState, post, saveState } from './lib/analysisPage';
import { barsConfig, heatmapConfig, themeStyle } from './lib/charts';
import { clear, h, type Strings, t } from './lib/dom';
import { type Figure, figurePng, figureSvg } from './lib/export';
import { renderTable } from './lib/table';

/** The correlation panel: task-wise bars (Figs 3–6), all tests, regular vs partial (F.3), heatmaps (F.1, F.2). */
let state: PanelView = loadState();
let study: StudyPayload | undefined;
let labels: Labels = DEFAULT_LABELS;
let strings: Strings = {};
const charts = new Map<string, Chart>();
/** What each chart exports as: the same data at print size, in the export style, titled. */
const figures = new Map<FigureId, Figure>();
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

/** A statistic's name in the panel's language. */
function statisticName(id: string): string {
  return t(strings, STATISTIC_NAMES[id as keyof typeof STATISTIC_NAMES] ?? id);
}

/** SVG and PNG exports of a chart, in the light publication style unless the panel's theme is asked for. */
function figureButtons(id: FigureId) {
  const exportAs = (format: 'svg' | 'png') => () => {
    const figure = figures.get(id);
    if (!figure) return;
    const style = state.lightFigures ? PUBLICATION_STYLE : themeStyle();
    if (format === 'svg') post({ type: 'exportSvg', chart: id, view: shownView(), svg: figureSvg(figure, style) });
    else post({ type: 'exportChart', chart: id, view: shownView(), dataUrl: figurePng(figure, style) });
  };
  return h(
    'span',
    { class: 'exports' },
    h('button', { type: 'button', 'data-export': `${id}:svg`, onclick: exportAs('svg') }, t(strings, 'Export SVG')),
    h('button', { type: 'button', 'data-export': `${id}:png`, onclick: exportAs('png') }, t(strings, 'Export PNG')),
  );
}

/** Click on a tests-table header: first by the column's natural direction, then reversed, then as computed. */
function sortTests(key: string, table: Parameters<typeof descendingFirst>[0]) {
  const first = descendingFirst(table, key);
  if (state.sortKey !== key) setState({ sortKey: key, descending: first });
  else if (state.descending === first) setState({ descending: !first });
  else setState({ sortKey: undefined });
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
  const noPartial = partialUnavailable(s.result, state.statistic, strings);
  const view = shownView();
  const mode = view.mode;
  const { bars, undefinedTasks } = correlationBars(s.result, state.statistic, mode, state.pKind, strings);
  const covariates = s.result.covariates[state.statistic] ?? [];
  const perm = s.result.permutation;
  const barCanvas = h('canvas', {
    id: 'bars-chart',
    role: 'img',
    'aria-label': `${statisticName(state.statistic)} (${t(strings, mode)})`,
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
  const computed = withStatisticNames(
    testsTable(s.result, state.allStatistics ? 'all' : state.statistic, mode, labels, strings),
    statisticName,
  );
  const tests = sortTable(computed, state.sortKey, state.descending);

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
          STATISTIC_IDS.map((id) => [id, statisticName(id)] as const),
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
              covariates.length ? covariates.map(statisticName).join(', ') : t(strings, 'none'),
            ),
          )
        : null,
      s.result.warnings.length
        ? h(
            'div',
            { class: 'warnings', role: 'note' },
            h('strong', {}, t(strings, 'Warnings')),
            h('ul', {}, ...s.result.warnings.map((w) => h('li', {}, renderMessage(w, strings)))),
          )
        : null,
      h(
        'section',
        { id: 'bars' },
        h('div', { class: 'toolbar' }, figureButtons('bars')),
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
        h(
          'div',
          { class: 'table-box' },
          renderTable(tests, {
            id: 'tests-table',
            sortable: computed.columns.map((c) => c.key),
            sortKey: state.sortKey,
            descending: state.descending,
            onSort: (key) => sortTests(key, computed),
            sortLabel: (label) => t(strings, 'Sort by {0}', label),
          }),
        ),
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
            figureButtons('statisticsHeatmap'),
          ),
          h('div', { class: 'chart square small' }, statCanvas),
        ),
        h(
          'figure',
          {},
          h('figcaption', {}, t(strings, 'Correlations among the tasks'), ' ', figureButtons('tasksHeatmap')),
          h('div', { class: 'chart square' }, taskCanvas),
        ),
      ),
    ),
  );
  (barCanvas.parentElement as HTMLElement).style.height = `${Math.max(160, bars.length * 22 + 60)}px`;

  const translate = (key: string, ...args: (string | number)[]) => t(strings, key, ...args);
  const text = (id: FigureId) => figureText(id, view, { statistic: statisticName }, covariates, translate);
  const rows = bars.map((b) => ({ label: b.label, category: b.category, r: b.r }));
  const tooltip = (i: number) => barTooltip(bars[i], translate);
  const r = t(strings, 'Pearson r');
  figures.clear();
  figures.set('bars', {
    ...figureSize('bars', bars.length),
    text: text('bars'),
    config: (style) => barsConfig(rows, categoryColour, style, text('bars'), true, tooltip),
  });
  // The core leaves the task matrix out when asked to (tasks² numbers); the panel's studies always have it.
  const matrices = { statisticsHeatmap: s.result.matrices.statistics, tasksHeatmap: s.result.matrices.tasks };
  const canvases = { statisticsHeatmap: statCanvas, tasksHeatmap: taskCanvas };
  const style = themeStyle();
  charts.set('bars', new Chart(barCanvas, barsConfig(rows, categoryColour, style, text('bars'), false, tooltip)));
  for (const id of ['statisticsHeatmap', 'tasksHeatmap'] as const) {
    const matrix = matrices[id];
    if (!matrix) continue;
    // The statistics' matrix is labelled by their names, the tasks' by the tasks' own.
    const name = id === 'statisticsHeatmap' ? statisticName : (label: string) => label;
    figures.set(id, {
      ...figureSize(id, matrix.labels.length),
      text: text(id),
      config: (figureStyle) => heatmapConfig(matrix, name, figureStyle, text(id), true, r),
    });
    charts.set(id, new Chart(canvases[id], heatmapConfig(matrix, name, style, text(id), false, r)));
  }
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
