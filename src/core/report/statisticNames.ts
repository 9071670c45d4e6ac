import type { DataTable } from './dataTable';

/**
 * A tests table with its statistics by name rather than id — the statistic column and the
 * covariates, listed with commas — in the reader's language (`name` translates an id). The panel
 * shows and the extension exports the same, so the two never disagree.
 */
export function withStatisticNames(table: DataTable, name: (id: string) => string): DataTable {
  const statistic = table.columns.findIndex((c) => c.key === 'statistic');
  const covariates = table.columns.findIndex((c) => c.key === 'covariates');
  if (statistic < 0 && covariates < 0) return table;
  return {
    ...table,
    rows: table.rows.map((row) =>
      row.map((cell, j) => {
        if (typeof cell !== 'string') return cell;
        if (j === statistic) return name(cell);
        // The core lists covariates as `a + b`, and none as `—`.
        if (j === covariates && cell !== '—') return cell.split(' + ').map(name).join(', ');
        return cell;
      }),
    ),
  };
}
