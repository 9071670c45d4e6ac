import { benjaminiHochberg, correlationPValue, pearson, permutationPValue, Residualizer, unexplainedShare } from './correlation';
import { DEFAULT_COVARIATES, STATISTIC_IDS, type StatisticId } from './statistics';
import { TableError, type CompositionTable, type ScoreTable } from './tables';

export interface AnalysisOptions {
  /** Covariates per statistic, replacing the default rule for the statistics named. */
  readonly covariates?: Partial<Record<StatisticId, readonly StatisticId[]>>;
  readonly statistics?: readonly StatisticId[];
  /** Monte Carlo permutations when n > 8, and their seed. */
  readonly permutationSamples?: number;
  readonly seed?: number;
}

export interface TestResult {
  readonly task: string;
  readonly language: string;
  readonly category: string;
  readonly statistic: StatisticId;
  readonly covariates: readonly StatisticId[];
  readonly n: number;
  readonly regular: { readonly r: number | null; readonly p: number | null };
  readonly partial: { readonly r: number | null; readonly p: number | null; readonly pCorrected: number | null; readonly pPermutation: number | null };
  /** Benjamini–Hochberg over every test with a corrected partial p-value. */
  readonly q: number | null;
  /** Why a number is null: named, never a silent NaN. */
  readonly error?: string;
}

export interface CorrelationMatrix {
  readonly labels: readonly string[];
  readonly values: readonly (readonly (number | null)[])[];
}

export interface AnalysisResult {
  readonly corpora: readonly string[];
  readonly averages: {
    readonly language: Readonly<Record<string, Readonly<Record<string, number>>>>;
    readonly category: Readonly<Record<string, Readonly<Record<string, number>>>>;
  };
  readonly tests: readonly TestResult[];
  readonly warnings: readonly string[];
  readonly covariates: Readonly<Record<StatisticId, readonly StatisticId[]>>;
  readonly permutation: { readonly method: 'exact' | 'monte-carlo'; readonly permutations: number; readonly seed?: number } | null;
  readonly matrices: { readonly statistics: CorrelationMatrix; readonly tasks: CorrelationMatrix };
}

/** Below this share of unexplained variance a variable is a linear function of others, not data. */
const SINGULAR = 1e-10;
/** Variance inflation above which estimates are unstable enough to deserve a warning. */
const VIF_WARNING = 1000;

/**
 * Relates per-task score differences to the corpora's compositional statistics: regular Pearson r,
 * and partial r by the paper's method (Section 3.4): OLS of predictor and outcome on the covariates,
 * Pearson r of the residuals. p-values as the paper computed them (df = n − 2) and corrected
 * (df = n − 2 − k, as pingouin and R's ppcor), the permutation p, and BH q-values.
 */
export function analyze(composition: CompositionTable, scores: ScoreTable, options: AnalysisOptions = {}): AnalysisResult {
  const corpora = alignCorpora(composition, scores);
  const n = corpora.length;
  const index = corpora.map((c) => composition.corpora.indexOf(c));
  const stat = (id: StatisticId) => index.map((i) => composition.values[id][i]);
  const warnings: string[] = [];

  const covariates = { ...DEFAULT_COVARIATES, ...options.covariates } as Record<StatisticId, readonly StatisticId[]>;
  const statistics = options.statistics ?? STATISTIC_IDS;

  const tests: TestResult[] = [];
  let permutation: AnalysisResult['permutation'] = null;
  for (const id of statistics) {
    const cov = covariates[id];
    const x = stat(id);
    const z = cov.map(stat);
    const design = checkDesign(id, x, cov, z, n, warnings);
    const residualizer = design ? undefined : new Residualizer(n, z);
    const rx = residualizer?.residuals(x);

    for (const t of scores.tasks) {
      const y = t.values;
      const base = { task: t.task, language: t.language, category: t.category, statistic: id, covariates: cov, n };
      const r = pearson(x, y);
      const regular = r === undefined ? { r: null, p: null } : { r, p: correlationPValue(r, n - 2) };
      const fail = (error: string): TestResult => ({ ...base, regular, partial: { r: null, p: null, pCorrected: null, pPermutation: null }, q: null, error });
      if (r === undefined && pearson(x, x) !== undefined) {
        tests.push(fail(`the score differences of "${t.task}" do not vary across corpora`));
        continue;
      }
      if (design || !residualizer || !rx) {
        tests.push(fail(design ?? 'unreachable'));
        continue;
      }
      if (cov.length > 0 && unexplainedShare(y, z) < SINGULAR) {
        tests.push(fail(`the score differences of "${t.task}" are a linear function of the covariates ${cov.join(', ')}: nothing is left to correlate`));
        continue;
      }
      const ry = residualizer.residuals(y);
      const pr = pearson(rx, ry);
      if (pr === undefined) {
        tests.push(fail(`the residuals of "${t.task}" have no variance`));
        continue;
      }
      const perm = permutationPValue(rx, ry, { samples: options.permutationSamples, seed: options.seed });
      if (perm) permutation = { method: perm.method, permutations: perm.permutations, ...(perm.seed === undefined ? {} : { seed: perm.seed }) };
      tests.push({
        ...base,
        regular,
        partial: { r: pr, p: correlationPValue(pr, n - 2), pCorrected: correlationPValue(pr, n - 2 - cov.length), pPermutation: perm?.p ?? null },
        q: null,
      });
    }
  }

  const family = tests.map((t, i) => [t.partial.pCorrected, i] as const).filter((e): e is readonly [number, number] => e[0] !== null);
  const q = benjaminiHochberg(family.map(([p]) => p));
  const withQ = [...tests];
  family.forEach(([, i], k) => (withQ[i] = { ...tests[i], q: q[k] }));

  return {
    corpora,
    averages: averages(scores, corpora),
    tests: withQ,
    warnings,
    covariates: Object.fromEntries(statistics.map((id) => [id, covariates[id]])) as Record<StatisticId, readonly StatisticId[]>,
    permutation,
    matrices: {
      statistics: correlationMatrix(STATISTIC_IDS, STATISTIC_IDS.map(stat)),
      tasks: correlationMatrix(scores.tasks.map((t) => t.task), scores.tasks.map((t) => t.values)),
    },
  };
}

function alignCorpora(composition: CompositionTable, scores: ScoreTable): string[] {
  scores.corpora.forEach((c, i) => {
    if (!composition.corpora.includes(c)) throw new TableError(scores.file, 1, i + 4, `corpus "${c}" is not in the composition table ${composition.file}`);
  });
  for (const c of composition.corpora) {
    if (!scores.corpora.includes(c)) throw new TableError(scores.file, 1, undefined, `missing corpus column "${c}" (listed in ${composition.file})`);
  }
  if (scores.corpora.length < 3) throw new TableError(scores.file, 1, undefined, `needs at least 3 corpora to correlate, found ${scores.corpora.length}`);
  return [...scores.corpora];
}

/** Why the tests of a statistic cannot be computed, or undefined; near-singular designs warn. */
function checkDesign(id: StatisticId, x: number[], cov: readonly StatisticId[], z: number[][], n: number, warnings: string[]): string | undefined {
  if (cov.includes(id)) return `${id} cannot be its own covariate`;
  const dupe = cov.find((c, i) => cov.indexOf(c) !== i);
  if (dupe) return `covariate ${dupe} is listed twice for ${id}`;
  const df = n - 2 - cov.length;
  if (df <= 0) return `too few corpora: n = ${n} with ${cov.length} covariates leaves n − 2 − k = ${df} degrees of freedom`;
  if (pearson(x, x) === undefined) return `${id} does not vary across the corpora`;
  for (let j = 0; j < cov.length; j++) {
    const others = z.filter((_, k) => k !== j);
    if (pearson(z[j], z[j]) === undefined) return `covariate ${cov[j]} does not vary across the corpora`;
    if (others.length > 0 && unexplainedShare(z[j], others) < SINGULAR) {
      return `the covariates of ${id} are collinear: ${cov[j]} is a linear function of ${cov.filter((_, k) => k !== j).join(', ')} (rank-deficient design)`;
    }
  }
  if (cov.length > 0) {
    const left = unexplainedShare(x, z);
    if (left < SINGULAR) return `${id} is a linear function of its covariates ${cov.join(', ')} (e.g. total = Japanese + English + parallel): its partial correlation is undefined`;
    if (1 / left > VIF_WARNING) warnings.push(`${id} is nearly collinear with its covariates ${cov.join(', ')} (VIF = ${(1 / left).toFixed(0)}): its partial correlations are unstable`);
  }
  return undefined;
}

function averages(scores: ScoreTable, corpora: readonly string[]): AnalysisResult['averages'] {
  const group = (key: (t: ScoreTable['tasks'][number]) => string) => {
    const sums = new Map<string, { sum: number[]; count: number }>();
    for (const t of scores.tasks) {
      const k = key(t);
      const g = sums.get(k) ?? { sum: corpora.map(() => 0), count: 0 };
      t.values.forEach((v, i) => (g.sum[i] += v));
      g.count++;
      sums.set(k, g);
    }
    return Object.fromEntries([...sums].map(([k, g]) => [k, Object.fromEntries(corpora.map((c, i) => [c, g.sum[i] / g.count]))]));
  };
  return { language: group((t) => t.language), category: group((t) => `${t.language}/${t.category}`) };
}

function correlationMatrix(labels: readonly string[], series: readonly (readonly number[])[]): CorrelationMatrix {
  return { labels, values: series.map((a) => series.map((b) => pearson(a, b) ?? null)) };
}
