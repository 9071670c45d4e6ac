import { parse as parseYaml } from 'yaml';

/**
 * Checks a rendered job script against the tools installed on the cluster, before any GPU time is
 * spent: each tool invocation's options are compared with what the installed version says it
 * accepts — `--help` for argparse tools (Megatron-LM, the converters, med-eval), `--cfg job` for
 * Hydra tools (NeMo), whose printed config holds every key an override may name.
 */
export type CheckStyle = 'argparse' | 'probe' | 'hydra' | 'none';

/**
 * The option `probe` checks hand a tool after its own arguments. Megatron's convert.py adds its
 * loader's and saver's options only after reading --loader/--saver, and its `--help` is answered
 * before that; given its real arguments and one it cannot know, argparse refuses at parsing —
 * before any work — naming every option it does not know.
 */
export const PROBE_OPTION = '--corpus-lab-probe';

export interface ShellWord {
  /** The word as written (quotes and `$HOME` intact), to run it again on the cluster. */
  readonly raw: string;
  /** The word as the shell would pass it, with quotes removed (expansions left as written). */
  readonly value: string;
}

/** Splits one shell command (continuation lines already joined) into words, up to its end. */
export function shellWords(text: string): ShellWord[] {
  const words: ShellWord[] = [];
  let raw = '';
  let value = '';
  let inWord = false;
  const end = () => {
    if (inWord) words.push({ raw, value });
    raw = '';
    value = '';
    inWord = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const stop = close < 0 ? text.length : close;
      raw += text.slice(i, stop + 1);
      value += text.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
      }
      raw += text.slice(i, j + 1);
      value += text.slice(i + 1, j).replace(/\\(["\\$`])/g, '$1');
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      raw += text.slice(i, i + 2);
      value += text[i + 1];
      inWord = true;
      i++;
    } else if (c === '$' && text[i + 1] === '(') {
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) break;
      }
      raw += text.slice(i, j + 1);
      value += text.slice(i, j + 1);
      inWord = true;
      i = j;
    } else if (c === ' ' || c === '\t') {
      end();
    } else if (c === '\n' || c === ';' || c === '|' || c === '&' || (c === '#' && !inWord)) {
      break;
    } else {
      raw += c;
      value += c;
      inWord = true;
    }
  }
  end();
  return words;
}

export interface Invocation {
  /** 1-based line of the script where the command starts. */
  readonly line: number;
  /** The tool's program: the first word that names a Python script. */
  readonly program: ShellWord;
  /** The words after the program, as the tool receives them. */
  readonly args: readonly string[];
  /** The same words as written, to hand them to the tool again on the cluster. */
  readonly rawArgs: readonly string[];
}

/** Commands of a script that start with the stage's launcher (as rendered), continuation lines joined. */
export function toolInvocations(script: string, launcher: string): Invocation[] {
  const lines = script.split('\n');
  const out: Invocation[] = [];
  const head = launcher.trim();
  if (!head) return out;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trimStart().startsWith(head)) continue;
    let command = lines[i];
    let j = i;
    while (/\\\s*$/.test(command) && j + 1 < lines.length) command = command.replace(/\\\s*$/, ' ') + lines[++j];
    const words = shellWords(command.trim());
    const p = words.findIndex((w) => /\.py$/.test(w.value));
    if (p >= 0)
      out.push({
        line: i + 1,
        program: words[p],
        args: words.slice(p + 1).map((w) => w.value),
        rawArgs: words.slice(p + 1).map((w) => w.raw),
      });
    i = j;
  }
  return out;
}

/** The option names an argparse `--help` text mentions. */
export function argparseOptions(help: string): Set<string> {
  return new Set([...help.matchAll(/(?<![\w-])--[A-Za-z0-9][\w.-]*/g)].map((m) => m[0].replace(/[.]+$/, '')));
}

/** Options of an invocation that the installed tool does not know (argparse: `--name` or `--name=value`). */
export function unknownOptions(args: readonly string[], known: ReadonlySet<string>): string[] {
  const bad: string[] = [];
  for (const a of args) {
    if (!a.startsWith('--') || a === '--') continue;
    const name = a.split('=')[0];
    if (!known.has(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

/** Every key path of a Hydra config (`--cfg job` output), and those still mandatory (`???`). */
export function hydraKeys(yamlText: string): { keys: Set<string>; mandatory: Set<string> } {
  const keys = new Set<string>();
  const mandatory = new Set<string>();
  const walk = (node: unknown, prefix: string) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const key = prefix ? `${prefix}.${k}` : k;
      keys.add(key);
      if (v === '???') mandatory.add(key);
      walk(v, key);
    }
  };
  // Hydra prints its interpolations (${…}) as plain strings; the YAML parser takes them as such.
  walk(parseYaml(yamlText), '');
  return { keys, mandatory };
}

/** What Hydra would refuse in a set of overrides: keys not in the config, mandatory keys left unset. */
export function hydraProblems(
  args: readonly string[],
  cfg: { keys: ReadonlySet<string>; mandatory: ReadonlySet<string> },
): string[] {
  const problems: string[] = [];
  const set = new Set<string>();
  for (const a of args) {
    const m = /^(\+{0,2})([\w.]+)=/.exec(a);
    if (!m) continue;
    set.add(m[2]);
    if (!m[1] && !cfg.keys.has(m[2]))
      problems.push(`${m[2]} is not a key of its config (Hydra refuses to override it; "+${m[2]}=…" would add it)`);
  }
  for (const k of cfg.mandatory) if (!set.has(k)) problems.push(`${k} is mandatory (???) in its config and is not set`);
  return problems;
}

/**
 * The command that asks an installed tool for what it accepts, run after the user's set-up lines.
 * An argparse tool gets the invocation's own arguments before `--help`: argparse prints the help
 * when it reaches the flag, before it judges the rest, and tools that add options by plugin
 * (Megatron's convert.py: its loader's and saver's) then list those too.
 */
export function checkCommand(
  setup: string,
  python: string,
  inv: Pick<Invocation, 'program' | 'rawArgs'>,
  style: Exclude<CheckStyle, 'none'>,
): string {
  const ask =
    style === 'hydra'
      ? `${inv.program.raw} --cfg job`
      : `${inv.program.raw} ${inv.rawArgs.join(' ')} ${style === 'probe' ? PROBE_OPTION : '--help'}`;
  return `${setup ? `${setup}\n` : ''}${python} ${ask}`;
}

/**
 * What a probed tool refused: the options named by argparse's "unrecognized arguments" (ours
 * aside), or its other complaint (a bad choice, a missing required option) as it said it.
 */
export function probeProblems(result: { code: number | null; stdout: string; stderr: string }): {
  unknown: string[];
  other?: string;
} {
  const text = `${result.stderr}\n${result.stdout}`;
  const m = /unrecognized arguments: (.*)/.exec(text);
  if (m) {
    const unknown = m[1]
      .trim()
      .split(/\s+/)
      .filter((a) => a.startsWith('--') && a !== PROBE_OPTION)
      .map((a) => a.split('=')[0]);
    if (m[1].includes(PROBE_OPTION)) return { unknown };
  }
  if (result.code === 0)
    return {
      unknown: [],
      other: `it did not refuse ${PROBE_OPTION}, so it may ignore unknown options; check it with "argparse" (--help) or "none" instead`,
    };
  const error =
    /^.*error: (.*)$/m.exec(text)?.[1] ?? (text.trim().split('\n').slice(-2).join(' ') || `exit ${result.code}`);
  return { unknown: [], other: error };
}

/** Invocations that ask the same question of a tool: the same program with the same option names. */
export function checkKey(style: CheckStyle, inv: Invocation): string {
  return [
    style,
    inv.program.raw,
    ...(style === 'hydra' ? [] : inv.args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0])),
  ].join('\u0000');
}
