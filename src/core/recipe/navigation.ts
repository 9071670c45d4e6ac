import type { Range } from '../diagnostics';
import type { RecipeDocument } from './model';
import { LANGUAGES, ORIGINS } from './model';
import { formatTokens } from './quantity';
import { summaryLine } from './report';
import type { RecipeSet, ResolvedRecipe } from './resolve';
import { RECIPE_FIELDS, SOURCE_FIELDS } from './schema';

/** Where a name in a recipe is defined: a file and the range of the name there. */
export interface Location {
  readonly file: string;
  readonly range: Range;
}

/**
 * Go to definition: the parent recipe's name from `extends:`, the inherited source's id from an
 * id under `remove:`. Read from the parsed documents, so it follows unsaved edits the catalog saw.
 */
export function definitionAt(set: RecipeSet, file: string, line: number, character: number): Location | undefined {
  const doc = set.documents.find((d) => d.file === file);
  if (!doc || doc.extends === undefined) return undefined;
  if (doc.extendsRange && contains(doc.extendsRange, line, character)) {
    const parent = recipeDocument(set, doc.extends);
    return parent && { file: parent.file, range: parent.nameRange };
  }
  const removed = doc.remove.find((r) => contains(r.range, line, character));
  if (!removed) return undefined;
  const source = set.recipes.get(doc.extends)?.sources.find((s) => s.id === removed.id);
  return source && { file: source.file, range: source.idRange };
}

/** The document a recipe name means: the resolved one, else the first that declares it (as resolve does). */
function recipeDocument(set: RecipeSet, name: string): RecipeDocument | undefined {
  return set.recipes.get(name)?.doc ?? set.documents.find((d) => d.name === name);
}

function contains(r: Range, line: number, character: number): boolean {
  const after = line > r.start.line || (line === r.start.line && character >= r.start.character);
  const before = line < r.end.line || (line === r.end.line && character <= r.end.character);
  return after && before;
}

export type CompletionKind = 'field' | 'value' | 'recipe' | 'source';

export interface CompletionEntry {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly insertText: string;
  readonly detail?: string;
}

/** What completes at a position: the entries and the range of the word they replace. */
export interface Completion {
  readonly range: Range;
  readonly items: readonly CompletionEntry[];
}

const TOP_KEY = /^([A-Za-z_][\w-]*)\s*:/;
const ITEM_START = /^(\s*)-(\s|$)/;
const KEY_IN_ITEM = /^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:/;
const SOURCE_ID_CHARS = /[A-Za-z0-9._-]*$/;

/**
 * Completion from the text as typed, line by line: a half-written recipe is rarely valid YAML, so
 * the context (which key, which list) is read from indentation rather than from the parse. The
 * workspace's recipes (`set`) supply parent names and inherited ids.
 */
export function completionAt(
  set: RecipeSet,
  file: string,
  text: string,
  line: number,
  character: number,
): Completion | undefined {
  const lines = text.split(/\r?\n/);
  if (line >= lines.length) return undefined;
  const before = lines[line].slice(0, character);
  if (/#/.test(before)) return undefined; // inside a comment
  const word = (pattern: RegExp) => {
    const w = pattern.exec(before)![0];
    return { start: { line, character: character - w.length }, end: { line, character } };
  };

  const ext = /^extends:\s*["']?([^\s"']*)$/.exec(before);
  if (ext) return { range: word(/[^\s"']*$/), items: parentCandidates(set, file, ownName(lines)) };

  const enclosing = enclosingKey(lines, line);
  const isTop = /^[A-Za-z_]*$/.test(before);
  if (isTop) {
    const present = new Set(lines.flatMap((l, i) => (i !== line && TOP_KEY.exec(l)?.[1]) || []));
    return { range: word(/[A-Za-z_]*$/), items: RECIPE_FIELDS.filter((f) => !present.has(f)).map((f) => field(f)) };
  }

  if (enclosing === 'sources') {
    const value = /^\s*(?:-\s+)?(language|origin)\s*:\s*([\w-]*)$/.exec(before);
    if (value) {
      const values = value[1] === 'language' ? LANGUAGES : ORIGINS;
      return { range: word(/[\w-]*$/), items: values.map((v) => ({ label: v, kind: 'value', insertText: v })) };
    }
    if (/^\s*(?:-\s+)?[A-Za-z_]*$/.test(before)) {
      const present = itemKeys(lines, line);
      return { range: word(/[A-Za-z_]*$/), items: SOURCE_FIELDS.filter((f) => !present.has(f)).map((f) => field(f)) };
    }
    return undefined;
  }

  const flow = /^remove:\s*\[([^\]]*)$/.exec(before);
  const inBlock = enclosing === 'remove' && /^\s*-\s+[A-Za-z0-9._-]*$|^\s*-?$/.test(before);
  if (flow || inBlock) {
    const listed = flow
      ? flow[1]
          .split(',')
          .slice(0, -1)
          .map((s) => s.trim().replace(/^["']|["']$/g, ''))
      : removeBlockIds(lines, line);
    return { range: word(SOURCE_ID_CHARS), items: inheritedIds(set, parentName(lines), new Set(listed)) };
  }
  return undefined;
}

function field(name: string): CompletionEntry {
  return { label: name, kind: 'field', insertText: `${name}: ` };
}

function ownName(lines: readonly string[]): string | undefined {
  for (const l of lines) {
    const m = /^name:\s*["']?([^"'#]*?)["']?\s*(#.*)?$/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

function parentName(lines: readonly string[]): string | undefined {
  for (const l of lines) {
    const m = /^extends:\s*["']?([^"'#]*?)["']?\s*(#.*)?$/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/** Every recipe but this one and those that extend it, which would make a cycle. */
function parentCandidates(set: RecipeSet, file: string, own: string | undefined): CompletionEntry[] {
  const names = new Set<string>();
  for (const d of set.documents) if (d.name !== undefined && d.file !== file) names.add(d.name);
  const descendsFromOwn = (name: string): boolean => {
    const seen = new Set<string>();
    for (let n: string | undefined = name; n !== undefined && !seen.has(n); n = recipeDocument(set, n)?.extends) {
      if (n === own) return true;
      seen.add(n);
    }
    return false;
  };
  return [...names]
    .filter((n) => own === undefined || !descendsFromOwn(n))
    .sort((a, b) => a.localeCompare(b))
    .map((n) => {
      const r: ResolvedRecipe | undefined = set.recipes.get(n);
      return { label: n, kind: 'recipe', insertText: n, detail: r ? summaryLine(r.statistics) : undefined };
    });
}

function inheritedIds(set: RecipeSet, parent: string | undefined, listed: ReadonlySet<string>): CompletionEntry[] {
  const p = parent === undefined ? undefined : set.recipes.get(parent);
  if (!p) return [];
  return p.sources
    .filter((s) => !listed.has(s.id))
    .map((s) => ({
      label: s.id,
      kind: 'source',
      insertText: s.id,
      detail: `${s.language}, ${s.origin}, ${formatTokens(s.effectiveTokens)} from ${s.definedIn}`,
    }));
}

/** The top-level key whose block holds `line`: the nearest key at column 0 above it. */
function enclosingKey(lines: readonly string[], line: number): string | undefined {
  for (let i = line; i >= 0; i--) {
    const l = lines[i];
    if (i === line && !/^[\s-]/.test(l)) return undefined;
    const m = TOP_KEY.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/** The keys already written in the list item (a source) that holds `line`, other than on `line`. */
function itemKeys(lines: readonly string[], line: number): Set<string> {
  const keys = new Set<string>();
  let start = line;
  while (start > 0 && !ITEM_START.test(lines[start]) && !TOP_KEY.test(lines[start])) start--;
  for (let i = start; i < lines.length; i++) {
    if (i > start && (ITEM_START.test(lines[i]) || TOP_KEY.test(lines[i]))) break;
    if (i === line) continue;
    const m = KEY_IN_ITEM.exec(lines[i]);
    if (m) keys.add(m[1]);
  }
  return keys;
}

/** The ids already listed in the `remove:` block around `line`. */
function removeBlockIds(lines: readonly string[], line: number): string[] {
  let start = line;
  while (start > 0 && !TOP_KEY.test(lines[start])) start--;
  const ids: string[] = [];
  for (let i = start + 1; i < lines.length && !TOP_KEY.test(lines[i]); i++) {
    const m = /^\s*-\s+["']?([A-Za-z0-9._-]+)/.exec(lines[i]);
    if (m && i !== line) ids.push(m[1]);
  }
  return ids;
}
