import {
  benjaminiHochberg,
  correlationPValue,
  fisherInterval,
  freedmanLanePValue,
  holm,
  isConstant,
  MAX_PERMUTATION_SAMPLES,
  pearson,
  Residualizer,
  streamSeed,
  unexplainedShare,
} from './correlation';
import { type AnalysisMessage, message } from './messages';
import { compositionInconsistencies, determinedWithinPrecision } from './precision';
import type { AnalysisResult, CorrelationMatrix, FamilyScope, Interval, MultipleTesting, TestResult } from './schemas';
import { DEFAULT_COVARIATES, STATISTIC_IDS, type StatisticId } from './statistics';
import { type CompositionTable, type ScoreTable, TableError } from './tables';

// The result's shapes are declared once, as schemas the panels' messages are built from.
export { type AnalysisResult, FAMILY_SCOPES, type FamilyScope, type TestResult } from './schemas';

export const DEFAULT_SEED = 20_240_601;

export interface AnalysisOptions {
  /** Covariates per statistic, replacing the default rule for the statistics named. */
  readonly covariates?: Partial<Record<StatisticId, readonly StatisticId[]>>;
  readonly statistics?: readonly StatisticId[];
  /** Monte Carlo permutations per test when n > 8, and the seed every test's stream derives from. */
  readonly permutationSamples?: number;
  readonly seed?: number;
  /** The multiple-testing family; per statistic unless told otherwise. */
  readonly family?: FamilyScope;
  /** The task × task matrix is tasks² numbers: built only for whoever shows it (default true). */
  readonly taskMatrix?: boolean;
}

/** Below this share of unexplained variance a variable is a linear function of others, not data. */
const SINGULAR = 1e-10;
/** Variance inflation above which estimates are unstable enough to deserve a warning. */
const VIF_WARNING = 1000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Relates per-task score differences to the corpora's compositional statistics: regular Pearson r,
 * and partial r by the paper's method (Section 3.4): OLS of predictor and outcome on the covariates,
 * Pearson r of the residuals. p-values as the paper computed them (df = n − 2) and corrected
 * (df = n − 2 − k, as pingouin and R's ppcor), the Freedman–Lane permutation p, and BH q-values and
 * Holm-adjusted p-values within each multiple-testing family.
 */
export function analyze(
  composition: CompositionTable,
  scores: ScoreTable,
  options: AnalysisOptions = {},
): AnalysisResult {
  const corpora = alignCorpora(composition, scores);
  const n = corpora.length;
  const index = corpora.map((c) => composition.corpora.indexOf(c));
  const stat = (id: StatisticId) => index.map((i) => composition.values[id][i]);
  const half = (id: StatisticId) => index.map((i) => composition.halfUnits?.[id][i] ?? 0);
  const warnings: AnalysisMessage[] = compositionInconsistencies(
    composition.file,
    composition.corpora,
    composition.values,
    composition.halfUnits,
  );
  const seed = options.seed ?? DEFAULT_SEED;
  const scope = options.family ?? 'statistic';
  const samples = options.permutationSamples;
  if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1 && samples <= MAX_PERMUTATION_SAMPLES)) {
    throw new RangeError(`permutation samples must be an integer from 1 to ${MAX_PERMUTATION_SAMPLES}, got ${samples}`);
  }
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff))
    throw new RangeError(`the seed must be an integer from 0 to 4294967295, got ${seed}`);

  const covariates = { ...DEFAULT_COVARIATES, ...options.covariates } as Record<StatisticId, readonly StatisticId[]>;
  const statistics = options.statistics ?? STATISTIC_IDS;
  const familyOf = (id: StatisticId) => (scope === 'all' ? 'all' : id);

  const tests: Mutable<TestResult>[] = [];
  const valid = new Map<StatisticId, Float64Array>();
  let permutation: AnalysisResult['permutation'] = null;
  for (const id of statistics) {
    const cov = covariates[id];
    const x = stat(id);
    const z = cov.map(stat);
    const design = checkDesign(composition.file, id, x, half(id), cov, z, cov.map(half), n, warnings);
    const residualizer = design ? undefined : new Residualizer(n, z);
    const rx = residualizer?.residuals(x);
    if (rx) valid.set(id, rx);

    for (const t of scores.tasks) {
      const y = t.values;
      const base = { task: t.task, language: t.language, category: t.category, statistic: id, covariates: cov, n };
      const r = pearson(x, y);
      const regular =
        r === undefined ? { r: null, p: null, ci: null } : { r, p: correlationPValue(r, n - 2), ...interval(r, n, 0) };
      const fail = (error: AnalysisMessage): Mutable<TestResult> => ({
        ...base,
        regular,
        partial: { r: null, p: null, pCorrected: null, pPermutation: null, ci: null },
        q: null,
        holm: null,
        family: familyOf(id),
        permutation: null,
        error,
      });
      if (isConstant(y)) {
        tests.push(fail(message('scoresConstant', { task: t.task })));
        continue;
      }
      if (design) {
        tests.push(fail(design));
        continue;
      }
      // Without a design error both were built above; the check only narrows their types.
      if (!residualizer || !rx) continue;
      if (cov.length > 0 && unexplainedShare(y, z) < SINGULAR) {
        tests.push(fail(message('scoresExplained', { task: t.task, covariates: cov.join(', ') })));
        continue;
      }
      const ry = residualizer.residuals(y);
      const pr = pearson(rx, ry);
      if (pr === undefined) {
        tests.push(fail(message('residualsConstant', { task: t.task })));
        continue;
      }
      const perm = freedmanLanePValue(rx, ry, residualizer.basis, {
        samples: options.permutationSamples,
        stream: streamSeed(seed, `${id}\u0000${t.task}`),
      });
      const exhaustive = perm?.method === 'exact';
      if (perm && !permutation)
        permutation = {
          scheme: 'freedman-lane',
          method: perm.method,
          permutations: perm.permutations,
          exhaustive,
          ...(exhaustive ? {} : { seed }),
        };
      tests.push({
        ...base,
        regular,
        partial: {
          r: pr,
          p: correlationPValue(pr, n - 2),
          pCorrected: correlationPValue(pr, n - 2 - cov.length),
          pPermutation: perm?.p ?? null,
          ...interval(pr, n, cov.length),
        },
        q: null,
        holm: null,
        family: familyOf(id),
        permutation: perm
          ? {
              scheme: 'freedman-lane',
              method: perm.method,
              permutations: perm.permutations,
              exhaustive,
              hits: perm.hits,
              ...(perm.stream === undefined ? {} : { stream: perm.stream }),
            }
          : null,
      });
    }
  }

  const duplicates = duplicateStatistics(statistics, covariates, valid, familyOf, stat, half);
  const multipleTesting = adjust(tests, duplicates, duplicateTasks(scores), scope);

  return {
    corpora,
    averages: averages(scores, corpora),
    tests,
    warnings,
    covariates: Object.fromEntries(statistics.map((id) => [id, covariates[id]])) as Record<
      StatisticId,
      readonly StatisticId[]
    >,
    permutation,
    multipleTesting,
    matrices: {
      statistics: correlationMatrix(STATISTIC_IDS, STATISTIC_IDS.map(stat)),
      tasks:
        options.taskMatrix === false
          ? null
          : correlationMatrix(
              scores.tasks.map((t) => t.task),
              scores.tasks.map((t) => t.values),
            ),
    },
  };
}

/** The 95 % interval of r as a result field: the interval, or null with the cause. */
function interval(r: number, n: number, k: number): { ci: Interval | null; ciError?: AnalysisMessage } {
  const ci = fisherInterval(r, n, k);
  return 'error' in ci ? { ci: null, ciError: ci.error } : { ci };
}

/**
 * Statistics whose tests are the same tests as an earlier statistic's within a family: same
 * covariates, and the later one is determined by the covariates and the earlier one within the
 * printed precision (japanese_ratio and english_ratio given total and parallel_ratio: the three
 * ratios sum to 100 %), so their residuals are proportional and their partial r equal or negated.
 */
function duplicateStatistics(
  statistics: readonly StatisticId[],
  covariates: Readonly<Record<StatisticId, readonly StatisticId[]>>,
  valid: ReadonlyMap<StatisticId, Float64Array>,
  familyOf: (id: StatisticId) => string,
  stat: (id: StatisticId) => number[],
  half: (id: StatisticId) => number[],
): Map<StatisticId, { statistic: StatisticId; sign: 1 | -1 }> {
  const out = new Map<StatisticId, { statistic: StatisticId; sign: 1 | -1 }>();
  const sameSet = (a: readonly StatisticId[], b: readonly StatisticId[]) =>
    a.length === b.length && a.every((c) => b.includes(c));
  statistics.forEach((b, j) => {
    const rb = valid.get(b);
    if (!rb) return;
    for (const a of statistics.slice(0, j)) {
      const ra = valid.get(a);
      if (!ra || out.has(a) || familyOf(a) !== familyOf(b) || !sameSet(covariates[a], covariates[b])) continue;
      const predictors = [...covariates[b], a];
      if (!determinedWithinPrecision(stat(b), half(b), predictors.map(stat), predictors.map(half))) continue;
      let dot = 0;
      for (let i = 0; i < ra.length; i++) dot += ra[i] * rb[i];
      out.set(b, { statistic: a, sign: dot < 0 ? -1 : 1 });
      return;
    }
  });
  return out;
}

/**
 * Tasks whose score differences are an affine function of an earlier task's (to floating-point
 * accuracy: identical or negated columns, say): every test of theirs is that task's test again.
 */
function duplicateTasks(scores: ScoreTable): Map<string, { task: string; sign: 1 | -1 }> {
  const out = new Map<string, { task: string; sign: 1 | -1 }>();
  const exact = (v: readonly number[]) => v.map(() => 0);
  scores.tasks.forEach((b, j) => {
    if (isConstant(b.values)) return;
    for (const a of scores.tasks.slice(0, j)) {
      if (out.has(a.task) || isConstant(a.values)) continue;
      if (!determinedWithinPrecision(b.values, exact(b.values), [a.values], [exact(a.values)])) continue;
      out.set(b.task, { task: a.task, sign: (pearson(a.values, b.values) ?? 0) < 0 ? -1 : 1 });
      return;
    }
  });
  return out;
}

/** BH q and Holm within each family over the tests with a corrected p; a duplicate takes its original's. */
function adjust(
  tests: Mutable<TestResult>[],
  statistics: ReadonlyMap<StatisticId, { statistic: StatisticId; sign: 1 | -1 }>,
  tasks: ReadonlyMap<string, { task: string; sign: 1 | -1 }>,
  scope: FamilyScope,
): MultipleTesting {
  const families = new Map<string, { members: Mutable<TestResult>[]; duplicates: number }>();
  for (const t of tests) {
    const f = families.get(t.family) ?? { members: [], duplicates: 0 };
    families.set(t.family, f);
    const s = statistics.get(t.statistic) ?? { statistic: t.statistic, sign: 1 };
    const k = tasks.get(t.task) ?? { task: t.task, sign: 1 };
    if (s.statistic !== t.statistic || k.task !== t.task) {
      t.duplicateOf = { statistic: s.statistic, task: k.task, sign: s.sign === k.sign ? 1 : -1 };
      if (t.partial.pCorrected !== null) f.duplicates++;
    } else if (t.partial.pCorrected !== null) f.members.push(t);
  }
  for (const { members } of families.values()) {
    const p = members.map((t) => t.partial.pCorrected!);
    const q = benjaminiHochberg(p);
    const h = holm(p);
    members.forEach((t, k) => {
      t.q = q[k];
      t.holm = h[k];
    });
  }
  const byKey = new Map(tests.map((t) => [`${t.statistic}\u0000${t.task}`, t]));
  for (const t of tests) {
    if (!t.duplicateOf || t.partial.pCorrected === null) continue;
    const original = byKey.get(`${t.duplicateOf.statistic}\u0000${t.duplicateOf.task}`);
    t.q = original?.q ?? null;
    t.holm = original?.holm ?? null;
  }
  return {
    scope,
    methods: { q: 'benjamini-hochberg', holm: 'holm' },
    families: [...families].map(([id, f]) => ({ id, size: f.members.length, duplicates: f.duplicates })),
  };
}

function alignCorpora(composition: CompositionTable, scores: ScoreTable): string[] {
  scores.corpora.forEach((c, i) => {
    if (!composition.corpora.includes(c))
      throw new TableError(scores.file, 1, i + 4, `corpus "${c}" is not in the composition table ${composition.file}`);
  });
  for (const c of composition.corpora) {
    if (!scores.corpora.includes(c))
      throw new TableError(scores.file, 1, undefined, `missing corpus column "${c}" (listed in ${composition.file})`);
  }
  if (scores.corpora.length < 3)
    throw new TableError(
      scores.file,
      1,
      undefined,
      `needs at least 3 corpora to correlate, found ${scores.corpora.length}`,
    );
  return [...scores.corpora];
}

/** Why the tests of a statistic cannot be computed, or undefined; near-singular designs warn. */
function checkDesign(
  file: string,
  id: StatisticId,
  x: number[],
  hx: number[],
  cov: readonly StatisticId[],
  z: number[][],
  hz: number[][],
  n: number,
  warnings: AnalysisMessage[],
): AnalysisMessage | undefined {
  if (cov.includes(id)) return message('ownCovariate', { statistic: id });
  const dupe = cov.find((c, i) => cov.indexOf(c) !== i);
  if (dupe) return message('covariateTwice', { covariate: dupe, statistic: id });
  const df = n - 2 - cov.length;
  if (df <= 0) return message('tooFewCorpora', { n, k: cov.length, df });
  if (isConstant(x)) return message('statisticConstant', { statistic: id });
  for (let j = 0; j < cov.length; j++) {
    if (isConstant(z[j])) return message('covariateConstant', { covariate: cov[j] });
  }
  const otherCovariates = (j: number) => cov.filter((_, k) => k !== j).join(', ');
  for (let j = 0; j < cov.length; j++) {
    const others = z.filter((_, k) => k !== j);
    if (others.length > 0 && unexplainedShare(z[j], others) < SINGULAR) {
      return message('covariatesCollinear', { statistic: id, covariate: cov[j], others: otherCovariates(j) });
    }
  }
  if (cov.length === 0) return undefined;
  const left = unexplainedShare(x, z);
  if (left < SINGULAR) return message('statisticExplained', { statistic: id, covariates: cov.join(', ') });
  for (let j = 0; j < cov.length; j++) {
    const others = z.filter((_, k) => k !== j);
    if (
      determinedWithinPrecision(
        z[j],
        hz[j],
        others,
        hz.filter((_, k) => k !== j),
      )
    ) {
      return message('covariatesCollinearPrinted', {
        statistic: id,
        file,
        covariate: cov[j],
        others: otherCovariates(j),
      });
    }
  }
  if (determinedWithinPrecision(x, hx, z, hz)) {
    return message('statisticDeterminedPrinted', { statistic: id, covariates: cov.join(', '), file });
  }
  if (1 / left > VIF_WARNING)
    warnings.push(
      message('nearlyCollinear', { statistic: id, covariates: cov.join(', '), vif: (1 / left).toFixed(0) }),
    );
  return undefined;
}

function averages(scores: ScoreTable, corpora: readonly string[]): AnalysisResult['averages'] {
  const group = (key: (t: ScoreTable['tasks'][number]) => string) => {
    const sums = new Map<string, { sum: number[]; count: number }>();
    for (const t of scores.tasks) {
      const k = key(t);
      const g = sums.get(k) ?? { sum: corpora.map(() => 0), count: 0 };
      t.values.forEach((v, i) => {
        g.sum[i] += v;
      });
      g.count++;
      sums.set(k, g);
    }
    return Object.fromEntries(
      [...sums].map(([k, g]) => [k, Object.fromEntries(corpora.map((c, i) => [c, g.sum[i] / g.count]))]),
    );
  };
  return { language: group((t) => t.language), category: group((t) => `${t.language}/${t.category}`) };
}

/** Pearson r of every pair, each series centred and normed once; constant series give null. */
function correlationMatrix(labels: readonly string[], series: readonly (readonly number[])[]): CorrelationMatrix {
  const unit = series.map((v) => {
    if (isConstant(v)) return undefined;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const c = v.map((x) => x - mean);
    const norm = Math.sqrt(c.reduce((a, b) => a + b * b, 0));
    return c.map((x) => x / norm);
  });
  const values = unit.map((a, i) =>
    unit.map((b, j) => {
      if (!a || !b) return null;
      if (i === j) return 1;
      let r = 0;
      for (let k = 0; k < a.length; k++) r += a[k] * b[k];
      return Math.max(-1, Math.min(1, r));
    }),
  );
  return { labels, values };
}
