/**
 * The pages' one door into the core: the pure, browser-safe functions a page computes its tables,
 * charts and curves with — the same ones the extension's exports and the CLI use, so a page shows
 * exactly what is exported. A page imports src/protocol/ and nothing else of src/ (a test checks it).
 */

export { renderMessage } from '../core/analysis/messages';
export type { CorrelationMatrix, PanelView } from '../core/analysis/schemas';
export { panelView } from '../core/analysis/schemas';
export { STATISTIC_IDS, STATISTIC_NAMES } from '../core/analysis/statistics';
export {
  averagesTable,
  barTooltip,
  correlationBars,
  DEFAULT_LABELS,
  type Labels,
  partialUnavailable,
  scoreDifferenceTable,
  shownMode,
  tableOneTable,
  testsTable,
} from '../core/analysis/views';
export { formatSlurmDuration } from '../core/jobs/accounting';
export { chartSeries, type Metric, mergePoints, type XAxis } from '../core/logs/runComparison';
export { MAX_SMOOTHING, smoothEma } from '../core/logs/smoothing';
export { type DataTable, formatCell } from '../core/report/dataTable';
export {
  type FigureId,
  type FigureStyle,
  type FigureText,
  figureSize,
  figureText,
  PRINT_PIXEL_RATIO,
  PUBLICATION_STYLE,
} from '../core/report/figure';
export { descendingFirst, sortTable } from '../core/report/sort';
export { withStatisticNames } from '../core/report/statisticNames';
export { standaloneSvg } from '../core/report/svg';
