/**
 * Text from files and servers shown in terminals, messages and job names. C0/C1 controls, DEL and
 * the bidirectional formatting characters (which reorder what a terminal or editor shows, e.g.
 * `EnJa\u202Egpj.exe`) are made visible instead of acted on.
 */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE_ONE = new RegExp(`[${UNSAFE}]`, 'u');
const UNSAFE_ALL = new RegExp(`[${UNSAFE}]`, 'gu');

export function hasUnsafeChars(s: string): boolean {
  return UNSAFE_ONE.test(s);
}

/** `s` with every control or bidirectional formatting character written as `\u{…}`. */
export function printable(s: string): string {
  return s.replace(UNSAFE_ALL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** `s` in double quotes for a message, JSON-escaped and with the characters above escaped too. */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_ALL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
