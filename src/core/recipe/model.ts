import type { Diagnostic, Range } from '../diagnostics';

export const LANGUAGES = ['ja', 'en', 'parallel'] as const;
export type Language = (typeof LANGUAGES)[number];
export const ORIGINS = ['original', 'machine-translated'] as const;
export type Origin = (typeof ORIGINS)[number];

/** One subcorpus as written in a recipe file, with the ranges diagnostics and hovers point at. */
export interface SourceSpec {
  readonly id: string;
  readonly language: Language;
  readonly origin: Origin;
  readonly tokens?: number;
  readonly megatron?: string;
  readonly fraction?: number;
  readonly kind?: string;
  readonly range: Range;
  readonly idRange: Range;
  /** Where the language check's diagnostic points. */
  readonly languageRange?: Range;
  readonly tokensRange?: Range;
  readonly megatronRange?: Range;
}

export interface RemoveSpec {
  readonly id: string;
  readonly range: Range;
}

/** A parsed recipe file: whatever could be read from it, and what was wrong with the rest. */
export interface RecipeDocument {
  readonly file: string;
  readonly name?: string;
  readonly nameRange: Range;
  readonly description?: string;
  readonly tokenizer?: string;
  readonly tokenizerRange?: Range;
  readonly extends?: string;
  readonly extendsRange?: Range;
  readonly sources: readonly SourceSpec[];
  readonly remove: readonly RemoveSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

export const RECIPE_FILE_SUFFIX = '.recipe.yaml';
