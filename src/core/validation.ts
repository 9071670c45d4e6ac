import type { ZodIssue } from 'zod';
import { quoted } from './printable';

/** `sources[2].fraction` — the way a person would point at a field. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** A zod issue as one sentence that names the field and what was found there. */
export function describeIssue(issue: ZodIssue, value: unknown, knownFields: readonly string[] = []): string {
  const field = formatPath(issue.path);
  const subject = field ? `"${field}"` : 'value';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.received === 'undefined') return `missing required field ${subject}`;
      return `${subject} must be ${article(issue.expected)}, got ${describeValue(value)}`;
    case 'invalid_enum_value':
      return `${subject} must be one of ${issue.options.join(', ')}; got ${describeValue(value)}`;
    case 'invalid_literal':
      return `${subject} must be ${JSON.stringify(issue.expected)}; got ${describeValue(value)}`;
    case 'unrecognized_keys': {
      const where = field ? ` in "${field}"` : '';
      return issue.keys
        .map((k) => {
          const hint = closest(k, knownFields);
          return `unknown field "${k}"${where}${hint ? ` (did you mean "${hint}"?)` : ''}`;
        })
        .join('; ');
    }
    case 'invalid_union':
      return `${subject} has the wrong type: got ${describeValue(value)}`;
    default:
      return `${subject} ${issue.message}${value === undefined ? '' : `, got ${describeValue(value)}`}`;
  }
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quoted(value);
  return `${typeof value} ${String(value)}`;
}

/** The nearest known name within two edits, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
