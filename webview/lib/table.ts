import { type DataTable, formatCell } from '../../src/protocol/views';
import { h } from './dom';

export interface TableOptions {
  /** Column keys that sort on click, and the current sort. */
  readonly sortable?: readonly string[];
  readonly sortKey?: string;
  readonly descending?: boolean;
  readonly onSort?: (key: string) => void;
  /** Shade numeric cells on a diverging scale centred at zero. */
  readonly colour?: boolean;
  readonly id: string;
}

/** Renders a core DataTable as an accessible HTML table: group rows, marked cells, sortable headers. */
export function renderTable(table: DataTable, options: TableOptions): HTMLTableElement {
  const numeric = table.columns.map((c) => c.digits !== undefined);
  let maxAbs = 0;
  if (options.colour)
    for (const row of table.rows)
      for (const [j, v] of row.entries())
        if (numeric[j] && typeof v === 'number') maxAbs = Math.max(maxAbs, Math.abs(v));
  const head = h(
    'tr',
    {},
    ...table.columns.map((c, j) => {
      const sortable = options.sortable?.includes(c.key);
      const active = options.sortKey === c.key;
      const arrow = active ? (options.descending ? ' ▼' : ' ▲') : '';
      const label = sortable
        ? h(
            'button',
            { class: 'sort', type: 'button', 'data-key': c.key, onclick: () => options.onSort?.(c.key) },
            c.label + arrow,
          )
        : c.label;
      return h(
        'th',
        {
          scope: 'col',
          class: numeric[j] ? 'num' : '',
          'aria-sort': active ? (options.descending ? 'descending' : 'ascending') : false,
        },
        label,
      );
    }),
  );
  const groups = new Map((table.groups ?? []).map((g) => [g.row, g.label]));
  const body = h('tbody');
  table.rows.forEach((row, i) => {
    const group = groups.get(i);
    if (group !== undefined)
      body.append(
        h('tr', { class: 'group' }, h('th', { colspan: String(table.columns.length), scope: 'rowgroup' }, group)),
      );
    const marks = new Set(table.marks?.[i] ?? []);
    body.append(
      h(
        'tr',
        { 'data-row': String(row[0] ?? '') },
        ...row.map((cell, j) => {
          const text = formatCell(cell, table.columns[j]);
          const td = h(
            j === 0 ? 'th' : 'td',
            {
              scope: j === 0 ? 'row' : false,
              class: [numeric[j] ? 'num' : '', marks.has(j) ? 'best' : ''].join(' ').trim(),
              'data-col': table.columns[j].key,
              title: typeof cell === 'number' ? String(cell) : false,
            },
            text,
          );
          if (options.colour && numeric[j] && typeof cell === 'number' && maxAbs > 0) {
            const a = (Math.abs(cell) / maxAbs) * 0.45;
            // CSSOM, not a style attribute: allowed under the panel's strict CSP.
            td.style.backgroundColor =
              cell >= 0 ? `rgba(220, 60, 60, ${a.toFixed(3)})` : `rgba(50, 110, 220, ${a.toFixed(3)})`;
          }
          return td;
        }),
      ),
    );
  });
  return h('table', { id: options.id, class: 'data' }, h('caption', {}, table.title), h('thead', {}, head), body);
}
