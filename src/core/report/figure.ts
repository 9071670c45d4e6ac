import type { ChartId, CorrelationMode, PKind } from '../analysis/schemas';

/**
 * What an exported figure says about itself, and how it is named: pure, so that the panel, the
 * extension and the tests agree. The texts are English keys with `{0}` placeholders, translated by
 * the caller (the panel passes its translated strings; the default fills in the English).
 */

/** A figure is one of the charts a panel exports. */
export type FigureId = ChartId;

export interface FigureView {
  readonly statistic: string;
  readonly mode: CorrelationMode;
  readonly pKind: PKind;
}

export type Translate = (key: string, ...args: (string | number)[]) => string;

/** Fills `{0}`-style placeholders: the English default of a translation. */
export function fillIn(key: string, ...args: (string | number)[]): string {
  return key.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
}

/**
 * The texts figures, the panels' figure and sort controls and the score tooltips show beyond the panel strings of the protocol
 * (which hold 'Controlled for: {0}', 'none', 'Export PNG' and the heatmaps' titles), as the keys the
 * translations use. The extension sends each translated, with the panel strings.
 */
export const FIGURE_STRINGS = [
  '{0}: {1} by task',
  'Pearson r',
  'partial r',
  'Stars: {0}; * p < 0.05, ** p < 0.01, *** p < 0.001',
  'p (df = n − 2)',
  'p (df = n − 2 − k)',
  'p (permutation, Freedman–Lane)',
  'Task (p)',
  'Pearson r of the statistics across corpora',
  'Pearson r of the score differences across corpora',
  'Average score differences by language',
  'Corpus',
  'Score difference (after − before)',
  'Export SVG',
  'Light background for exports',
  'Sort by {0}',
  'after − before',
  'after: {0}',
  'before ({0}): {1}',
] as const;
export type FigureString = (typeof FIGURE_STRINGS)[number];

export interface FigureText {
  readonly title: string;
  /** What decides the numbers: covariates, the p-value rule of the stars. */
  readonly subtitle: readonly string[];
  readonly x: string;
  readonly y: string;
}

/** The p-value rule that puts the stars on a bar, as the axis and caption name it. */
export function pValueRule(mode: CorrelationMode, pKind: PKind, translate: Translate = fillIn): string {
  if (mode === 'regular' || pKind === 'paper') return translate('p (df = n − 2)');
  return pKind === 'corrected' ? translate('p (df = n − 2 − k)') : translate('p (permutation, Freedman–Lane)');
}

/**
 * Title, subtitle lines and axis labels of a figure: the statistic and the mode by name, the
 * covariates of a partial r, and the p-value rule of the stars, so a figure read out of context
 * still says what it shows.
 */
export function figureText(
  id: FigureId,
  view: FigureView,
  names: { readonly statistic: (id: string) => string },
  covariates: readonly string[],
  translate: Translate = fillIn,
): FigureText {
  switch (id) {
    case 'bars': {
      const r = view.mode === 'partial' ? translate('partial r') : translate('Pearson r');
      const controlled =
        view.mode === 'partial'
          ? [
              translate(
                'Controlled for: {0}',
                covariates.length ? covariates.map(names.statistic).join(', ') : translate('none'),
              ),
            ]
          : [];
      return {
        title: translate('{0}: {1} by task', names.statistic(view.statistic), r),
        subtitle: [
          ...controlled,
          translate('Stars: {0}; * p < 0.05, ** p < 0.01, *** p < 0.001', pValueRule(view.mode, view.pKind, translate)),
        ],
        x: r,
        y: translate('Task (p)'),
      };
    }
    case 'statisticsHeatmap':
      return {
        title: translate('Correlations among the compositional statistics'),
        subtitle: [translate('Pearson r of the statistics across corpora')],
        x: '',
        y: '',
      };
    case 'tasksHeatmap':
      return {
        title: translate('Correlations among the tasks'),
        subtitle: [translate('Pearson r of the score differences across corpora')],
        x: '',
        y: '',
      };
    case 'averages':
      return {
        title: translate('Average score differences by language'),
        subtitle: [],
        x: translate('Corpus'),
        y: translate('Score difference (after − before)'),
      };
  }
}

/**
 * The file name of a figure, without extension: what it shows and in which view, so a PNG and an
 * SVG of the same view pair up and figures of different views do not overwrite each other's name.
 */
export function figureStem(id: FigureId, view: FigureView): string {
  switch (id) {
    case 'bars':
      return `bars-${view.statistic}-${view.mode}${view.mode === 'partial' ? `-p-${view.pKind}` : ''}`;
    case 'statisticsHeatmap':
      return 'heatmap-statistics';
    case 'tasksHeatmap':
      return 'heatmap-tasks';
    case 'averages':
      return 'averages';
  }
}

/** The light publication style every export uses unless the panel's theme is asked for. */
export const PUBLICATION_STYLE = {
  background: '#ffffff',
  foreground: '#1a1a1a',
  grid: '#d4d4d4',
  font: 'Helvetica, Arial, "Noto Sans CJK JP", sans-serif',
} as const;

export interface FigureStyle {
  readonly background: string;
  readonly foreground: string;
  readonly grid: string;
  readonly font: string;
}

/**
 * Exported PNGs are drawn at three device pixels per CSS pixel: a figure laid out 700 px wide is
 * 2100 px, 300 dpi across a 7-inch two-column width (or 350 px → 1050 px for one 3.5-inch column).
 */
export const PRINT_PIXEL_RATIO = 3;

/** Figure sizes in CSS pixels (SVG user units): two-column width; the bars grow with the tasks. */
export function figureSize(id: FigureId, rows: number): { readonly width: number; readonly height: number } {
  switch (id) {
    case 'bars':
      return { width: 700, height: Math.max(260, 140 + rows * 18) };
    case 'statisticsHeatmap':
      return { width: 560, height: 500 };
    case 'tasksHeatmap':
      return { width: 760, height: 760 };
    case 'averages':
      return { width: 700, height: 360 };
  }
}
