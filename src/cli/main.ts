import { parseArgs } from 'node:util';
import { runCommand } from './commands';

/** `corpus-lab` — the core from the command line. Exit codes: 0 ok, 1 invalid input, 2 usage. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    io.err(`corpus-lab ${command}: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  return runCommand(command, parsed.positionals, parsed.values, io);
}

const OPTIONS = {
  json: { type: 'boolean' },
  'data-root': { type: 'string' },
  composition: { type: 'string' },
  scores: { type: 'string' },
  before: { type: 'string' },
  after: { type: 'string' },
  control: { type: 'string', multiple: true },
  seed: { type: 'string' },
  permutations: { type: 'string' },
  family: { type: 'string' },
  tokenizer: { type: 'string' },
  sample: { type: 'string' },
  first: { type: 'string' },
  last: { type: 'string' },
  document: { type: 'string', multiple: true },
  language: { type: 'string' },
} as const;

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

const USAGE = `usage: corpus-lab <command> [options]

commands:
  stats <recipe files or directories…> [--json]   the seven compositional statistics of each recipe
  tokens <megatron prefix or directory> [--json]  exact token counts from indexed datasets (.idx/.bin)
  blend <recipe file> [--data-root DIR]           the recipe as a Megatron --data-path value
  analyze <study dir> | --composition CSV (--scores CSV | --before CSV --after CSV)
          [--control STAT=COV1,COV2 …] [--seed N] [--permutations N] [--family statistic|all] [--json]
                                                  score differences and (partial) correlations
  inspect <megatron prefix> [--tokenizer PATH] [--sample N] [--seed S] [--first N | --last N | --document I …]
          [--language ja|en|parallel] [--json]    document lengths, decoded samples, the language check
`;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`corpus-lab: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
