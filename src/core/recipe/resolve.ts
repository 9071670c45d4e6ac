import * as path from 'node:path';
import type { Diagnostic, Range } from '../diagnostics';
import { closest } from '../validation';
import type { RecipeDocument, SourceSpec } from './model';
import { formatTokens } from './quantity';
import { type CompositionStatistics, computeStatistics } from './statistics';

/**
 * A dataset's count: read from its index (locally, or `onCluster` over SFTP; `countedAt` when it is
 * an earlier window's count of the cluster's files, kept in the count cache), or why not. `absent`:
 * the index is not on this machine, the usual case for a dataset that lives on the cluster, where a
 * declared count stands in without a word; any other failure is reported even when one does.
 */
export type IndexCount =
  | { ok: true; tokens: number; onCluster?: string; countedAt?: string }
  | { ok: false; message: string; onCluster?: string; absent?: boolean };

export interface ResolvedSource extends SourceSpec {
  /** The recipe that declares this source (itself or an ancestor). */
  readonly definedIn: string;
  readonly file: string;
  readonly tokens: number;
  readonly tokensFrom: 'declared' | 'index' | 'cluster';
  /** For a count read on the cluster in an earlier window (kept in the count cache): when. */
  readonly countedAt?: string;
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
export function resolveRecipes(
  docs: readonly RecipeDocument[],
  counts: ReadonlyMap<string, IndexCount> = new Map(),
): RecipeSet {
  const diagnostics: Diagnostic[] = docs.flatMap((d) => d.diagnostics);
  const report = (file: string, range: Range, message: string, severity: Diagnostic['severity'] = 'error') =>
    diagnostics.push({ file, range, severity, message });

  const byName = new Map<string, RecipeDocument>();
  for (const d of docs) {
    if (d.name === undefined) continue;
    const first = byName.get(d.name);
    if (first) {
      report(
        d.file,
        d.nameRange,
        `recipe name "${d.name}" is already used by ${first.file}:${first.nameRange.start.line + 1}`,
      );
      continue;
    }
    byName.set(d.name, d);
  }

  const resolved = new Map<string, ResolvedRecipe>();
  const failed = new Set<string>();
  /** Per recipe what it adds and drops; its full source list is rebuilt from these on demand. */
  const levels = new Map<ResolvedRecipe, Level>();
  /** The levels that add or remove each source id. */
  const mentions = new Map<string, Level[]>();

  const resolveOne = (doc: RecipeDocument): void => {
    const name = doc.name!;
    if (resolved.has(name) || failed.has(name)) return;
    let complete = doc.diagnostics.every((d) => d.severity !== 'error');
    let parent: ResolvedRecipe | undefined;
    let tokenizer = doc.tokenizer;
    if (doc.extends !== undefined) {
      if (!byName.has(doc.extends)) {
        const hint = closest(doc.extends, [...byName.keys()]);
        report(
          doc.file,
          doc.extendsRange!,
          `unknown parent recipe "${doc.extends}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
        );
        failed.add(name);
        return;
      }
      parent = resolved.get(doc.extends);
      if (!parent) {
        report(doc.file, doc.extendsRange!, `parent recipe "${doc.extends}" cannot be resolved; see its diagnostics`);
        failed.add(name);
        return;
      }
      complete &&= parent.complete;
      if (tokenizer === undefined) tokenizer = parent.tokenizer;
      else if (parent.tokenizer !== undefined && parent.tokenizer !== tokenizer) {
        report(
          doc.file,
          doc.tokenizerRange!,
          `tokenizer "${tokenizer}" differs from parent "${parent.name}"'s "${parent.tokenizer}": token counts would not be comparable`,
        );
        complete = false;
      }
    }
    const parentLevel = parent && levels.get(parent);

    const removed = new Set<string>();
    for (const r of doc.remove) {
      if (doc.extends === undefined) {
        report(
          doc.file,
          r.range,
          `cannot remove "${r.id}": "remove" needs "extends", there is nothing inherited to remove from`,
        );
        complete = false;
      } else if (removed.has(r.id)) {
        report(doc.file, r.range, `"${r.id}" is removed twice`);
      } else if (!inheritedSource(parentLevel, r.id)) {
        const hint = closest(
          r.id,
          parent!.sources.map((x) => x.id),
        );
        report(
          doc.file,
          r.range,
          `cannot remove "${r.id}": parent "${doc.extends}" has no source with that id${hint ? ` (did you mean "${hint}"?)` : ''}`,
        );
        complete = false;
      }
      removed.add(r.id);
    }
    const kept = { get: (id: string) => (removed.has(id) ? undefined : inheritedSource(parentLevel, id)) };

    const own = new Map<string, SourceSpec>();
    const added: ResolvedSource[] = [];
    for (const x of doc.sources) {
      const twin = own.get(x.id);
      if (twin) {
        report(doc.file, x.idRange, `duplicate source id "${x.id}" (first at line ${twin.idRange.start.line + 1})`);
        complete = false;
        continue;
      }
      const inheritedTwin = kept.get(x.id);
      if (inheritedTwin) {
        report(
          doc.file,
          x.idRange,
          `source id "${x.id}" is already inherited from "${inheritedTwin.definedIn}"; add it to "remove" to replace it`,
        );
        complete = false;
        continue;
      }
      own.set(x.id, x);
      const counted = countSource(doc, x, counts, report);
      if (!counted) {
        complete = false;
        continue;
      }
      added.push(counted);
    }

    // Without removals the counts continue the parent's sums in the same order, so they are the
    // very same floating-point numbers as summing the whole list, at the cost of this level only.
    const statistics =
      parent && removed.size === 0
        ? computeStatistics(added, parent.statistics)
        : computeStatistics([...(parent ? parent.sources.filter((x) => !removed.has(x.id)) : []), ...added]);
    if (!Number.isSafeInteger(Math.round(statistics.total))) {
      report(
        doc.file,
        doc.nameRange,
        `the recipe's ${statistics.total} tokens exceed 2^53, beyond which counts are no longer exact`,
      );
      complete = false;
    }
    const level: Level = { parent, removed, added, ids: new Map(added.map((x) => [x.id, x])) };
    const recipe: ResolvedRecipe = {
      name,
      doc,
      parent: doc.extends,
      tokenizer,
      statistics,
      complete,
      get sources() {
        return sourcesOf(level);
      },
    };
    levels.set(recipe, level);
    for (const id of [...level.ids.keys(), ...removed]) {
      const at = mentions.get(id);
      if (at) at.push(level);
      else mentions.set(id, [level]);
    }
    resolved.set(name, recipe);
  };

  /**
   * Resolves a recipe after its ancestors, walking up the `extends` chain with a loop rather than
   * recursion: a chain thousands deep must neither overflow the stack nor keep a copy of every
   * ancestor's source list (each recipe holds only what it adds and removes).
   */
  const resolveChain = (start: RecipeDocument) => {
    const chain: RecipeDocument[] = [];
    const position = new Map<string, number>();
    for (
      let d: RecipeDocument | undefined = start;
      d && !resolved.has(d.name!) && !failed.has(d.name!);
      d = d.extends === undefined ? undefined : byName.get(d.extends)
    ) {
      const at = position.get(d.name!);
      if (at !== undefined) {
        const members = chain.slice(at);
        const cycle = [...members.map((m) => m.name!), d.name!];
        for (const m of members) {
          report(m.file, m.extendsRange!, `"extends" forms a cycle: ${cycle.join(' → ')}`);
          failed.add(m.name!);
        }
        break;
      }
      position.set(d.name!, chain.length);
      chain.push(d);
    }
    for (let i = chain.length - 1; i >= 0; i--) resolveOne(chain[i]);
  };

  function sourcesOf(level: Level): ResolvedSource[] {
    const chain: Level[] = [];
    for (let l: Level | undefined = level; l; l = l.parent && levels.get(l.parent)) chain.push(l);
    let out: ResolvedSource[] = [];
    for (let i = chain.length - 1; i >= 0; i--) {
      const l = chain[i];
      if (l.removed.size > 0) out = out.filter((x) => !l.removed.has(x.id));
      for (const x of l.added) out.push(x);
    }
    return out;
  }

  /**
   * The source `id` as a recipe (its level) has it: the nearest level up that adds or removes it
   * decides. An id no level mentions, the usual case, is answered without walking the chain.
   */
  function inheritedSource(level: Level | undefined, id: string): ResolvedSource | undefined {
    const mentioned = mentions.get(id);
    if (!mentioned) return undefined;
    for (let l = level; l; l = l.parent && levels.get(l.parent)) {
      if (!mentioned.includes(l)) continue;
      return l.ids.get(id);
    }
    return undefined;
  }

  for (const d of byName.values()) resolveChain(d);
  return { recipes: resolved, diagnostics, documents: docs };
}

interface Level {
  readonly parent?: ResolvedRecipe;
  readonly removed: ReadonlySet<string>;
  readonly added: readonly ResolvedSource[];
  readonly ids: ReadonlyMap<string, ResolvedSource>;
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
      report(
        doc.file,
        s.tokensRange!,
        `declared ${formatTokens(s.tokens)} tokens (${s.tokens}) but the indexed dataset ${s.megatron} holds ${counted.tokens} (${formatTokens(counted.tokens)}); the index wins`,
        'warning',
      );
    }
    return {
      ...base,
      datasetPath: dataset,
      tokens: counted.tokens,
      tokensFrom: counted.onCluster ? 'cluster' : 'index',
      ...(counted.countedAt === undefined ? {} : { countedAt: counted.countedAt }),
      effectiveTokens: counted.tokens * fraction,
    };
  }
  // A declared count stands in for a dataset that lives elsewhere (on the cluster, say). One that
  // was looked for and could not be counted says why, or the recipe would mix counts unseen.
  if (s.tokens !== undefined) {
    if (counted && !counted.absent)
      report(
        doc.file,
        s.megatronRange!,
        `cannot count tokens of "${s.megatron}": ${counted.message}; the declared ${formatTokens(s.tokens)} stands in`,
        'warning',
      );
    return {
      ...base,
      datasetPath: dataset,
      tokens: s.tokens,
      tokensFrom: 'declared',
      effectiveTokens: s.tokens * fraction,
    };
  }
  report(
    doc.file,
    s.megatronRange!,
    `cannot count tokens of "${s.megatron}": ${counted ? counted.message : 'the indexed dataset was not read'}`,
  );
  return undefined;
}
