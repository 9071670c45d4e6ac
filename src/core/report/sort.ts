import type { Cell, DataTable } from './dataTable';

/**
 * The order of a table's rows by one column, as a click on its header asks: numbers by value,
 * text in the reader's order with digits as numbers ("Task 2" before "Task 10"); empty cells last
 * whichever the direction, since a missing number is neither large nor small. Rows that tie keep
 * their order (Array.prototype.sort is stable), so sorting by category keeps the tasks' order within.
 */
export function compareCells(a: Cell, b: Cell, descending: boolean): number {
  const aEmpty = a === null || a === '';
  const bEmpty = b === null || b === '';
  if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? 1 : -1;
  const sign = descending ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  // A column mixing numbers and text (rare) puts the numbers first.
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return sign * COLLATOR.compare(a, b);
}

const COLLATOR = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Whether a first click sorts the column descending: numbers (best r on top) yes, text A→Z. */
export function descendingFirst(table: DataTable, key: string): boolean {
  return table.columns.find((c) => c.key === key)?.digits !== undefined;
}

/**
 * The table sorted by the column `key` (no key, or one it lacks: as it was). Groups no longer hold
 * once rows move, so a sorted table has none; marks move with their rows.
 */
export function sortTable(table: DataTable, key: string | undefined, descending: boolean): DataTable {
  const j = key === undefined ? -1 : table.columns.findIndex((c) => c.key === key);
  if (j < 0) return table;
  const order = table.rows
    .map((_, i) => i)
    .sort((x, y) => compareCells(table.rows[x][j], table.rows[y][j], descending));
  return {
    ...table,
    rows: order.map((i) => table.rows[i]),
    marks: table.marks ? order.map((i) => table.marks?.[i] ?? []) : undefined,
    groups: undefined,
  };
}
