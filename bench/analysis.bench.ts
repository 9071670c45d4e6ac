/**
 * The full paper analysis (27 tasks × 7 statistics, Freedman–Lane permutation p-values over all 720
 * orderings) against a naive reference that re-solves every regression: for each ordering it builds
 * y* = ŷ + Pπe, refits it on the covariates by least squares and recomputes Pearson's r of the
 * residuals. Both run in this process, so the ratio holds whatever the machine.
 *   npm run bench
 */

import * as path from 'node:path';
import { Matrix, solve } from 'ml-matrix';
import { analyze } from '../src/core/analysis/analyze';
import { pearson, TIE_TOLERANCE } from '../src/core/analysis/correlation';
import { DEFAULT_COVARIATES, STATISTIC_IDS } from '../src/core/analysis/statistics';
import { readStudyDirectory } from '../src/core/study/loadStudy';
import { median, report, time } from './timing';

function naivePartial(x: number[], y: number[], z: number[][]) {
  const n = x.length;
  const d = new Matrix(n, z.length + 1);
  for (let i = 0; i < n; i++) {
    d.set(i, 0, 1);
    z.forEach((c, j) => {
      d.set(i, j + 1, c[i]);
    });
  }
  const fitted = (v: number[]) => d.mmul(solve(d, Matrix.columnVector(v))).getColumn(0);
  const resid = (v: number[]) => {
    const fit = fitted(v);
    return v.map((vi, i) => vi - fit[i]);
  };
  const rx = resid(x);
  const yHat = fitted(y);
  const e = y.map((v, i) => v - yHat[i]);
  const r = pearson(rx, resid(y))!;
  let hits = 0;
  let total = 0;
  const permute = (rest: number[], acc: number[]) => {
    if (rest.length === 0) {
      total++;
      const ry = resid(acc.map((v, i) => yHat[i] + v));
      if (Math.abs(pearson(rx, ry)!) >= Math.abs(r) - TIE_TOLERANCE) hits++;
      return;
    }
    rest.forEach((v, i) => {
      permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, v]);
    });
  };
  permute(e, []);
  return { r, p: hits / total };
}

async function main() {
  const study = await readStudyDirectory(path.resolve(__dirname, '..', '..', 'examples', 'paper-study'));
  const { composition, scores } = study;
  const naive = () => {
    const out: { r: number; p: number }[] = [];
    for (const id of STATISTIC_IDS) {
      const z = DEFAULT_COVARIATES[id].map((c) => [...composition.values[c]]);
      for (const t of scores.tasks) out.push(naivePartial([...composition.values[id]], [...t.values], z));
    }
    return out;
  };
  const fast = () => analyze(composition, scores);
  const textOnly = () => analyze(composition, scores, { taskMatrix: false });

  // The two must agree before their speeds mean anything.
  const a = fast().tests;
  const b = naive();
  a.forEach((t, i) => {
    if (Math.abs(t.partial.r! - b[i].r) > 1e-9 || Math.abs(t.partial.pPermutation! - b[i].p) > 1e-12)
      throw new Error(`disagree at ${t.task} ~ ${t.statistic}`);
  });

  // Both warm up alike first, so that neither pays for the compiler's first passes.
  time(fast, 20);
  time(textOnly, 20);
  const fastMs = median(time(fast, 30));
  const textMs = median(time(textOnly, 30));
  const naiveMs = median(time(naive, 3));
  report(
    'analysis',
    [
      ['full paper analysis (189 tests, Freedman–Lane, 720 orderings)', fastMs],
      ['the same without the task × task matrix (CLI text)', textMs],
      ['naive reference (refits every ordering)', naiveMs],
    ],
    `speed-up ×${(naiveMs / fastMs).toFixed(1)}; target ≤ 100 ms: ${fastMs <= 100 ? 'met' : 'MISSED'}`,
  );
}

void main();
