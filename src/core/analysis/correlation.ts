import jStat from 'jstat';
import { Matrix, QrDecomposition } from 'ml-matrix';

/** Pearson's r; undefined when either side has no variance (r would be 0/0). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return undefined;
  return clamp(sxy / Math.sqrt(sxx * syy));
}

function clamp(r: number): number {
  return Math.max(-1, Math.min(1, r));
}

/** Two-sided p-value of r under H0 ρ = 0 with `df` degrees of freedom (t = r √(df / (1 − r²))). */
export function correlationPValue(r: number, df: number): number {
  if (df <= 0) throw new RangeError(`no degrees of freedom (df = ${df})`);
  if (Math.abs(r) >= 1) return 0;
  const t = Math.abs(r) * Math.sqrt(df / (1 - r * r));
  return 2 * (1 - jStat.studentt.cdf(t, df));
}

/**
 * Residual maker for a set of covariates: y ↦ y − D(D⁺y) with D = [1 | Z], computed once from the
 * thin QR of D so that every outcome regressed on the same covariates costs one matrix-vector pass.
 */
export class Residualizer {
  private readonly q: number[][];

  constructor(readonly n: number, covariates: readonly (readonly number[])[]) {
    const d = new Matrix(n, covariates.length + 1);
    for (let i = 0; i < n; i++) {
      d.set(i, 0, 1);
      covariates.forEach((z, j) => d.set(i, j + 1, z[i]));
    }
    this.q = new QrDecomposition(d).orthogonalMatrix.transpose().to2DArray();
  }

  residuals(y: readonly number[]): Float64Array {
    const out = Float64Array.from(y);
    for (const qk of this.q) {
      let dot = 0;
      for (let i = 0; i < this.n; i++) dot += qk[i] * y[i];
      for (let i = 0; i < this.n; i++) out[i] -= dot * qk[i];
    }
    return out;
  }
}

/** 1 − R² of y regressed (with intercept) on the covariates: the share of its variance left over. */
export function unexplainedShare(y: readonly number[], covariates: readonly (readonly number[])[]): number {
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const ss = y.reduce((a, b) => a + (b - mean) ** 2, 0);
  if (!(ss > 0)) return 0;
  const r = new Residualizer(n, covariates).residuals(y);
  let rss = 0;
  for (const v of r) rss += v * v;
  return rss / ss;
}

export interface PermutationResult {
  readonly p: number;
  readonly method: 'exact' | 'monte-carlo';
  readonly permutations: number;
  readonly seed?: number;
}

export const EXACT_PERMUTATION_MAX_N = 8;

/**
 * Permutation p-value of the correlation of two residual vectors: the share of orderings of `ry`
 * whose |r| reaches the observed |r|. Residuals of a regression with intercept have mean zero, so r
 * under a permutation is the dot product over fixed norms; Heap's algorithm changes two positions
 * per step, so each of the n! orderings costs O(1). Above n = 8, a seeded Monte Carlo sample.
 */
export function permutationPValue(rx: ArrayLike<number>, ry: ArrayLike<number>, options: { samples?: number; seed?: number } = {}): PermutationResult | undefined {
  const n = rx.length;
  const x = Float64Array.from(rx);
  const y = Float64Array.from(ry);
  center(x);
  center(y);
  let nx = 0;
  let ny = 0;
  let dot = 0;
  for (let i = 0; i < n; i++) {
    nx += x[i] * x[i];
    ny += y[i] * y[i];
    dot += x[i] * y[i];
  }
  if (!(nx > 0) || !(ny > 0)) return undefined;
  // Ties (the identity and its mirror images) must count: compare with a relative tolerance.
  const threshold = Math.abs(dot) * (1 - 1e-12);

  if (n <= EXACT_PERMUTATION_MAX_N) {
    const c = new Array<number>(n).fill(0);
    let hits = 1;
    let total = 1;
    let i = 1;
    while (i < n) {
      if (c[i] < i) {
        const j = i % 2 === 0 ? 0 : c[i];
        dot += x[j] * (y[i] - y[j]) + x[i] * (y[j] - y[i]);
        const t = y[i];
        y[i] = y[j];
        y[j] = t;
        total++;
        if (Math.abs(dot) >= threshold) hits++;
        c[i]++;
        i = 1;
      } else {
        c[i] = 0;
        i++;
      }
    }
    return { p: hits / total, method: 'exact', permutations: total };
  }

  const samples = options.samples ?? 10_000;
  const seed = options.seed ?? 20_240_601;
  const random = mulberry32(seed);
  let hits = 0;
  for (let s = 0; s < samples; s++) {
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      const t = y[k];
      y[k] = y[j];
      y[j] = t;
    }
    let d = 0;
    for (let k = 0; k < n; k++) d += x[k] * y[k];
    if (Math.abs(d) >= threshold) hits++;
  }
  // (hits + 1) / (samples + 1): the observed ordering counts, so p is never 0 (Phipson & Smyth 2010).
  return { p: (hits + 1) / (samples + 1), method: 'monte-carlo', permutations: samples, seed };
}

function center(v: Float64Array) {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  for (let i = 0; i < v.length; i++) v[i] -= m;
}

/** A small, well-known seeded generator: the same seed gives the same Monte Carlo p everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Benjamini–Hochberg q-values (step-up adjusted p-values), in the input order. */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const q = new Array<number>(m);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const [v, i] = order[k];
    running = Math.min(running, (v * m) / (k + 1));
    q[i] = running;
  }
  return q;
}
