import { createHash } from 'node:crypto';
import { hasUnsafeChars, printable } from '../printable';

/**
 * Labels: the names a study, recipe or job carries where Slurm, the shell and both file systems see
 * them (job names, `--comment` tags, run and results directories). ASCII letters, digits and `._-`,
 * starting with a letter or digit, so that no label is an option (`-x`), a hidden or parent
 * directory (`.`, `..`), or a string that reads differently in a terminal than it is.
 */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_LABEL_LENGTH = 64;
const HASH_LENGTH = 6;

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `name` cannot be used as a label as it is, or undefined when it can. */
export function labelProblem(name: string): string | undefined {
  if (name === '') return 'a label cannot be empty';
  const hint = ` (a safe label: "${safeLabel(name)}")`;
  if (name.length > MAX_LABEL_LENGTH)
    return `"${printable(name.slice(0, MAX_LABEL_LENGTH))}…" is longer than ${MAX_LABEL_LENGTH} characters${hint}`;
  if (LABEL.test(name)) return undefined;
  if (/^[._-]/.test(name))
    return `"${printable(name)}" starts with "${name[0]}"; a label starts with a letter or digit${hint}`;
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c))!;
  return `"${printable(name)}" contains ${bad === ' ' ? 'a space' : hasUnsafeChars(bad) ? `the control character ${codePoint(bad)}` : `"${bad}" (${codePoint(bad)})`}; a label holds only ASCII letters, digits, ".", "_" and "-"${hint}`;
}

/**
 * A label derived from any name, deterministically: NFKC-normalised (full-width letters become
 * ASCII), every run of other characters one `-`. Whenever the result differs from `name`, a short
 * hash of the original follows, so that `EnJa Plus` and `EnJa-Plus`, or two Japanese names whose
 * characters were all dropped, never share a label.
 */
export function safeLabel(name: string, fallback = 'label'): string {
  if (LABEL.test(name) && name.length <= MAX_LABEL_LENGTH) return name;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_LENGTH);
  let stem = name
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[._-]+/, '')
    .replace(/[.-]+$/, '');
  stem = stem.slice(0, MAX_LABEL_LENGTH - HASH_LENGTH - 1).replace(/[.-]+$/, '');
  return `${stem || fallback}-${hash}`;
}
