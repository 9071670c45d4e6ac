import assert from 'node:assert/strict';
import type { AnalysisResult } from '../../src/core/analysis/analyze';
import { type AnalysisMessage, renderMessage } from '../../src/core/analysis/messages';

/** The shape of test/fixtures/analysis/*-reference.json (make_reference.py), and the comparison at 1e-9. */
export type Num = number | null;
export interface RefTest {
  task: string;
  statistic: string;
  covariates: string[];
  regular: { r: Num; p: Num; ci: RefInterval };
  partial: { r: Num; p: Num; pCorrected: Num; pPermutation: Num; ci: RefInterval };
  hits: Num;
  family: string;
  q: Num;
  holm: Num;
  duplicateOf: { statistic: string; task: string; sign: number } | null;
}

export type RefInterval = { low: number; high: number } | null;

export const TOLERANCE = 1e-9;

/** A 95 % interval against the reference's; a missing one must say why when its r exists. */
function closeInterval(
  side: { r: Num; ci: RefInterval | undefined; ciError?: AnalysisMessage },
  expected: RefInterval,
  what: string,
) {
  if (expected === null) {
    assert.equal(side.ci, null, `${what}: ${JSON.stringify(side.ci)} where the reference has none`);
    if (side.r !== null)
      assert.match(
        side.ciError ? renderMessage(side.ciError) : '',
        /^no 95 % confidence interval: Fisher z needs n − 3 − k > 0, here \d+ − 3 − \d+ = -?\d+$/,
        what,
      );
    return;
  }
  close(side.ci?.low, expected.low, `${what} low`);
  close(side.ci?.high, expected.high, `${what} high`);
  assert.equal(side.ciError, undefined, what);
}
export function close(actual: Num | undefined, expected: Num, what: string) {
  if (expected === null) return assert.equal(actual, null, `${what}: ${actual} where the reference has none`);
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= TOLERANCE,
    `${what}: ${actual} vs reference ${expected}`,
  );
}

/** Every number of every test against the reference; permutation p only where the reference enumerated. */
export function compare(result: AnalysisResult, expected: RefTest[], label = '') {
  assert.equal(result.tests.length, expected.length);
  for (const ref of expected) {
    const t = result.tests.find((x) => x.task === ref.task && x.statistic === ref.statistic);
    const what = `${label}${ref.task} ~ ${ref.statistic}`;
    assert.ok(t, what);
    assert.deepEqual(t.covariates, ref.covariates, what);
    assert.equal(
      t.error === undefined,
      ref.partial.r !== null,
      `${what}: ${t.error ? renderMessage(t.error) : 'defined'} vs reference ${ref.partial.r}`,
    );
    close(t.regular.r, ref.regular.r, `${what} regular r`);
    close(t.regular.p, ref.regular.p, `${what} regular p`);
    close(t.partial.r, ref.partial.r, `${what} partial r`);
    close(t.partial.p, ref.partial.p, `${what} partial p`);
    close(t.partial.pCorrected, ref.partial.pCorrected, `${what} corrected p`);
    closeInterval(t.regular, ref.regular.ci, `${what} regular 95 % CI`);
    closeInterval(t.partial, ref.partial.ci, `${what} partial 95 % CI`);
    if (ref.hits !== null) {
      assert.equal(t.permutation?.hits, ref.hits, `${what} Freedman–Lane count`);
      close(t.partial.pPermutation, ref.partial.pPermutation, `${what} permutation p`);
    }
    assert.equal(t.family, ref.family, what);
    assert.deepEqual(t.duplicateOf ?? null, ref.duplicateOf, what);
    close(t.q, ref.q, `${what} q`);
    close(t.holm, ref.holm, `${what} Holm`);
  }
}
