/**
 * A table as panels show it and exports write it: the one shape CSV and LaTeX are made from, so
 * that what a user exports is what the panel showed.
 */
export type Cell = string | number | null;

export interface Column {
  readonly key: string;
  readonly label: string;
  /** Digits after the point for numbers; text columns leave it out. */
  readonly digits?: number;
}

export interface DataTable {
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly Cell[])[];
  /** Row indices that start a group, with the group's label (e.g. "Japanese / MCQA"). */
  readonly groups?: readonly { readonly row: number; readonly label: string }[];
  /** Per row, the column indices to emphasise (e.g. the best corpus). */
  readonly marks?: readonly (readonly number[])[];
}

export function formatCell(cell: Cell, column: Column): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return column.digits === undefined ? String(cell) : cell.toFixed(column.digits);
  return cell;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+cmd|…`, `-2+3`, `@SUM(…)`, or
 * after a tab or carriage return) gets a leading `'`, as OWASP advises; task and corpus names come
 * from files anyone can write. Numbers are numbers, negative ones included, and stay as they are.
 */
export function neutraliseFormula(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** RFC 4180 CSV; numbers at full precision so that nothing is lost in the export. */
export function toCsv(table: DataTable): string {
  const lines = [table.columns.map((c) => csvField(neutraliseFormula(c.label))).join(',')];
  for (const row of table.rows) lines.push(row.map((cell) => csvField(cell === null ? '' : typeof cell === 'number' ? String(cell) : neutraliseFormula(cell))).join(','));
  return lines.join('\r\n') + '\r\n';
}

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
};

export function latexEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (c) => LATEX_SPECIALS[c]);
}

/** A booktabs tabular, numbers right-aligned at the panel's precision, marks in bold, group rows spanning. */
export function toLatex(table: DataTable): string {
  const align = table.columns.map((c) => (c.digits === undefined ? 'l' : 'r')).join('');
  const groupAt = new Map((table.groups ?? []).map((g) => [g.row, g.label]));
  const out = [
    `% ${latexEscape(table.title)}`,
    `\\begin{tabular}{${align}}`,
    '\\toprule',
    table.columns.map((c) => latexEscape(c.label)).join(' & ') + ' \\\\',
    '\\midrule',
  ];
  table.rows.forEach((row, i) => {
    const group = groupAt.get(i);
    if (group !== undefined) {
      if (i > 0) out.push('\\midrule');
      out.push(`\\multicolumn{${table.columns.length}}{l}{\\textit{${latexEscape(group)}}} \\\\`);
    }
    const marks = new Set(table.marks?.[i] ?? []);
    out.push(row.map((cell, j) => {
      const text = latexEscape(formatCell(cell, table.columns[j]));
      return marks.has(j) && text ? `\\textbf{${text}}` : text;
    }).join(' & ') + ' \\\\');
  });
  out.push('\\bottomrule', '\\end{tabular}', '');
  return out.join('\n');
}
