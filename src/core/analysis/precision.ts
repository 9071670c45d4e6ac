import { Matrix, QrDecomposition } from 'ml-matrix';
import { type AnalysisMessage, message } from './messages';
import { COMPOSITION_COLUMNS, type StatisticId } from './statistics';

/**
 * What a printed table can and cannot tell apart. A cell printed as `42.76` stands for any value
 * within ±0.005 of it; relations among the statistics (total = Japanese + English + parallel,
 * ratio = count / total) hold for the true values, so they hold for the printed ones only up to
 * those half-units. Computed compositions (from recipes) are exact: their half-unit is 0.
 */

/** Half a unit of the last printed digit of a decimal number as written (`42.76` → 0.005, `1.5e3` → 50). */
export function halfUnit(raw: string): number {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(raw.trim());
  if (!m) return 0;
  const decimals = (m[2] ?? '').length - Number(m[3] ?? 0);
  // Divide by an exact power of ten rather than multiply by an inexact negative one (10 ** -4 ≠ 1e-4).
  return decimals >= 0 ? 0.5 / 10 ** decimals : 0.5 * 10 ** -decimals;
}

/** Room left for floating-point error on top of the printed precision, relative to the values compared. */
const FLOAT_SLACK = 1e-9;

/**
 * Inconsistencies a composition table cannot have if its cells are its counts rounded: a total that
 * differs from the sum of its counts, or a ratio that differs from count / total, by more than the
 * cells' printed precision allows. One message per cell, naming the file, corpus and column.
 */
export function compositionInconsistencies(
  file: string,
  corpora: readonly string[],
  values: Readonly<Record<StatisticId, readonly number[]>>,
  halfUnits: Readonly<Record<StatisticId, readonly number[]>> | undefined,
): AnalysisMessage[] {
  const h = (id: StatisticId, i: number) => halfUnits?.[id][i] ?? 0;
  const out: AnalysisMessage[] = [];
  const fmt = (v: number) => String(+v.toPrecision(6));
  corpora.forEach((corpus, i) => {
    const total = values.total_tokens[i];
    const counts = (['japanese_tokens', 'english_tokens', 'parallel_tokens'] as const).map((id) => values[id][i]);
    const sum = counts[0] + counts[1] + counts[2];
    const sumRoom =
      h('total_tokens', i) +
      h('japanese_tokens', i) +
      h('english_tokens', i) +
      h('parallel_tokens', i) +
      FLOAT_SLACK * Math.abs(total);
    if (Math.abs(total - sum) > sumRoom) {
      out.push(
        message('totalMismatch', {
          file,
          corpus,
          column: COMPOSITION_COLUMNS.total_tokens,
          value: fmt(total),
          sum: fmt(sum),
          room: fmt(sumRoom),
        }),
      );
    }
    if (!(total > 0)) return;
    const ratios = [
      ['japanese_ratio', 'japanese_tokens'],
      ['english_ratio', 'english_tokens'],
      ['parallel_ratio', 'parallel_tokens'],
    ] as const;
    for (const [ratio, count] of ratios) {
      const c = values[count][i];
      const expected = (100 * c) / total;
      // d(c/t) ≤ h_c / t + c h_t / t²: the printed count and total move the ratio by at most this much.
      const room =
        h(ratio, i) +
        100 * (h(count, i) / total + (Math.abs(c) * h('total_tokens', i)) / (total * total)) +
        FLOAT_SLACK * Math.max(1, Math.abs(expected));
      if (Math.abs(values[ratio][i] - expected) > room) {
        out.push(
          message('ratioMismatch', {
            file,
            corpus,
            column: COMPOSITION_COLUMNS[ratio],
            value: fmt(values[ratio][i]),
            count: COMPOSITION_COLUMNS[count],
            total: COMPOSITION_COLUMNS.total_tokens,
            expected: fmt(expected),
            room: fmt(room),
          }),
        );
      }
    }
  });
  return out;
}

/**
 * Whether `target` is a linear function (with intercept) of `predictors` up to the rounding of the
 * printed cells: the least-squares fit leaves no more than the rounding could, i.e. its residual sum
 * of squares is within Σᵢ (h_target,i + Σⱼ |βⱼ| h_j,i)², the worst case of the exact relation's
 * residuals when every cell is off by its half-unit. With exact inputs (half-units 0) this is
 * exact collinearity, up to floating-point error on the scale of the target.
 */
export function determinedWithinPrecision(
  target: readonly number[],
  targetHalfUnits: readonly number[],
  predictors: readonly (readonly number[])[],
  predictorHalfUnits: readonly (readonly number[])[],
): boolean {
  const n = target.length;
  if (predictors.length === 0) return false;
  const d = new Matrix(n, predictors.length + 1);
  for (let i = 0; i < n; i++) {
    d.set(i, 0, 1);
    predictors.forEach((z, j) => {
      d.set(i, j + 1, z[i]);
    });
  }
  const qr = new QrDecomposition(d);
  if (!qr.isFullRank()) return false; // collinear predictors are refused on their own account
  const beta = qr.solve(Matrix.columnVector([...target])).getColumn(0);
  let rss = 0;
  let allowed = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    let fit = beta[0];
    let room = targetHalfUnits[i];
    predictors.forEach((z, j) => {
      fit += beta[j + 1] * z[i];
      room += Math.abs(beta[j + 1]) * predictorHalfUnits[j][i];
    });
    rss += (target[i] - fit) ** 2;
    allowed += room * room;
    scale = Math.max(scale, Math.abs(target[i]));
  }
  return rss <= allowed + (FLOAT_SLACK * scale) ** 2 * n;
}
