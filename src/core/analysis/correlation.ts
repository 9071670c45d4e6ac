import betainc from '@stdlib/math-base-special-betainc';
import { Matrix, QrDecomposition } from 'ml-matrix';
import { type AnalysisMessage, message } from './messages';
import type { Interval } from './schemas';

/**
 * A column whose spread is within this share of its largest magnitude is constant: the mean of six
 * copies of 0.7 differs from 0.7 by about 1e-16, and the deviations left over are rounding, not data.
 */
export const CONSTANT_TOLERANCE = 1e-12;

/** Whether the values do not vary, judged on their own scale. */
export function isConstant(v: ArrayLike<number>): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  return !(hi - lo > CONSTANT_TOLERANCE * Math.max(Math.abs(lo), Math.abs(hi)));
}

/** Pearson's r; undefined when either side is constant (r would be 0/0, or rounding noise). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  if (isConstant(x) || isConstant(y)) return undefined;
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
  return clamp(sxy / Math.sqrt(sxx * syy));
}

function clamp(r: number): number {
  return Math.max(-1, Math.min(1, r));
}

/**
 * Two-sided p-value of r under H0 ρ = 0 with `df` degrees of freedom. With t² = df r² / (1 − r²),
 * P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2) = I_{1−r²}(df/2, 1/2): the regularized incomplete beta,
 * evaluated directly rather than as 2(1 − cdf), which loses digits for small p and can pass 1.
 */
export function correlationPValue(r: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`no degrees of freedom (df = ${df})`);
  const a = Math.abs(r);
  if (a >= 1) return 0;
  const p = betainc((1 - a) * (1 + a), df / 2, 0.5);
  return Math.max(0, Math.min(1, p));
}

/**
 * Residual maker for a set of covariates: y ↦ y − D(D⁺y) with D = [1 | Z], computed once from the
 * thin QR of D so that every outcome regressed on the same covariates costs one matrix-vector pass.
 */
export class Residualizer {
  /** Orthonormal basis of the column space of [1 | Z], one row per basis vector. */
  readonly basis: readonly Float64Array[];

  constructor(
    readonly n: number,
    covariates: readonly (readonly number[])[],
  ) {
    const d = new Matrix(n, covariates.length + 1);
    for (let i = 0; i < n; i++) {
      d.set(i, 0, 1);
      covariates.forEach((z, j) => {
        d.set(i, j + 1, z[i]);
      });
    }
    this.basis = new QrDecomposition(d).orthogonalMatrix
      .transpose()
      .to2DArray()
      .map((row) => Float64Array.from(row));
  }

  residuals(y: ArrayLike<number>): Float64Array {
    const out = Float64Array.from(y);
    for (const qk of this.basis) {
      let dot = 0;
      for (let i = 0; i < this.n; i++) dot += qk[i] * y[i];
      for (let i = 0; i < this.n; i++) out[i] -= dot * qk[i];
    }
    return out;
  }
}

/** 1 − R² of y regressed (with intercept) on the covariates: the share of its variance left over. */
export function unexplainedShare(y: readonly number[], covariates: readonly (readonly number[])[]): number {
  if (isConstant(y)) return 0;
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const ss = y.reduce((a, b) => a + (b - mean) ** 2, 0);
  const r = new Residualizer(n, covariates).residuals(y);
  let rss = 0;
  for (const v of r) rss += v * v;
  return rss / ss;
}

export interface PermutationResult {
  readonly p: number;
  /** Orderings counted that reach the observed |partial r|, the observed one included. */
  readonly hits: number;
  readonly method: 'exact' | 'monte-carlo';
  /** n! when exhaustive, else the Monte Carlo sample size. */
  readonly permutations: number;
  /** The seed of this test's own Monte Carlo stream. */
  readonly stream?: number;
}

export const EXACT_PERMUTATION_MAX_N = 8;
export const DEFAULT_PERMUTATION_SAMPLES = 10_000;
/** Above this, a Monte Carlo p is more precise than the rest of the analysis while the run takes minutes per test. */
export const MAX_PERMUTATION_SAMPLES = 1_000_000;
/**
 * Two orderings tie when their |partial r| differ by less than this. r is scale-free (the dot
 * product over the norms of the terms compared), so this is a tolerance on the scale of the terms:
 * exact ties such as mirror orderings count whatever r is, and floating-point error (≤ about 1e-12
 * after 8! incremental updates) never decides a comparison.
 */
export const TIE_TOLERANCE = 1e-10;

/**
 * Freedman–Lane permutation p-value of the partial correlation of x and y given covariates Z.
 * `rx` and `e` are the residuals of x and of y on [1 | Z] (the reduced model), `basis` an
 * orthonormal basis of [1 | Z]. Each ordering π permutes e and adds back the reduced model's fitted
 * values, y* = ŷ + Pπ e; refitting the full model gives partial r* = rx·(I − H)y* / (‖rx‖ ‖(I − H)y*‖).
 * As ŷ lies in [1 | Z] and rx is orthogonal to it, rx·(I − H)y* = rx·Pπe and
 * ‖(I − H)y*‖² = ‖e‖² − Σₖ (qₖ·Pπe)²: a handful of dot products per ordering, each changed in O(1)
 * when Heap's algorithm swaps two positions. Without covariates this is the ordinary permutation test.
 * All n! orderings for n ≤ 8; above, a Monte Carlo sample from the given stream seed.
 */
export function freedmanLanePValue(
  rx: ArrayLike<number>,
  e: ArrayLike<number>,
  basis: readonly ArrayLike<number>[],
  options: { samples?: number; stream?: number } = {},
): PermutationResult | undefined {
  const n = rx.length;
  const x = Float64Array.from(rx);
  const y = Float64Array.from(e);
  let xx = 0;
  let ee = 0;
  for (let i = 0; i < n; i++) {
    xx += x[i] * x[i];
    ee += y[i] * y[i];
  }
  if (!(xx > 0) || !(ee > 0)) return undefined;
  // A constant basis vector (the intercept's) has the same dot product with every ordering of e:
  // its share comes off ‖e‖² once, and the loops run over the covariates' vectors only.
  let fixed = ee;
  const varying = basis.filter((b) => {
    if (!isConstant(b)) return true;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += b[i] * y[i];
    fixed -= dot * dot;
    return false;
  });
  const m = varying.length;
  // Basis vectors side by side, q[k n + i], so the per-ordering loops touch one typed array.
  const q = new Float64Array(m * n);
  for (const [k, b] of varying.entries()) q.set(Array.from(b), k * n);
  // Per ordering: sₖ = qₖ·Pe and d = rx·Pe (kept in acc[0]); the loops below are written out rather
  // than in closures, because a number a closure updates lives boxed on the heap.
  const acc = new Float64Array(m + 1);
  fillDots(x, y, q, acc);
  const observed = Math.abs(acc[0]) / Math.sqrt(xx * residualSquares(fixed, acc));
  // r*² = d² / (xx S) with S = ‖e‖² − Σ sₖ²; compared as d² ≥ t² xx S, no square root per ordering.
  const t = Math.max(0, observed - TIE_TOLERANCE);
  const scale = t * t * xx;

  if (n <= EXACT_PERMUTATION_MAX_N) {
    const c = new Int32Array(n);
    let hits = 1;
    let total = 1;
    let i = 1;
    while (i < n) {
      if (c[i] < i) {
        const j = i % 2 === 0 ? 0 : c[i];
        const dy = y[j] - y[i];
        acc[0] += (x[i] - x[j]) * dy;
        for (let k = 0; k < m; k++) acc[k + 1] += (q[k * n + i] - q[k * n + j]) * dy;
        const tmp = y[i];
        y[i] = y[j];
        y[j] = tmp;
        total++;
        const left = residualSquares(fixed, acc);
        if (left > 0 && acc[0] * acc[0] >= scale * left) hits++;
        c[i]++;
        i = 1;
      } else {
        c[i] = 0;
        i++;
      }
    }
    return { p: hits / total, hits, method: 'exact', permutations: total };
  }

  const samples = options.samples ?? DEFAULT_PERMUTATION_SAMPLES;
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_PERMUTATION_SAMPLES) {
    throw new RangeError(`permutation samples must be an integer from 1 to ${MAX_PERMUTATION_SAMPLES}, got ${samples}`);
  }
  const stream = (options.stream ?? 0) >>> 0;
  const random = mulberry32(stream);
  let hits = 0;
  for (let draw = 0; draw < samples; draw++) {
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      const tmp = y[k];
      y[k] = y[j];
      y[j] = tmp;
    }
    fillDots(x, y, q, acc);
    const left = residualSquares(fixed, acc);
    if (left > 0 && acc[0] * acc[0] >= scale * left) hits++;
  }
  // (hits + 1) / (samples + 1): the observed ordering counts, so p is never 0 (Phipson & Smyth 2010).
  return { p: (hits + 1) / (samples + 1), hits, method: 'monte-carlo', permutations: samples, stream };
}

/** acc[0] = x·y, acc[k + 1] = qₖ·y for the basis vectors stored side by side in q. */
function fillDots(x: Float64Array, y: Float64Array, q: Float64Array, acc: Float64Array) {
  const n = x.length;
  acc.fill(0);
  for (let i = 0; i < n; i++) {
    acc[0] += x[i] * y[i];
    for (let k = 1; k < acc.length; k++) acc[k] += q[(k - 1) * n + i] * y[i];
  }
}

/** ‖(I − H)Pe‖² = ‖e‖² − Σₖ (qₖ·Pe)², the constant vectors' share already off `fixed`. */
function residualSquares(fixed: number, acc: Float64Array): number {
  let left = fixed;
  for (let k = 1; k < acc.length; k++) left -= acc[k] * acc[k];
  return left;
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

/**
 * The seed of one test's Monte Carlo stream: FNV-1a of the test's key (UTF-16 code units), mixed with the run's seed by
 * MurmurHash3's finalizer, so that tests draw different orderings and each is reproducible alone.
 */
export function streamSeed(seed: number, key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= Math.imul(seed >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function ascending(p: readonly number[]): number[] {
  return p.map((_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
}

/** Benjamini–Hochberg q-values (step-up adjusted p-values), in the input order. */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = ascending(p);
  const q = new Array<number>(m);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    running = Math.min(running, (p[order[k]] * m) / (k + 1));
    q[order[k]] = running;
  }
  return q;
}

/** Holm's step-down adjusted p-values (family-wise error), in the input order. */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = ascending(p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p[i]));
    out[i] = running;
  });
  return out;
}

/** The normal quantile of a two-sided 95 % interval, Φ⁻¹(0.975). */
export const Z_975 = 1.959963984540054;

/**
 * 95 % confidence interval of a (partial) correlation by Fisher's z: atanh(r) ± z₀.₉₇₅ / √(n − 3 − k),
 * mapped back by tanh. k covariates cost k degrees of freedom, as in the corrected p-value. Undefined,
 * with the cause, when n − 3 − k ≤ 0: the standard error of z has no finite value there.
 */
export function fisherInterval(r: number, n: number, k: number): Interval | { readonly error: AnalysisMessage } {
  const df = n - 3 - k;
  if (!(df > 0)) return { error: message('noInterval', { n, k, df }) };
  const z = Math.atanh(Math.max(-1, Math.min(1, r)));
  const half = Z_975 / Math.sqrt(df);
  // atanh(±1) is ±∞ and tanh brings it back to ±1: a perfect correlation's interval is the point.
  return { low: Math.tanh(z - half), high: Math.tanh(z + half) };
}
