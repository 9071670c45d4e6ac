/**
 * Token quantities as people write them in corpus tables: `27.76B`, `350M`, `1.5K`, `2T` or a plain
 * integer. Parsed from the decimal string so that `27.76B` is exactly 27 760 000 000, not a float
 * product that is off in the last digit.
 */
const SUFFIX_DIGITS: Record<string, number> = { '': 0, k: 3, m: 6, b: 9, t: 12 };
const QUANTITY = /^\s*(\d+)(?:\.(\d+))?\s*([kmbt]?)\s*$/i;

export type QuantityResult = { ok: true; tokens: number } | { ok: false; message: string };

export function parseTokenQuantity(value: unknown): QuantityResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      return { ok: false, message: `token count must be a non-negative number, got ${value}` };
    if (!Number.isInteger(value))
      return {
        ok: false,
        message: `token count must be a whole number of tokens, got ${value}; write "${value}B" for billions`,
      };
    return { ok: true, tokens: value };
  }
  if (typeof value !== 'string') {
    return {
      ok: false,
      message: `token count must be a number or a string like "27.76B" or "350M", got ${describe(value)}`,
    };
  }
  const m = QUANTITY.exec(value);
  if (!m)
    return {
      ok: false,
      message: `invalid token quantity "${value}": expected a number of tokens or a string like "27.76B", "350M", "12K"`,
    };
  const [, whole, fractionDigits = '', suffix] = m;
  const shift = SUFFIX_DIGITS[suffix.toLowerCase()];
  const significant = fractionDigits.replace(/0+$/, '');
  if (significant.length > shift) {
    return { ok: false, message: `token quantity "${value}" is not a whole number of tokens` };
  }
  const digits = (whole + significant.padEnd(shift, '0')).replace(/^0+(?=\d)/, '');
  const tokens = Number(digits);
  if (!Number.isSafeInteger(tokens)) return { ok: false, message: `token quantity "${value}" is too large` };
  return { ok: true, tokens };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${String(value)}`;
}

/** Compact form for tree labels and hovers: 27.76B, 350.00M, 12.00K, 950. */
export function formatTokens(tokens: number, decimals = 2): string {
  const abs = Math.abs(tokens);
  for (const [suffix, scale] of [
    ['T', 1e12],
    ['B', 1e9],
    ['M', 1e6],
    ['K', 1e3],
  ] as const) {
    if (abs >= scale) return `${(tokens / scale).toFixed(decimals)}${suffix}`;
  }
  return Number.isInteger(tokens) ? String(tokens) : tokens.toFixed(decimals);
}

export function formatSignedTokens(tokens: number): string {
  return tokens > 0 ? `+${formatTokens(tokens)}` : tokens < 0 ? `−${formatTokens(-tokens)}` : '±0';
}

export function formatPercent(fraction: number, decimals = 2): string {
  return `${(fraction * 100).toFixed(decimals)}%`;
}
