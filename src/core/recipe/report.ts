import { formatPercent, formatSignedTokens, formatTokens } from './quantity';
import type { RecipeSet, ResolvedRecipe, ResolvedSource } from './resolve';
import { type CompositionStatistics, STATISTIC_LABELS, subtractStatistics } from './statistics';

/** What the editor shows about recipes, as plain data and Markdown, so that tests can read it. */

export function summaryLine(s: CompositionStatistics): string {
  return `${formatTokens(s.total)} · ja ${formatPercent(s.japaneseRatio, 1)} · en ${formatPercent(s.englishRatio, 1)} · parallel ${formatPercent(s.parallelRatio, 1)}`;
}

/** How many of a recipe's sources have exact counts (read from an index, here or on the cluster) and how many declared ones. */
export function countOrigins(r: ResolvedRecipe): { exact: number; declared: number } {
  let exact = 0;
  let declared = 0;
  for (const s of r.sources) {
    if (s.tokensFrom === 'declared') declared++;
    else exact++;
  }
  return { exact, declared };
}

/**
 * "counts: 3 exact, 2 declared" for a recipe that mixes the two, else undefined. Its shares and its
 * blend weights then compare numbers of different kinds: a declared 900M beside a counted 300K.
 */
export function mixedCounts(r: ResolvedRecipe): string | undefined {
  const { exact, declared } = countOrigins(r);
  return exact > 0 && declared > 0 ? `counts: ${exact} exact, ${declared} declared` : undefined;
}

const MIXED_WARNING =
  'its shares and blend weights mix counts read from the datasets with declared ones; count the declared ones (Count Dataset Tokens on Cluster) or correct them';

/** The tree's description of a recipe: its summary, and whether its counts are mixed. */
export function recipeDescription(r: ResolvedRecipe): string {
  const mixed = mixedCounts(r);
  return mixed ? `${summaryLine(r.statistics)} · ${mixed}` : summaryLine(r.statistics);
}

export function codeLensTitle(r: ResolvedRecipe): string {
  const s = r.statistics;
  const incomplete = r.complete ? '' : ' (incomplete: see problems)';
  const mixed = mixedCounts(r);
  return `Σ ${formatTokens(s.total)} tokens — ja ${formatTokens(s.japanese)} (${formatPercent(s.japaneseRatio)}) · en ${formatTokens(s.english)} (${formatPercent(s.englishRatio)}) · parallel ${formatTokens(s.parallel)} (${formatPercent(s.parallelRatio)})${incomplete}${mixed ? ` — ⚠ ${mixed}` : ''}`;
}

export function statisticRows(s: CompositionStatistics): [string, string][] {
  return (Object.keys(STATISTIC_LABELS) as (keyof CompositionStatistics)[]).map((k) => [
    STATISTIC_LABELS[k],
    k.endsWith('Ratio') ? formatPercent(s[k]) : `${formatTokens(s[k])} (${Math.round(s[k]).toLocaleString('en-US')})`,
  ]);
}

export function statisticsMarkdown(r: ResolvedRecipe): string {
  const rows = statisticRows(r.statistics).map(([k, v]) => `| ${k} | ${v} |`);
  const lines = [
    `### ${escapeMd(r.name)}`,
    '',
    r.doc.description ? `${escapeMd(r.doc.description)}\n` : '',
    '| Statistic | Value |',
    '|---|---:|',
    ...rows,
  ];
  if (r.parent) lines.push('', `Extends **${escapeMd(r.parent)}**.`);
  if (!r.complete)
    lines.push('', '⚠ This recipe or an ancestor has errors; the numbers cover only the sources that could be read.');
  const mixed = mixedCounts(r);
  if (mixed) lines.push('', `⚠ ${capitalise(mixed)}: ${MIXED_WARNING}.`);
  return lines.join('\n');
}

export function sourceHoverMarkdown(recipe: ResolvedRecipe, source: ResolvedSource): string {
  const share = recipe.statistics.total > 0 ? source.effectiveTokens / recipe.statistics.total : 0;
  const lines = [
    `**${escapeMd(source.id)}** — ${source.language}, ${source.origin}${source.kind ? `, ${escapeMd(source.kind)}` : ''}`,
    `Tokens: ${formatTokens(source.tokens)} (${tokensOrigin(source)})`,
  ];
  if (source.fraction !== undefined && source.fraction !== 1)
    lines.push(`Fraction: ${source.fraction} → ${formatTokens(source.effectiveTokens)}`);
  lines.push(
    `Contribution: ${formatTokens(source.effectiveTokens)} = ${formatPercent(share)} of ${escapeMd(recipe.name)}`,
  );
  if (source.megatron) lines.push(`Dataset: \`${source.megatron}\``);
  const mixed = mixedCounts(recipe);
  if (mixed) lines.push(`⚠ ${escapeMd(recipe.name)}: ${mixed}; ${MIXED_WARNING}.`);
  return lines.join('\n\n');
}

function tokensOrigin(s: ResolvedSource): string {
  if (s.tokensFrom === 'index') return 'counted from the indexed dataset';
  if (s.tokensFrom === 'declared') return 'declared';
  return s.countedAt === undefined
    ? 'counted from the indexed dataset on the cluster'
    : `counted from the indexed dataset on the cluster at ${s.countedAt.slice(0, 16).replace('T', ' ')} UTC, kept from an earlier window`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface RecipeComparison {
  readonly recipe: string;
  readonly base: string;
  readonly delta: CompositionStatistics;
  /** Sources in `recipe` and not in `base`, and the other way round; a source is its declaration (recipe and id). */
  readonly added: readonly ResolvedSource[];
  readonly removed: readonly ResolvedSource[];
}

/** What `recipe` changes relative to any other recipe `base`: per-language token deltas and sources. */
export function compareRecipes(set: RecipeSet, recipe: string, base: string): RecipeComparison | undefined {
  const c = set.recipes.get(recipe);
  const p = set.recipes.get(base);
  if (!c || !p) return undefined;
  const key = (s: ResolvedSource) => `${s.definedIn}/${s.id}`;
  const childKeys = new Set(c.sources.map(key));
  const parentKeys = new Set(p.sources.map(key));
  return {
    recipe: c.name,
    base: p.name,
    delta: subtractStatistics(c.statistics, p.statistics),
    added: c.sources.filter((s) => !parentKeys.has(key(s))),
    removed: p.sources.filter((s) => !childKeys.has(key(s))),
  };
}

/** What a recipe changes relative to the recipe it extends. */
export function compareWithParent(set: RecipeSet, child: string): RecipeComparison | undefined {
  const parent = set.recipes.get(child)?.parent;
  return parent === undefined ? undefined : compareRecipes(set, child, parent);
}

export function comparisonMarkdown(cmp: RecipeComparison, set: RecipeSet): string {
  const c = set.recipes.get(cmp.recipe)!.statistics;
  const p = set.recipes.get(cmp.base)!.statistics;
  const row = (label: string, k: keyof CompositionStatistics) =>
    k.endsWith('Ratio')
      ? `| ${label} | ${formatPercent(p[k])} | ${formatPercent(c[k])} | ${signedPoints(cmp.delta[k])} |`
      : `| ${label} | ${formatTokens(p[k])} | ${formatTokens(c[k])} | ${formatSignedTokens(cmp.delta[k])} |`;
  const lines = [
    `### ${escapeMd(cmp.recipe)} vs ${escapeMd(cmp.base)}`,
    '',
    `| | ${escapeMd(cmp.base)} | ${escapeMd(cmp.recipe)} | Δ |`,
    '|---|---:|---:|---:|',
    ...(Object.entries(STATISTIC_LABELS) as [keyof CompositionStatistics, string][]).map(([k, label]) => row(label, k)),
    '',
  ];
  // Two unrelated recipes may each declare a source with the same id: then say whose each one is.
  const addedIds = new Set(cmp.added.map((s) => s.id));
  const both = new Set(cmp.removed.map((s) => s.id).filter((id) => addedIds.has(id)));
  const from = (s: ResolvedSource) => (both.has(s.id) ? ` of ${escapeMd(s.definedIn)}` : '');
  for (const s of cmp.added)
    lines.push(
      `- added **${escapeMd(s.id)}**${from(s)} (${s.language}, ${s.origin}): ${formatSignedTokens(s.effectiveTokens)}`,
    );
  for (const s of cmp.removed)
    lines.push(
      `- removed **${escapeMd(s.id)}**${from(s)} (${s.language}, ${s.origin}): ${formatSignedTokens(-s.effectiveTokens)}`,
    );
  return lines.join('\n');
}

function signedPoints(x: number): string {
  const pts = (x * 100).toFixed(2);
  return x > 0 ? `+${pts} pt` : x < 0 ? `−${pts.slice(1)} pt` : '±0 pt';
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]<>()#+!|]/g, (c) => `\\${c}`);
}

/** The source whose item range covers a zero-based position in a file, if any. */
export function sourceAt(
  set: RecipeSet,
  file: string,
  line: number,
  character: number,
): { recipe: ResolvedRecipe; source: ResolvedSource } | undefined {
  for (const recipe of set.recipes.values()) {
    if (recipe.doc.file !== file) continue;
    for (const source of recipe.sources) {
      if (source.file !== file) continue;
      const { start, end } = source.range;
      const after = line > start.line || (line === start.line && character >= start.character);
      const before = line < end.line || (line === end.line && character <= end.character);
      if (after && before) return { recipe, source };
    }
  }
  return undefined;
}
