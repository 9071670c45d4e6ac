/**
 * The full paper analysis (27 tasks × 7 statistics, exact permutation p-values over all 720
 * orderings) against a naive reference that re-solves each regression and recomputes Pearson's r
 * for every ordering. Both run in this process, so the ratio holds whatever the machine.
 *   npm run bench
 */
import { Matrix, solve } from 'ml-matrix';
import * as path from 'node:path';
import { analyze } from '../src/core/analysis/analyze';
import { pearson } from '../src/core/analysis/correlation';
import { DEFAULT_COVARIATES, STATISTIC_IDS } from '../src/core/analysis/statistics';
import { readStudyDirectory } from '../src/core/analysis/study';
import { median, report, time } from './timing';

function naivePartial(x: number[], y: number[], z: number[][]) {
  const n = x.length;
  const d = new Matrix(n, z.length + 1);
  for (let i = 0; i < n; i++) {
    d.set(i, 0, 1);
    z.forEach((c, j) => d.set(i, j + 1, c[i]));
  }
  const resid = (v: number[]) => {
    const beta = solve(d, Matrix.columnVector(v));
    const fit = d.mmul(beta).getColumn(0);
    return v.map((vi, i) => vi - fit[i]);
  };
  const rx = resid(x);
  const ry = resid(y);
  const r = pearson(rx, ry)!;
  let hits = 0;
  let total = 0;
  const permute = (rest: number[], acc: number[]) => {
    if (rest.length === 0) {
      total++;
      if (Math.abs(pearson(rx, acc)!) >= Math.abs(r) * (1 - 1e-12)) hits++;
      return;
    }
    rest.forEach((v, i) => permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, v]));
  };
  permute(ry, []);
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

  // The two must agree before their speeds mean anything.
  const a = fast().tests;
  const b = naive();
  a.forEach((t, i) => {
    if (Math.abs(t.partial.r! - b[i].r) > 1e-9 || Math.abs(t.partial.pPermutation! - b[i].p) > 1e-12) throw new Error(`disagree at ${t.task} ~ ${t.statistic}`);
  });

  const fastMs = median(time(fast, 30));
  const naiveMs = median(time(naive, 5));
  report('analysis', [
    ['full paper analysis (189 tests, exact permutations)', fastMs],
    ['naive reference', naiveMs],
  ], `speed-up ×${(naiveMs / fastMs).toFixed(1)}; target ≤ 100 ms: ${fastMs <= 100 ? 'met' : 'MISSED'}`);
}

void main();
