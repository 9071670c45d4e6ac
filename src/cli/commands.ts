import { stat } from 'node:fs/promises';
import {
  type AnalysisOptions,
  analyze,
  FAMILY_SCOPES,
  type FamilyScope,
  type TestResult,
} from '../core/analysis/analyze';
import { parseControls } from '../core/analysis/controls';
import { MAX_PERMUTATION_SAMPLES } from '../core/analysis/correlation';
import { messagesInWords, renderMessage } from '../core/analysis/messages';
import { STATISTIC_IDS } from '../core/analysis/statistics';
import { readCompositionFile, readScoreFile } from '../core/analysis/tableFiles';
import { differencesFromResults, TableError } from '../core/analysis/tables';
import { type Diagnostic, formatDiagnostic, hasErrors } from '../core/diagnostics';
import { findIndexedDatasets, type IndexedDatasetInfo, readIndexedDataset } from '../core/megatron/indexedDataset';
import { safeJson, terminalSafe } from '../core/printable';
import { exportBlend } from '../core/recipe/blend';
import { loadRecipes } from '../core/recipe/loader';
import { formatPercent, formatTokens } from '../core/recipe/quantity';
import { type AnalysisInputs, readStudy } from '../core/study/loadStudy';
import { inspectCommand } from './inspectCommand';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export type Values = { [key: string]: string | boolean | string[] | undefined };

export async function runCommand(command: string, args: string[], values: Values, rawIo: Io): Promise<number> {
  // Names come from files anyone can write: escape sequences and bidi overrides are shown, not obeyed.
  const io: Io = { out: (s) => rawIo.out(terminalSafe(s)), err: (s) => rawIo.err(terminalSafe(s)) };
  try {
    switch (command) {
      case 'stats':
        return await stats(args, values, io);
      case 'tokens':
        return await tokens(args, values, io);
      case 'blend':
        return await blend(args, values, io);
      case 'analyze':
        return await analyzeCommand(args, values, io);
      case 'inspect':
        return await inspectCommand(args, values, io);
      default:
        io.err(`corpus-lab: unknown command "${command}"; try corpus-lab --help\n`);
        return 2;
    }
  } catch (e) {
    // A table error already names its file, row and column.
    io.err(e instanceof TableError ? `${e.message}\n` : `corpus-lab ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

function printDiagnostics(diagnostics: readonly Diagnostic[], io: Io, files?: ReadonlySet<string>) {
  for (const d of diagnostics) if (!files || files.has(d.file)) io.err(`${formatDiagnostic(d)}\n`);
}

async function stats(args: string[], values: Values, io: Io): Promise<number> {
  if (args.length === 0) {
    io.err('corpus-lab stats: name at least one recipe file or directory\n');
    return 2;
  }
  const { set, requested } = await loadRecipes(args);
  const wanted = new Set(requested);
  // Errors in a parent make a requested child wrong too, so every error of the set is shown.
  printDiagnostics(set.diagnostics, io);
  const rows = [...set.recipes.values()]
    .filter((r) => wanted.has(r.doc.file))
    .map((r) => ({ name: r.name, ...r.statistics }));
  if (values.json) io.out(`${safeJson(rows)}\n`);
  else {
    const header = ['recipe', 'total', 'japanese', 'english', 'parallel', 'ja %', 'en %', 'par %'];
    const lines = rows.map((r) => [
      r.name,
      formatTokens(r.total),
      formatTokens(r.japanese),
      formatTokens(r.english),
      formatTokens(r.parallel),
      formatPercent(r.japaneseRatio),
      formatPercent(r.englishRatio),
      formatPercent(r.parallelRatio),
    ]);
    io.out(table([header, ...lines]));
  }
  // A broken sibling (read only so that `extends` finds parents) is shown but does not fail the recipes asked for.
  const asked = [...set.recipes.values()].filter((r) => wanted.has(r.doc.file));
  const failed =
    set.diagnostics.some((d) => d.severity === 'error' && wanted.has(d.file)) ||
    asked.some((r) => !r.complete) ||
    asked.length < wanted.size;
  return failed ? 1 : 0;
}

async function tokens(args: string[], values: Values, io: Io): Promise<number> {
  if (args.length !== 1) {
    io.err('corpus-lab tokens: name one dataset prefix or directory\n');
    return 2;
  }
  const target = args[0].replace(/\.(idx|bin)$/, '');
  const isDir = await stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const prefixes = isDir ? await findIndexedDatasets(target) : [target];
  if (isDir && prefixes.length === 0) {
    io.err(`corpus-lab tokens: no .idx files under ${target}\n`);
    return 1;
  }
  const results: IndexedDatasetInfo[] = [];
  let failed = false;
  for (const p of prefixes) {
    try {
      results.push(await readIndexedDataset(p));
    } catch (e) {
      io.err(`${(e as Error).message}\n`);
      failed = true;
    }
  }
  if (values.json) io.out(`${safeJson(results)}\n`);
  else
    io.out(
      table([
        ['prefix', 'tokens', 'documents', 'sequences', 'dtype'],
        ...results.map((r) => [r.prefix, String(r.tokens), String(r.documents), String(r.sequences), r.dtype]),
      ]),
    );
  return failed ? 1 : 0;
}

async function blend(args: string[], values: Values, io: Io): Promise<number> {
  if (args.length !== 1) {
    io.err('corpus-lab blend: name one recipe file\n');
    return 2;
  }
  const { set, requested } = await loadRecipes(args);
  const recipe = [...set.recipes.values()].find((r) => r.doc.file === requested[0]);
  if (hasErrors(set.diagnostics) || !recipe) {
    printDiagnostics(set.diagnostics, io);
    if (!recipe) io.err(`corpus-lab blend: no recipe could be resolved from ${args[0]}\n`);
    return 1;
  }
  const result = exportBlend(recipe, values['data-root'] as string | undefined);
  if (!result.ok) {
    printDiagnostics(result.diagnostics, io);
    return 1;
  }
  io.out(`${result.dataPath}\n`);
  return 0;
}

export function table(cells: string[][]): string {
  const rows = cells.map((r) => r.map(terminalSafe));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

async function analyzeCommand(args: string[], values: Values, io: Io): Promise<number> {
  let controls: AnalysisOptions['covariates'] = parseControls((values.control as string[] | undefined) ?? []);
  let inputs: AnalysisInputs;
  if (args.length === 1 && !values.composition && !values.scores) {
    // study.yaml (results or differences, its covariates) or the plain directory layout.
    const study = await readStudy(args[0]);
    inputs = study.inputs;
    controls = { ...study.covariates, ...controls };
    for (const p of study.problems) io.err(`warning: ${p}\n`);
    if (!values.json) for (const n of study.notes) io.out(`${renderMessage(n)}\n`);
  } else if (args.length === 0 && values.composition && (values.scores || (values.before && values.after))) {
    const composition = await readCompositionFile(values.composition as string);
    const scores = values.scores
      ? await readScoreFile(values.scores as string)
      : differencesFromResults(
          await readScoreFile(values.before as string),
          await readScoreFile(values.after as string),
        );
    inputs = { composition, scores };
  } else {
    io.err(
      'corpus-lab analyze: give a study directory, or --composition CSV with --scores CSV (or --before CSV --after CSV)\n',
    );
    return 2;
  }
  let options: Pick<AnalysisOptions, 'seed' | 'permutationSamples' | 'family'>;
  try {
    options = parseAnalyzeOptions(values);
  } catch (e) {
    io.err(`corpus-lab analyze: ${(e as Error).message}\n`);
    return 2;
  }
  // The task × task matrix (tasks² numbers) is part of the JSON; the text report does not show it.
  const result = analyze(inputs.composition, inputs.scores, {
    covariates: controls,
    ...options,
    taskMatrix: Boolean(values.json),
  });
  for (const w of result.warnings) io.err(`warning: ${renderMessage(w)}\n`);
  if (values.json) {
    io.out(`${safeJson(messagesInWords(result))}\n`);
    return 0;
  }
  io.out(`corpora (n = ${result.corpora.length}): ${result.corpora.join(', ')}\n`);
  const perm = result.permutation;
  if (perm) {
    io.out(
      `permutation p: Freedman–Lane, ${perm.exhaustive ? `exhaustive over all ${perm.permutations} orderings` : `Monte Carlo, ${perm.permutations} orderings per test, seed ${perm.seed} (one stream per test)`}\n`,
    );
  }
  const mt = result.multipleTesting;
  io.out(
    `multiple testing: BH q and Holm p within each family (${mt.scope === 'all' ? 'one family: all tests' : 'one family per statistic'}); ${mt.families.map((f) => `${f.id}: ${f.size} tests${f.duplicates ? `, ${f.duplicates} duplicates counted once` : ''}`).join('; ')}\n\n`,
  );
  const fmt = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  for (const id of STATISTIC_IDS) {
    const tests = result.tests.filter((t) => t.statistic === id);
    if (tests.length === 0) continue;
    io.out(`${id} | covariates: ${(result.covariates[id] ?? []).join(', ') || 'none'}\n`);
    const sorted = [...tests].sort((a, b) => (b.partial.r ?? -2) - (a.partial.r ?? -2));
    io.out(
      table([
        ['task', 'regular r', 'p', 'partial r', 'p (df n-2)', 'p (df n-2-k)', 'p perm', 'q', 'Holm'],
        ...sorted.map((t: TestResult) => [
          t.task,
          fmt(t.regular.r),
          fmt(t.regular.p),
          fmt(t.partial.r),
          fmt(t.partial.p),
          fmt(t.partial.pCorrected),
          fmt(t.partial.pPermutation),
          fmt(t.q),
          fmt(t.holm),
        ]),
      ]),
    );
    const dup = tests.find((t) => t.duplicateOf && t.duplicateOf.statistic !== id)?.duplicateOf;
    if (dup)
      io.out(
        `  = the same tests as ${dup.statistic}${dup.sign < 0 ? ' (negated)' : ''}: counted once in family ${tests[0].family}, q and Holm as there\n`,
      );
    for (const t of tests) {
      const d = t.duplicateOf;
      if (d && d.statistic === id)
        io.out(
          `  = "${t.task}" is the same test as "${d.task}"${d.sign < 0 ? ' (negated)' : ''}: counted once, q and Holm as there\n`,
        );
    }
    const errors = [...new Set(tests.flatMap((t) => (t.error ? [renderMessage(t.error)] : [])))];
    for (const e of errors) io.out(`  ! ${e}\n`);
    io.out('\n');
  }
  return 0;
}

/** `--seed`, `--permutations` and `--family`, strictly: digits only, within range, a known family. */
export function parseAnalyzeOptions(values: Values): Pick<AnalysisOptions, 'seed' | 'permutationSamples' | 'family'> {
  const text = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const seedText = text('seed');
  const samplesText = text('permutations');
  const familyText = text('family');
  let seed: number | undefined;
  if (seedText !== undefined) {
    seed = /^\d+$/.test(seedText) ? Number(seedText) : NaN;
    if (!(seed <= 0xffffffff)) throw new Error(`--seed must be a whole number from 0 to 4294967295, got "${seedText}"`);
  }
  let permutationSamples: number | undefined;
  if (samplesText !== undefined) {
    permutationSamples = /^\d+$/.test(samplesText) ? Number(samplesText) : NaN;
    if (!(permutationSamples >= 1 && permutationSamples <= MAX_PERMUTATION_SAMPLES)) {
      throw new Error(
        `--permutations must be a whole number from 1 to ${MAX_PERMUTATION_SAMPLES} (Monte Carlo orderings per test when n > 8), got "${samplesText}"`,
      );
    }
  }
  if (familyText !== undefined && !(FAMILY_SCOPES as readonly string[]).includes(familyText)) {
    throw new Error(`--family must be one of ${FAMILY_SCOPES.join(', ')}, got "${familyText}"`);
  }
  return { seed, permutationSamples, family: familyText as FamilyScope | undefined };
}
