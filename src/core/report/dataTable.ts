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
  for (const row of table.rows)
    lines.push(
      row
        .map((cell) => csvField(cell === null ? '' : typeof cell === 'number' ? String(cell) : neutraliseFormula(cell)))
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
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

/**
 * Characters the panels use that pdflatex's default input does not take: typeset as math (the
 * Unicode minus of the headers is the minus sign it stands for).
 */
const LATEX_UNICODE: Record<string, string> = {
  '\u2212': '$-$',
  '\u00d7': '$\\times$',
  '\u2264': '$\\leq$',
  '\u2265': '$\\geq$',
  '\u2260': '$\\neq$',
  '\u03c1': '$\\rho$',
  '\u2192': '$\\rightarrow$',
  '\u2190': '$\\leftarrow$',
  '\u00b1': '$\\pm$',
  '\u2013': '--',
  '\u2014': '---',
  '\u2026': '\\ldots{}',
  '\u2605': '$\\star$',
  '\u00b7': '$\\cdot$',
  '\u2248': '$\\approx$',
};

export function latexEscape(s: string): string {
  return s.replace(
    /[\\&%$#_{}~^\u2212\u00d7\u2264\u2265\u2260\u03c1\u2192\u2190\u00b1\u2013\u2014\u2026\u2605\u00b7\u2248]/g,
    (c) => LATEX_SPECIALS[c] ?? LATEX_UNICODE[c],
  );
}

/** A number as LaTeX sets it: a minus sign, not a hyphen. */
function latexNumber(text: string): string {
  return text.startsWith('-') ? `$-$${text.slice(1)}` : text;
}

/** `tab:` and the title's ASCII letters and digits: a label \ref can name. */
export function latexLabel(title: string): string {
  return `tab:${
    title
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'table'
  }`;
}

/**
 * A booktabs table for a paper: numbers right-aligned at the panel's precision with true minus
 * signs, marks in bold, group rows spanning, the title as its caption and a label from it. Needs
 * `\\usepackage{booktabs}`; compiles with pdflatex as it is.
 */
export function toLatex(table: DataTable): string {
  const align = table.columns.map((c) => (c.digits === undefined ? 'l' : 'r')).join('');
  const groupAt = new Map((table.groups ?? []).map((g) => [g.row, g.label]));
  const out = [
    '% Corpus Lab export; needs \\usepackage{booktabs}',
    '\\begin{table}[t]',
    '\\centering',
    `\\caption{${latexEscape(table.title)}}`,
    `\\label{${latexLabel(table.title)}}`,
    `\\begin{tabular}{${align}}`,
    '\\toprule',
    `${table.columns.map((c) => latexEscape(c.label)).join(' & ')} \\\\`,
    '\\midrule',
  ];
  table.rows.forEach((row, i) => {
    const group = groupAt.get(i);
    if (group !== undefined) {
      if (i > 0) out.push('\\midrule');
      out.push(`\\multicolumn{${table.columns.length}}{l}{\\textit{${latexEscape(group)}}} \\\\`);
    }
    const marks = new Set(table.marks?.[i] ?? []);
    out.push(
      `${row
        .map((cell, j) => {
          const formatted = formatCell(cell, table.columns[j]);
          const text = typeof cell === 'number' ? latexNumber(formatted) : latexEscape(formatted);
          return marks.has(j) && text ? `\\textbf{${text}}` : text;
        })
        .join(' & ')} \\\\`,
    );
  });
  out.push('\\bottomrule', '\\end{tabular}', '\\end{table}', '');
  return out.join('\n');
}
