import * as path from 'node:path';
import type { Diagnostic, Range } from '../diagnostics';
import { closest } from '../validation';
import type { RecipeDocument, SourceSpec } from './model';
import { formatTokens } from './quantity';
import { computeStatistics, type CompositionStatistics } from './statistics';

/** A dataset's count: read from its index (locally, or `onCluster` over SFTP), or why not. */
export type IndexCount = { ok: true; tokens: number; onCluster?: string } | { ok: false; message: string };

export interface ResolvedSource extends SourceSpec {
  /** The recipe that declares this source (itself or an ancestor). */
  readonly definedIn: string;
  readonly file: string;
  readonly tokens: number;
  readonly tokensFrom: 'declared' | 'index' | 'cluster';
  /** Tokens after `fraction`: what the source contributes to the corpus. */
  readonly effectiveTokens: number;
  /** Absolute dataset prefix for local reads, when the source names one. */
  readonly datasetPath?: string;
}

export interface ResolvedRecipe {
  readonly name: string;
  readonly doc: RecipeDocument;
  readonly parent?: string;
  readonly tokenizer?: string;
  readonly sources: readonly ResolvedSource[];
  readonly statistics: CompositionStatistics;
  /** False when this recipe or an ancestor has errors: the numbers cover only what could be read. */
  readonly complete: boolean;
}

export interface RecipeSet {
  readonly recipes: ReadonlyMap<string, ResolvedRecipe>;
  readonly diagnostics: readonly Diagnostic[];
  readonly documents: readonly RecipeDocument[];
}

/** The absolute path of a source's dataset prefix: relative prefixes are relative to the recipe file. */
export function datasetPath(recipeFile: string, prefix: string): string {
  return path.isAbsolute(prefix) ? prefix : path.resolve(path.dirname(recipeFile), prefix);
}

/** Every dataset prefix the documents name, so the caller can count them before resolving. */
export function datasetPaths(docs: readonly RecipeDocument[]): string[] {
  const out = new Set<string>();
  for (const d of docs) for (const s of d.sources) if (s.megatron) out.add(datasetPath(d.file, s.megatron));
  return [...out];
}

/**
 * Resolves `extends`/`remove` across a set of recipe documents and computes their statistics.
 * Pure: token counts of indexed datasets come in `counts`, keyed by absolute prefix.
 */
export function resolveRecipes(docs: readonly RecipeDocument[], counts: ReadonlyMap<string, IndexCount> = new Map()): RecipeSet {
  const diagnostics: Diagnostic[] = docs.flatMap((d) => d.diagnostics);
  const report = (file: string, range: Range, message: string, severity: Diagnostic['severity'] = 'error') =>
    diagnostics.push({ file, range, severity, message });

  const byName = new Map<string, RecipeDocument>();
  for (const d of docs) {
    if (d.name === undefined) continue;
    const first = byName.get(d.name);
    if (first) {
      report(d.file, d.nameRange, `recipe name "${d.name}" is already used by ${first.file}:${first.nameRange.start.line + 1}`);
      continue;
    }
    byName.set(d.name, d);
  }

  const resolved = new Map<string, ResolvedRecipe>();
  const failed = new Set<string>();
  const stack: string[] = [];

  const resolve = (doc: RecipeDocument): ResolvedRecipe | undefined => {
    const name = doc.name!;
    const done = resolved.get(name);
    if (done) return done;
    if (failed.has(name)) return undefined;
    const cycleAt = stack.indexOf(name);
    if (cycleAt >= 0) {
      const cycle = [...stack.slice(cycleAt), name];
      for (const member of cycle.slice(0, -1)) {
        const m = byName.get(member)!;
        report(m.file, m.extendsRange!, `"extends" forms a cycle: ${cycle.join(' → ')}`);
        failed.add(member);
      }
      return undefined;
    }

    let complete = doc.diagnostics.every((d) => d.severity !== 'error');
    let inherited: ResolvedSource[] = [];
    let tokenizer = doc.tokenizer;
    if (doc.extends !== undefined) {
      const parentDoc = byName.get(doc.extends);
      if (!parentDoc) {
        const hint = closest(doc.extends, [...byName.keys()]);
        report(doc.file, doc.extendsRange!, `unknown parent recipe "${doc.extends}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
        failed.add(name);
        return undefined;
      }
      stack.push(name);
      const parent = resolve(parentDoc);
      stack.pop();
      if (failed.has(name)) return undefined;
      if (!parent) {
        report(doc.file, doc.extendsRange!, `parent recipe "${doc.extends}" cannot be resolved; see its diagnostics`);
        failed.add(name);
        return undefined;
      }
      complete &&= parent.complete;
      inherited = [...parent.sources];
      if (tokenizer === undefined) tokenizer = parent.tokenizer;
      else if (parent.tokenizer !== undefined && parent.tokenizer !== tokenizer) {
        report(doc.file, doc.tokenizerRange!, `tokenizer "${tokenizer}" differs from parent "${parent.name}"'s "${parent.tokenizer}": token counts would not be comparable`);
        complete = false;
      }
    }

    const removed = new Set<string>();
    for (const r of doc.remove) {
      if (doc.extends === undefined) {
        report(doc.file, r.range, `cannot remove "${r.id}": "remove" needs "extends", there is nothing inherited to remove from`);
        complete = false;
      } else if (removed.has(r.id)) {
        report(doc.file, r.range, `"${r.id}" is removed twice`);
      } else if (!inherited.some((s) => s.id === r.id)) {
        const hint = closest(r.id, inherited.map((s) => s.id));
        report(doc.file, r.range, `cannot remove "${r.id}": parent "${doc.extends}" has no source with that id${hint ? ` (did you mean "${hint}"?)` : ''}`);
        complete = false;
      }
      removed.add(r.id);
    }
    const sources = inherited.filter((s) => !removed.has(s.id));

    const own = new Map<string, SourceSpec>();
    for (const s of doc.sources) {
      const twin = own.get(s.id);
      if (twin) {
        report(doc.file, s.idRange, `duplicate source id "${s.id}" (first at line ${twin.idRange.start.line + 1})`);
        complete = false;
        continue;
      }
      const inheritedTwin = sources.find((x) => x.id === s.id);
      if (inheritedTwin) {
        report(doc.file, s.idRange, `source id "${s.id}" is already inherited from "${inheritedTwin.definedIn}"; add it to "remove" to replace it`);
        complete = false;
        continue;
      }
      own.set(s.id, s);
      const counted = countSource(doc, s, counts, report);
      if (!counted) {
        complete = false;
        continue;
      }
      sources.push(counted);
    }

    const recipe: ResolvedRecipe = { name, doc, parent: doc.extends, tokenizer, sources, statistics: computeStatistics(sources), complete };
    resolved.set(name, recipe);
    return recipe;
  };

  for (const d of byName.values()) resolve(d);
  return { recipes: resolved, diagnostics, documents: docs };
}

function countSource(
  doc: RecipeDocument,
  s: SourceSpec,
  counts: ReadonlyMap<string, IndexCount>,
  report: (file: string, range: Range, message: string, severity?: Diagnostic['severity']) => void,
): ResolvedSource | undefined {
  const fraction = s.fraction ?? 1;
  const base = { ...s, definedIn: doc.name!, file: doc.file };
  if (s.megatron === undefined) {
    return { ...base, tokens: s.tokens!, tokensFrom: 'declared', effectiveTokens: s.tokens! * fraction };
  }
  const dataset = datasetPath(doc.file, s.megatron);
  const counted = counts.get(dataset);
  if (counted?.ok) {
    if (s.tokens !== undefined && s.tokens !== counted.tokens) {
      report(doc.file, s.tokensRange!, `declared ${formatTokens(s.tokens)} tokens (${s.tokens}) but the indexed dataset ${s.megatron} holds ${counted.tokens} (${formatTokens(counted.tokens)}); the index wins`, 'warning');
    }
    return { ...base, datasetPath: dataset, tokens: counted.tokens, tokensFrom: counted.onCluster ? 'cluster' : 'index', effectiveTokens: counted.tokens * fraction };
  }
  // A declared count stands in for a dataset that lives elsewhere (on the cluster, say).
  if (s.tokens !== undefined) return { ...base, datasetPath: dataset, tokens: s.tokens, tokensFrom: 'declared', effectiveTokens: s.tokens * fraction };
  report(doc.file, s.megatronRange!, `cannot count tokens of "${s.megatron}": ${counted ? counted.message : 'the indexed dataset was not read'}`);
  return undefined;
}

/** Recipes in the order a tree shows them: parents before children, siblings by name. */
export function childrenOf(set: RecipeSet, parent: string | undefined): ResolvedRecipe[] {
  return [...set.recipes.values()].filter((r) => r.parent === parent || (parent === undefined && r.parent !== undefined && !set.recipes.has(r.parent))).sort((a, b) => a.name.localeCompare(b.name));
}
