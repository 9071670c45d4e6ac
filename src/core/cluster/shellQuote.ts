/**
 * The one way a remote command is built: from an argument vector, each argument quoted for a POSIX
 * shell (the login shell sshd hands the command to). Single quotes make everything literal —
 * `;`, `$()`, backticks, globs, newlines, UTF-8 — except a single quote, written as '\''.
 */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

export class UnquotableArgumentError extends Error {
  constructor(readonly index: number) {
    super(`argument ${index} contains a NUL byte, which no shell argument can carry`);
    this.name = 'UnquotableArgumentError';
  }
}

export function shellQuote(arg: string, index = 0): string {
  if (arg.includes('\0')) throw new UnquotableArgumentError(index);
  if (arg !== '' && PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `argv` as one command line; the program and every argument are quoted. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map((a, i) => shellQuote(a, i)).join(' ');
}

/**
 * A remote path as an argument that no program reads as an option: a relative path starting with
 * `-` gets `./` in front. Quoting stops the shell, not `rm -rf`-style option parsing.
 */
export function pathArg(p: string): string {
  return p.startsWith('-') ? `./${p}` : p;
}

/** Several argument vectors run in sequence, stopping at the first failure. */
export function shellAnd(commands: readonly (readonly string[])[]): string {
  return commands.map(shellCommand).join(' && ');
}
