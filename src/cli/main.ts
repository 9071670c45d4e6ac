import { parseArgs } from 'node:util';
import { terminalSafe } from '../core/printable';
import { CLUSTER_COMMANDS, EXIT, runClusterCommand } from './clusterCommands';
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
  if (!CLUSTER_COMMANDS.has(command)) return runCommand(command, parsed.positionals, parsed.values, io);
  // The first Ctrl-C asks the command to stop where it safely can (a launch: before its next
  // sbatch); a second one ends at once, its child processes with it.
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
    io.err('\nstopping… (Ctrl-C again to quit at once)\n');
    interrupt.abort();
  });
  // Names and messages come from files and programs anyone can write: shown, not obeyed.
  const safe = { out: (s: string) => io.out(terminalSafe(s)), err: (s: string) => io.err(terminalSafe(s)) };
  return runClusterCommand(command, parsed.positionals, parsed.values, safe, interrupt.signal);
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
  workspace: { type: 'string' },
  config: { type: 'string' },
  cluster: { type: 'string' },
  study: { type: 'string' },
  yes: { type: 'boolean' },
  follow: { type: 'boolean' },
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

cluster commands (the workspace's .vscode/settings.json, or --config FILE; its .corpus-lab/jobs.json):
  cluster check <profile> [--json]                connect (host key), Slurm's version and partitions
  study validate <recipes…> --study NAME [--cluster C] [--json]
                                                  every job rendered and checked, the tools and sbatch --test-only
  study launch <recipes…> --study NAME [--cluster C] [--yes] [--json]
                                                  the plan, then the study submitted as one dependency graph
  jobs [--study NAME] [--json]                    states, reasons, elapsed, GPU-hours (polls Slurm first)
  logs <job> [--follow]                           a job's log (job: tag, Slurm id or study/stage/model)
  cancel <job> | cancel --study NAME              scancel a job, or every live job of a study
  fetch <study> [--json]                          evaluation CSVs into results/<study>/, made a study
  options: --workspace DIR (default: .), --config FILE, --cluster NAME

exit codes: 0 ok; 1 invalid input or a failure reported; 2 usage; 3 the cluster cannot be reached;
130 interrupted (Ctrl-C)
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
