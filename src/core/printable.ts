/**
 * Text from files and servers shown in terminals, messages and job names. C0/C1 controls, DEL and
 * the bidirectional formatting characters (which reorder what a terminal or editor shows, e.g.
 * `EnJa\u202Egpj.exe`) are made visible instead of acted on.
 */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE_ONE = new RegExp(`[${UNSAFE}]`, 'u');
const UNSAFE_ALL = new RegExp(`[${UNSAFE}]`, 'gu');
/** The unsafe characters JSON.stringify leaves raw (it escapes C0 controls itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function hasUnsafeChars(s: string): boolean {
  return UNSAFE_ONE.test(s);
}

/** `s` with every control or bidirectional formatting character written as `\u{…}`. */
export function printable(s: string): string {
  return s.replace(UNSAFE_ALL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** `s` in double quotes for a message, JSON-escaped and with the characters above escaped too. */
export function quoted(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_IN_JSON, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

const UNSAFE_BUT_LINES = new RegExp(`(?![\\n\\t])[${UNSAFE}]`, 'gu');

/** Output for a terminal: lines and tabs stay, every other control or bidi character is shown as `\u{…}`. */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE_BUT_LINES, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** JSON whose strings hold no raw bidi or C1 characters (JSON.stringify escapes only C0 ones). */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}
