/**
 * Log text made safe to show: a job's output is written by programs and datasets we do not
 * control. Terminal escape sequences (colours, cursor moves, window titles) are dropped; other
 * control characters become their visible Control Pictures (␛, ␇…); bidirectional overrides and
 * isolates, which can make a line read differently from what it holds ("Trojan Source"), are shown
 * as `⟨U+202E⟩`. Tabs stay.
 */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const ANY = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function displayLine(line: string): string {
  if (!ANY.test(line)) return line;
  return line.replace(ESCAPES, '').replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
}
