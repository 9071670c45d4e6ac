/** OpenSSH's patterns (`*` any run, `?` one character, the rest literal) as a whole-string RegExp. */
export function globRegExp(pattern: string, flags = ''): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );
}
