import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** Module → the modules it imports, as paths relative to the root with `/` separators. */
export type ImportGraph = ReadonlyMap<string, ReadonlySet<string>>;

function tsFiles(root: string, dir: string): string[] {
  if (!existsSync(path.join(root, dir))) return [];
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? tsFiles(root, rel) : e.name.endsWith('.ts') ? [rel] : [];
  });
}

/**
 * The real import graph of the TypeScript files under `dirs`: every relative specifier, static,
 * type-only, `export … from`, dynamic `import()`, `import('…').T` and `require()`, read by the
 * TypeScript compiler's own pre-processor (so imports in comments and strings are not imports). A
 * `.js` suffix (what the dynamic imports of the bundles spell) names the `.ts` file. A relative
 * specifier that names no file is returned in `unresolved`, so that the graph cannot silently lose an edge.
 */
export function importGraph(root: string, dirs: readonly string[]): { graph: ImportGraph; unresolved: string[] } {
  const files = dirs.flatMap((d) => tsFiles(root, d));
  const known = new Set(files);
  const graph = new Map<string, Set<string>>();
  const unresolved: string[] = [];
  for (const file of files) {
    const targets = new Set<string>();
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = path.posix.join(path.posix.dirname(file), fileName).replace(/\.js$/, '');
      const target = [`${base}.ts`, `${base}/index.ts`].find((c) => known.has(c));
      if (target) targets.add(target);
      else unresolved.push(`${file}: ${fileName}`);
    }
    graph.set(file, targets);
  }
  return { graph, unresolved };
}

/**
 * The import cycles: strongly connected components of more than one module, or a module that
 * imports itself (Tarjan's algorithm), each sorted, listed by their first module.
 */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

/** A room: modules that belong together, named by path prefixes (a folder ending in `/`) or whole files. */
export interface Room {
  readonly name: string;
  readonly paths: readonly string[];
  /** Only these rooms may be imported from here (instead of every room of a lower layer). */
  readonly only?: readonly string[];
}

/** Layers from the bottom up; a layer holds one room or several that stand side by side. */
export type LayerOrder = readonly (readonly Room[])[];

/** The room of a module: the one with the longest path that matches it, so a file can be placed apart from its folder. */
export function roomOf(order: LayerOrder, file: string): { room: Room; layer: number } | undefined {
  let best: { room: Room; layer: number; length: number } | undefined;
  order.forEach((rooms, layer) => {
    for (const room of rooms)
      for (const p of room.paths) {
        const match = p.endsWith('/') ? file.startsWith(p) : file === p;
        if (match && p.length > (best?.length ?? -1)) best = { room, layer, length: p.length };
      }
  });
  return best && { room: best.room, layer: best.layer };
}

/**
 * Every import that breaks the order: one that goes up a layer, or sideways into another room of
 * the same layer, or, from a room with `only`, into a room not in its list; and every module in no room.
 */
export function layerViolations(graph: ImportGraph, order: LayerOrder): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = roomOf(order, file);
    if (!from) {
      out.push(`${file} is in no room of the layer order`);
      continue;
    }
    for (const target of targets) {
      const to = roomOf(order, target);
      if (!to || to.room === from.room) continue;
      const rule = from.room.only
        ? from.room.only.includes(to.room.name)
          ? undefined
          : `${from.room.name} may import only ${from.room.only.join(', ')}`
        : to.layer > from.layer
          ? `${from.room.name} is below ${to.room.name}`
          : to.layer === from.layer
            ? `${from.room.name} and ${to.room.name} stand side by side`
            : undefined;
      if (rule) out.push(`${file} → ${target}: ${rule}`);
    }
  }
  return out.sort();
}
