/**
 * One colour per task category and per language, the same in every chart and export whatever
 * order the data comes in: the Okabe–Ito palette, which colour-blind readers tell apart, every
 * colour readable as a bar on both the light and the dark theme (contrast ≥ 2 against white and
 * against #1e1e1e, checked in the tests).
 */
export const CATEGORY_COLOURS: Readonly<Record<string, string>> = {
  MCQA: '#0072B2',
  DC: '#E69F00',
  MT: '#009E73',
  NER: '#D55E00',
  STS: '#CC79A7',
};

export const LANGUAGE_COLOURS: Readonly<Record<string, string>> = {
  Japanese: '#BB5566',
  English: '#44AA99',
};

/** For a name outside the fixed sets (a study with its own categories): stable by name, not by order. */
const SPARE = ['#56B4E9', '#999999', '#117733', '#AA4499', '#4477AA'];

function byName(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return SPARE[h % SPARE.length];
}

export function categoryColour(category: string): string {
  return CATEGORY_COLOURS[category] ?? byName(category);
}

export function languageColour(language: string): string {
  return LANGUAGE_COLOURS[language] ?? byName(language);
}

/** Okabe–Ito again, for the runs of Compare Runs: one colour per recipe. */
const RECIPE_PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#999999'];

/**
 * The colour of each recipe among those compared: by sorted name, so the same set of recipes is
 * coloured the same whatever order the runs were picked in; past the palette, stable by name.
 */
export function recipeColours(recipes: readonly string[]): Map<string, string> {
  const names = [...new Set(recipes)].sort();
  return new Map(names.map((n, i) => [n, RECIPE_PALETTE[i] ?? byName(n)]));
}
