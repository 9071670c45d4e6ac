import { type Document, isMap, isScalar, isSeq, type Node, type ParsedNode, parseDocument } from 'yaml';
import { type Diagnostic, LineIndex, type Range, ZERO_RANGE } from '../diagnostics';
import { describeIssue } from '../validation';
import type { RecipeDocument, RemoveSpec, SourceSpec } from './model';
import { parseTokenQuantity } from './quantity';
import { RECIPE_FIELDS, recipeTopSchema, SOURCE_FIELDS, sourceSchema } from './schema';

type Path = readonly (string | number)[];

/** Parses one recipe file; never throws: whatever is wrong becomes a diagnostic at its range. */
export function parseRecipe(file: string, text: string): RecipeDocument {
  const lines = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  const error = (range: Range, message: string) => diagnostics.push({ file, range, severity: 'error', message });
  const empty: RecipeDocument = { file, nameRange: ZERO_RANGE, sources: [], remove: [], diagnostics };

  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  for (const e of doc.errors)
    error(lines.range(e.pos[0], Math.max(e.pos[1], e.pos[0])), `YAML: ${firstLine(e.message)}`);
  if (doc.errors.length > 0) return empty;
  if (!isMap(doc.contents)) {
    const range = doc.contents ? rangeOf(lines, doc.contents) : ZERO_RANGE;
    error(
      range,
      doc.contents
        ? 'a recipe must be a mapping with "name", "tokenizer" and "sources"'
        : 'empty recipe: expected a mapping with "name", "tokenizer" and "sources"',
    );
    return empty;
  }

  const at = (path: Path, key = false, whole = false) => locate(doc, lines, path, key, whole);
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (e) {
    // An alias bomb (or any other document yaml refuses to expand) costs this file only.
    error(ZERO_RANGE, `YAML: ${firstLine((e as Error).message)}`);
    return empty;
  }
  const source = (path: Path) => {
    const node = doc.getIn(path, true) as Node | undefined;
    return isScalar(node) && node.range ? text.slice(node.range[0], node.range[1]) : undefined;
  };

  const top = recipeTopSchema.safeParse(data);
  const good: Record<string, unknown> = {};
  if (top.success) Object.assign(good, top.data);
  else {
    const bad = new Set<string>();
    for (const issue of top.error.issues) {
      const value = valueAt(data, issue.path);
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys)
          error(at([...issue.path, k], true), describeIssue({ ...issue, keys: [k] }, value, RECIPE_FIELDS));
        continue;
      }
      bad.add(String(issue.path[0]));
      error(at(issue.path), describeIssue(issue, value, RECIPE_FIELDS));
    }
    // Keep every well-formed field so that one typo does not blank the whole recipe.
    for (const key of RECIPE_FIELDS) {
      if (bad.has(key) || data[key] === undefined) continue;
      const field = recipeTopSchema.shape[key as keyof typeof recipeTopSchema.shape].safeParse(data[key]);
      if (field.success) good[key] = field.data;
    }
  }

  const sources: SourceSpec[] = [];
  const rawSources = (good.sources as unknown[] | undefined) ?? [];
  rawSources.forEach((raw, i) => {
    const parsedSource = parseSource(raw, ['sources', i], at, error, source);
    if (parsedSource) sources.push(parsedSource);
  });

  const remove: RemoveSpec[] = ((good.remove as string[] | undefined) ?? []).map((id, i) => ({
    id,
    range: at(['remove', i]),
  }));

  if (!('extends' in data) && !('sources' in data) && good.name !== undefined) {
    error(at(['name'], true), 'a recipe needs "sources" or "extends"');
  }
  if (good.extends === undefined && good.tokenizer === undefined && !('tokenizer' in data)) {
    error(at(['name'], true), 'missing required field "tokenizer" (only a recipe that "extends" another inherits it)');
  }

  return {
    file,
    name: good.name as string | undefined,
    nameRange: 'name' in data ? at(['name']) : ZERO_RANGE,
    description: good.description as string | undefined,
    tokenizer: good.tokenizer as string | undefined,
    tokenizerRange: good.tokenizer === undefined ? undefined : at(['tokenizer']),
    extends: good.extends as string | undefined,
    extendsRange: good.extends === undefined ? undefined : at(['extends']),
    sources,
    remove,
    diagnostics,
  };
}

function parseSource(
  raw: unknown,
  path: Path,
  at: (path: Path, key?: boolean, whole?: boolean) => Range,
  error: (range: Range, message: string) => void,
  sourceText: (path: Path) => string | undefined,
): SourceSpec | undefined {
  const parsed = sourceSchema.safeParse(raw);
  // Every problem of a source at once: its quantity is checked even when another field is wrong.
  const rawTokens = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).tokens : undefined;
  let tokens: number | undefined;
  let tokensBad = false;
  if (rawTokens !== undefined && (typeof rawTokens === 'number' || typeof rawTokens === 'string')) {
    const q = checkQuantity(rawTokens, sourceText([...path, 'tokens']));
    if (q.ok) tokens = q.tokens;
    else {
      error(at([...path, 'tokens']), `"${formatField(path, 'tokens')}": ${q.message}`);
      tokensBad = true;
    }
  }
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const full = [...path, ...issue.path];
      const value = valueAt(raw, issue.path);
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys)
          error(at([...full, k], true), describeIssue({ ...issue, path: full, keys: [k] }, value, SOURCE_FIELDS));
      } else {
        error(at(full), describeIssue({ ...issue, path: full }, value, SOURCE_FIELDS));
      }
    }
    return undefined;
  }
  if (tokensBad) return undefined;
  const s = parsed.data;
  if (tokens === undefined && s.megatron === undefined) {
    error(
      at([...path, 'id'], true),
      `source "${s.id}" needs "tokens" (e.g. 27.76B) or "megatron" (an indexed dataset prefix)`,
    );
    return undefined;
  }
  return {
    id: s.id,
    language: s.language,
    origin: s.origin,
    tokens,
    megatron: s.megatron,
    fraction: s.fraction,
    kind: s.kind,
    range: at(path, false, true),
    idRange: at([...path, 'id']),
    languageRange: at([...path, 'language']),
    tokensRange: s.tokens === undefined ? undefined : at([...path, 'tokens']),
    megatronRange: s.megatron === undefined ? undefined : at([...path, 'megatron']),
  };
}

/**
 * A token count as written: YAML reads `0x10B` as 267, `1e3` as 1000 and rounds digits past 2^53,
 * so a number is taken only when its text in the file is plain decimal digits.
 */
function checkQuantity(value: number | string, text: string | undefined): ReturnType<typeof parseTokenQuantity> {
  if (typeof value === 'number' && text !== undefined) {
    const written = text.trim();
    if (/^\d+$/.test(written)) return parseTokenQuantity(written);
    if (Number.isInteger(value) && value >= 0)
      return {
        ok: false,
        message: `"${written}" reads as ${value}; write token counts in decimal digits or with a suffix ("27.76B")`,
      };
  }
  return parseTokenQuantity(value);
}

/** A recipe file that could not be read at all: one diagnostic, so the rest of the workspace carries on. */
export function failedRecipe(file: string, reason: string, line?: number): RecipeDocument {
  const range =
    line === undefined
      ? ZERO_RANGE
      : { start: { line: line - 1, character: 0 }, end: { line: line - 1, character: 0 } };
  return {
    file,
    nameRange: ZERO_RANGE,
    sources: [],
    remove: [],
    diagnostics: [{ file, range, severity: 'error', message: `cannot read this recipe: ${reason}` }],
  };
}

function formatField(path: Path, field: string): string {
  return `${path[0]}[${path[1]}].${field}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/**
 * The range of the node at `path`: its key when `key` is set (unknown fields, missing values), else
 * its value. Where the path runs out (a missing field) it is the key of the nearest existing parent,
 * or the parent's first line. A mapping is its first key unless `whole` asks for all of it.
 */
function locate(doc: Document.Parsed, lines: LineIndex, path: Path, key: boolean, whole: boolean): Range {
  let node: Node | null = doc.contents as Node;
  let keyNode: Node | undefined;
  let lastKey: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) return lastKey ? rangeOf(lines, lastKey) : firstLineOf(lines, node);
      keyNode = pair.key as Node;
      lastKey = keyNode;
      node = pair.value as Node | null;
      if (!node) return rangeOf(lines, keyNode);
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg] as Node;
      keyNode = undefined;
      if (isMap(node)) lastKey = undefined;
    } else {
      return node ? firstLineOf(lines, node) : ZERO_RANGE;
    }
  }
  if (key && keyNode) return rangeOf(lines, keyNode);
  if (isMap(node) && !whole) return firstLineOf(lines, node);
  return node ? rangeOf(lines, node) : ZERO_RANGE;
}

function rangeOf(lines: LineIndex, node: Node | ParsedNode): Range {
  const r = node.range;
  return r ? lines.range(r[0], r[1]) : ZERO_RANGE;
}

/** A mapping spans many lines; a squiggle over its first key reads better than one over all of it. */
function firstLineOf(lines: LineIndex, node: Node): Range {
  if (isMap(node) && node.items.length > 0 && node.items[0].key) return rangeOf(lines, node.items[0].key as Node);
  return rangeOf(lines, node);
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
