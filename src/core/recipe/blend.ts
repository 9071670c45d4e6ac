import * as path from 'node:path';
import { shellQuote } from '../cluster/shellQuote';
import type { Diagnostic } from '../diagnostics';
import type { ResolvedRecipe } from './resolve';

export interface BlendEntry {
  readonly weight: number;
  readonly prefix: string;
  readonly sourceId: string;
}

export type BlendResult =
  | { ok: true; entries: BlendEntry[]; dataPath: string }
  | { ok: false; diagnostics: Diagnostic[] };

/** A `megatron:` prefix as the cluster sees it: relative ones under `dataRoot` (the corpus root there). */
export function clusterPrefix(megatron: string, dataRoot?: string): string {
  return dataRoot && !path.posix.isAbsolute(megatron) ? path.posix.join(dataRoot, megatron) : megatron;
}

/**
 * A recipe as Megatron-LM's `--data-path` value: `weight prefix weight prefix …`, weights being the
 * token counts after fractions, the way llm-jp's training scripts write them (Megatron normalises).
 * Relative prefixes are joined to `dataRoot` (the corpus root on the cluster) when one is given;
 * `dataPath` quotes each prefix for a POSIX shell where it needs it (`entries` hold them as they are).
 */
export function exportBlend(recipe: ResolvedRecipe, dataRoot?: string): BlendResult {
  const diagnostics: Diagnostic[] = [];
  const entries: BlendEntry[] = [];
  for (const s of recipe.sources) {
    if (s.megatron === undefined) {
      diagnostics.push({
        file: s.file,
        range: s.idRange,
        severity: 'error',
        message: `source "${s.id}" has no "megatron" prefix; a --data-path blend needs one for every source`,
      });
      continue;
    }
    const prefix = clusterPrefix(s.megatron, dataRoot);
    if (s.effectiveTokens > 0) entries.push({ weight: Math.round(s.effectiveTokens), prefix, sourceId: s.id });
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  // The text is pasted into shell scripts: a prefix with spaces or quotes stays one argument.
  return { ok: true, entries, dataPath: entries.map((e) => `${e.weight} ${shellQuote(e.prefix)}`).join(' ') };
}
