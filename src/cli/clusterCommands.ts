import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { isCancelled } from '../core/cancellation';
import { type ClusterConnection, ConnectError } from '../core/cluster/connection';
import type { ClusterTransport } from '../core/cluster/transport';
import { isFinished } from '../core/jobs/jobState';
import { checkLaunch } from '../core/jobs/launchPlan';
import {
  exitText,
  formatGpuHours,
  gpuHours,
  jobDescription,
  jobGpuHours,
  needsPoll,
  shownReason,
  studySummary,
} from '../core/jobs/present';
import type { JobRecord } from '../core/jobs/registry';
import type { StageTemplates, StudyLaunch } from '../core/jobs/studyLaunch';
import { planLines } from '../core/jobs/studyPlan';
import { validateStudy } from '../core/jobs/studyValidate';
import { loadTemplate, STAGES } from '../core/jobs/templates';
import { displayLine } from '../core/logs/displayText';
import { LogFollower } from '../core/logs/logFollower';
import { LogLineSplitter } from '../core/logs/megatronLog';
import { safeJson } from '../core/printable';
import { exportBlend } from '../core/recipe/blend';
import { loadRecipes } from '../core/recipe/loader';
import { type FetchStudyReport, fetchStudy } from '../core/study/fetchStudy';
import type { Io, Values } from './commands';
import { CliError, CliWorkspace, openTransport, pickProfile, readSettings } from './workspace';

/** Exit codes of the cluster commands (README, "CLI"). */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

/** How often `logs --follow` asks Slurm whether the job has ended. */
const FOLLOW_POLL_MS = 5000;

/** The shipped job templates, beside the bundled CLI (dist/cli.js → templates/). */
const SHIPPED_TEMPLATES = path.join(__dirname, '..', 'templates');

export const CLUSTER_COMMANDS = new Set(['cluster', 'study', 'jobs', 'logs', 'cancel', 'fetch']);

/**
 * The cluster side of the CLI: the same core, registry and settings as the editor, so a study
 * launched here shows in the Jobs view and the reverse. `signal` aborts on the first Ctrl-C: a
 * launch then stops before its next submission (the one under way is finished and recorded).
 */
export async function runClusterCommand(
  command: string,
  args: string[],
  values: Values,
  io: Io,
  signal: AbortSignal,
): Promise<number> {
  const workspace = path.resolve(typeof values.workspace === 'string' ? values.workspace : '.');
  const config = typeof values.config === 'string' ? values.config : undefined;
  const cluster = typeof values.cluster === 'string' ? values.cluster : undefined;
  let ws: CliWorkspace | undefined;
  const hardExit = () => ws?.dispose();
  process.once('exit', hardExit);
  try {
    const { settings, problems, file } = await readSettings(workspace, config);
    for (const p of problems) io.err(`warning: ${p}\n`);
    ws = new CliWorkspace(workspace, settings, file);
    switch (command) {
      case 'cluster':
        return await clusterCheck(args, values, ws, io);
      case 'study':
        return await studyCommand(args, values, ws, io, cluster, signal);
      case 'jobs':
        return await jobsCommand(args, values, ws, io);
      case 'logs':
        return await logsCommand(args, values, ws, io, signal);
      case 'cancel':
        return await cancelCommand(args, values, ws, io);
      default:
        return await fetchCommand(args, values, ws, io, signal);
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`corpus-lab ${command}: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConnectError) {
      io.err(`corpus-lab ${command}: cannot reach the cluster: ${e.message}\n`);
      return EXIT.unreachable;
    }
    throw e;
  } finally {
    process.off('exit', hardExit);
    ws?.dispose();
  }
}

function noArgs(args: string[], command: string) {
  if (args.length) throw new CliError(`${command} takes no arguments (got ${args.map((a) => `"${a}"`).join(' ')})`, 2);
}

/** `cluster check <profile>`: reach it, say how (host key), and what Slurm it has. */
async function clusterCheck(args: string[], values: Values, ws: CliWorkspace, io: Io): Promise<number> {
  if (args[0] !== 'check' || args.length !== 2)
    throw new CliError('usage: corpus-lab cluster check <profile>', EXIT.usage);
  const profile = pickProfile(ws.settings, args[1], ws.settingsFile);
  const t = openTransport(profile);
  try {
    const host = await t.exec(['hostname']);
    const version = await t.exec(['sinfo', '--version']);
    const partitions = await t.exec(['sinfo', '--noheader', '--format=%P|%a|%l|%D|%G']);
    const report = {
      cluster: profile.name,
      kind: profile.kind,
      host: host.stdout.trim(),
      hostKey: t.kind === 'ssh' ? (t as ClusterConnection).hostKeyFingerprint : undefined,
      slurm: version.code === 0 ? version.stdout.trim() : undefined,
      partitions:
        partitions.code === 0
          ? partitions.stdout
              .split('\n')
              .filter(Boolean)
              .map((l) => {
                const [name, availability, timeLimit, nodes, gres] = l.split('|');
                return {
                  name: name.replace(/\*$/, ''),
                  default: name.endsWith('*'),
                  availability,
                  timeLimit,
                  nodes: Number(nodes),
                  gres,
                };
              })
          : [],
      problem:
        version.code === 0
          ? undefined
          : `Slurm's sinfo did not answer (exit ${version.code}): ${version.stderr.trim() || version.stdout.trim()}`,
    };
    if (values.json) io.out(`${safeJson(report)}\n`);
    else {
      io.out(`${report.cluster} (${report.kind}): ${report.host}\n`);
      if (report.hostKey) io.out(`host key: ${report.hostKey} (known)\n`);
      if (report.slurm) io.out(`Slurm: ${report.slurm}\n`);
      for (const p of report.partitions)
        io.out(
          `partition ${p.name}${p.default ? ' (default)' : ''}: ${p.availability}, ${p.nodes} node${p.nodes === 1 ? '' : 's'}, limit ${p.timeLimit}, gres ${p.gres}\n`,
        );
    }
    if (report.problem) io.err(`corpus-lab cluster: ${report.problem}\n`);
    return report.problem ? EXIT.failed : EXIT.ok;
  } finally {
    t.dispose();
  }
}

/** The study as the editor's Launch Study assembles it: the named recipes' blends, templates, settings. */
async function studyLaunch(ws: CliWorkspace, names: string[], study: string, cluster: string): Promise<StudyLaunch> {
  const { set } = await loadRecipes([ws.dir]);
  const recipes = names.map((name) => {
    const r = set.recipes.get(name);
    if (!r)
      throw new CliError(
        `no recipe named "${name}" in ${ws.dir} (known: ${[...set.recipes.keys()].sort().join(', ') || 'none'})`,
        EXIT.failed,
      );
    const blend = exportBlend(r, ws.settings.dataRoot || undefined);
    if (!blend.ok)
      throw new CliError(
        `${name} cannot become a blend: ${blend.diagnostics.map((d) => d.message).join('; ')}`,
        EXIT.failed,
      );
    return {
      name,
      dataPath: blend.entries.flatMap((e) => [String(e.weight), e.prefix]),
      totalTokens: r.statistics.total,
    };
  });
  const templates = Object.fromEntries(
    await Promise.all(STAGES.map(async (s) => [s, await loadTemplate(s, SHIPPED_TEMPLATES, ws.dir)])),
  ) as StageTemplates;
  const root = await ws.service.remoteRoot(cluster);
  return {
    study,
    cluster,
    recipes,
    includeBase: true,
    settings: ws.settings.jobs,
    templates,
    resultsDir: path.posix.join(root, 'results', study),
  };
}

async function studyCommand(
  args: string[],
  values: Values,
  ws: CliWorkspace,
  io: Io,
  clusterName: string | undefined,
  signal: AbortSignal,
): Promise<number> {
  const [sub, ...recipes] = args;
  if ((sub !== 'validate' && sub !== 'launch') || recipes.length === 0 || typeof values.study !== 'string')
    throw new CliError('usage: corpus-lab study validate|launch <recipes…> --study NAME [--cluster NAME]', EXIT.usage);
  const cluster = pickProfile(ws.settings, clusterName, ws.settingsFile).name;
  await ws.load(io.err, sub === 'launch');
  const launch = await studyLaunch(ws, recipes, values.study, cluster);
  const t = ws.transport(cluster);
  const overrides = Object.values(launch.templates).filter((x) => !x.file.startsWith(SHIPPED_TEMPLATES));
  for (const o of overrides) io.err(`note: the workspace replaces a shipped template: ${o.file}\n`);
  if (sub === 'validate') return validate(ws, t, launch, values, io);
  return launchCommand(ws, t, launch, values, io, signal);
}

async function validate(ws: CliWorkspace, t: ClusterTransport, launch: StudyLaunch, values: Values, io: Io) {
  io.err(`checking ${launch.study}: the tools and Slurm (sbatch --test-only)…\n`);
  const report = await validateStudy(ws.service, (argv) => t.exec(argv), launch, await t.files());
  if (values.json) io.out(`${safeJson(report)}\n`);
  else {
    for (const x of report.tools) io.out(`${x.stage}: ${x.program}: ${x.ok ? 'ok' : 'REFUSED'} ${x.message}\n`);
    for (const x of report.slurm) io.out(`${x.name}: ${x.ok ? 'ok' : 'REFUSED'}: ${x.message}\n`);
    for (const p of report.problems) io.err(`problem: ${p}\n`);
    io.out(
      report.problems.length
        ? `${launch.study} would fail: ${report.problems.length} problems\n`
        : `all ${report.jobs} jobs of ${launch.study} check out\n`,
    );
  }
  return report.problems.length ? EXIT.failed : EXIT.ok;
}

/** Asks on the terminal; without one, `--yes` must say so. */
async function confirm(question: string, values: Values): Promise<boolean> {
  if (values.yes) return true;
  if (!process.stdin.isTTY) throw new CliError('not a terminal: add --yes to submit without being asked', EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Launch Study from the terminal: everything checked before the first sbatch, the plan shown and
 * confirmed, then each job submitted with its progress. Ctrl-C stops before the next submission:
 * every job is recorded (SUBMITTING) before its sbatch runs, the one under way is finished, and a
 * local sbatch runs in its own process group, so the terminal's Ctrl-C never reaches it half-way.
 */
async function launchCommand(
  ws: CliWorkspace,
  t: ClusterTransport,
  launch: StudyLaunch,
  values: Values,
  io: Io,
  signal: AbortSignal,
): Promise<number> {
  io.err(`checking ${launch.study}: datasets, tools and Slurm (sbatch --test-only)…\n`);
  const { prepared, problems, plan, checked } = await checkLaunch(ws.service, t, launch, ws.registry.all());
  if (problems.length) {
    for (const p of problems) io.err(`problem: ${p}\n`);
    io.err(`${launch.study} was not submitted: ${problems.length} problems\n`);
    return EXIT.failed;
  }
  for (const l of [...planLines(plan), ...checked]) io.err(`${l}\n`);
  const question = `Submit study ${launch.study}: ${plan.rows.length} jobs, ≈ ${Math.round(plan.cptGpuHours).toLocaleString('en-US')} GPU-hours of continued pretraining?`;
  if (!(await confirm(question, values))) {
    io.err('nothing submitted\n');
    return EXIT.failed;
  }
  const submitted: JobRecord[] = [];
  for (const j of prepared.jobs) {
    if (signal.aborted) break;
    const rec = await ws.service.submit(j.spec);
    submitted.push(rec);
    io.err(`[${submitted.length}/${prepared.jobs.length}] ${rec.name}: job ${rec.jobId ?? '?'} ${rec.state}\n`);
  }
  if (values.json) io.out(`${safeJson(submitted.map(jobJson))}\n`);
  if (submitted.length < prepared.jobs.length) {
    io.err(
      `interrupted: ${submitted.length} of ${prepared.jobs.length} jobs submitted and recorded in ${ws.registry.file}; ` +
        `corpus-lab cancel --study ${launch.study} cancels them\n`,
    );
    return EXIT.interrupted;
  }
  io.err(`submitted ${submitted.length} jobs of ${launch.study}\n`);
  return EXIT.ok;
}

/** A job in `jobs --json`: the record's facts and what the Jobs view shows of them. */
function jobJson(j: JobRecord) {
  return {
    tag: j.tag,
    study: j.study,
    stage: j.stage,
    model: j.model,
    name: j.name,
    cluster: j.cluster,
    jobId: j.jobId ?? null,
    state: j.state,
    reason: shownReason(j) ?? null,
    elapsed: j.elapsed ?? null,
    limit: j.limit ?? null,
    node: j.node ?? null,
    exit: exitText(j) ?? null,
    exitCode: j.end?.exitCode ?? null,
    gpuHours: jobGpuHours(j),
    description: jobDescription(j),
  };
}

/**
 * Polls every cluster with live jobs (and SUBMITTING ones, found by their tag), as the Jobs view
 * does; a cluster that cannot be polled is named, and its jobs keep their last known state.
 */
async function pollAll(ws: CliWorkspace, io: Io, study: string | undefined): Promise<boolean> {
  const clusters = new Set(
    ws.registry
      .all()
      .filter((j) => (study === undefined || j.study === study) && needsPoll(j))
      .map((j) => j.cluster),
  );
  let ok = true;
  for (const c of clusters) {
    try {
      const r = await ws.service.poll(c);
      for (const p of r.problems) io.err(`warning: ${c}: ${p}\n`);
    } catch (e) {
      ok = false;
      io.err(`warning: ${c} could not be polled (${(e as Error).message}); its jobs show their last known state\n`);
    }
  }
  return ok;
}

async function jobsCommand(args: string[], values: Values, ws: CliWorkspace, io: Io): Promise<number> {
  noArgs(args, 'jobs');
  const study = typeof values.study === 'string' ? values.study : undefined;
  await ws.load(io.err, true);
  const reached = await pollAll(ws, io, study);
  const jobs = ws.registry.all().filter((j) => study === undefined || j.study === study);
  if (values.json) io.out(`${safeJson(jobs.map(jobJson))}\n`);
  else {
    const studies = [...new Set(jobs.map((j) => j.study))];
    for (const s of studies) {
      const mine = jobs.filter((j) => j.study === s);
      io.out(`${s}: ${studySummary(mine)}\n`);
      for (const j of mine) io.out(`  ${j.stage}/${j.model}  ${jobDescription(j)}\n`);
    }
    if (studies.length === 0) io.out(study ? `no jobs of study ${study}\n` : 'no jobs\n');
  }
  return reached ? EXIT.ok : EXIT.unreachable;
}

/** A job by its tag, Slurm job id or name (`study/stage/model`; the latest submission of that name). */
function findJob(ws: CliWorkspace, ref: string): JobRecord {
  const all = ws.registry.all();
  const found =
    all.find((j) => j.tag === ref) ??
    all.filter((j) => j.jobId === ref).at(-1) ??
    all
      .filter((j) => j.name === ref)
      .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt))
      .at(-1);
  if (!found)
    throw new CliError(`no job "${ref}" in ${ws.registry.file} (give a tag, a job id or study/stage/model)`, 1);
  return found;
}

/**
 * A job's log; with --follow, live (the same byte-exact follower as the editor's log documents)
 * until the job has ended and its log is read to the end, or Ctrl-C.
 */
async function logsCommand(args: string[], values: Values, ws: CliWorkspace, io: Io, signal: AbortSignal) {
  if (args.length !== 1) throw new CliError('usage: corpus-lab logs <job> [--follow]', EXIT.usage);
  await ws.load(io.err, Boolean(values.follow));
  const job = findJob(ws, args[0]);
  const t = ws.transport(job.cluster);
  // Lines as the editor's log documents show them: `\r` ends a line, escape sequences are dropped.
  const print = (lines: string[]) => io.out(lines.map((l) => `${displayLine(l)}\n`).join(''));
  if (!values.follow) {
    const splitter = new LogLineSplitter();
    print(splitter.push(await (await t.files()).readFile(job.log)));
    if (splitter.pending) print([splitter.pending]);
    return EXIT.ok;
  }
  const follower = new LogFollower(t, job.log, { offset: 0 });
  follower.on('lines', print);
  follower.on('problem', (e: Error) => io.err(`warning: ${e.message}\n`));
  follower.start();
  try {
    while (!signal.aborted) {
      await sleep(FOLLOW_POLL_MS, signal);
      if (signal.aborted) break;
      await ws.service.poll(job.cluster).catch(() => undefined);
      if (!isFinished(ws.registry.get(job.tag)!.state)) continue;
      const size = (await (await t.files()).stat(job.log).catch(() => undefined))?.size ?? 0;
      if (follower.offset >= size) break;
    }
  } finally {
    follower.stop();
  }
  if (follower.pending) print([follower.pending]);
  return signal.aborted ? EXIT.interrupted : EXIT.ok;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

async function cancelCommand(args: string[], values: Values, ws: CliWorkspace, io: Io): Promise<number> {
  const study = typeof values.study === 'string' ? values.study : undefined;
  if ((study === undefined) === (args.length === 0) || args.length > 1)
    throw new CliError('usage: corpus-lab cancel <job> | corpus-lab cancel --study NAME', EXIT.usage);
  await ws.load(io.err, true);
  if (study !== undefined) {
    await pollAll(ws, io, study);
    const cancelled = await ws.service.cancelStudy(study);
    io.out(
      `cancelled ${cancelled.length} jobs of ${study}${cancelled.length ? `: ${cancelled.map((j) => j.jobId).join(' ')}` : ''}\n`,
    );
    return EXIT.ok;
  }
  const job = findJob(ws, args[0]);
  await ws.service.cancel(job.tag);
  io.out(`cancelled ${job.name} (job ${job.jobId})\n`);
  return EXIT.ok;
}

/**
 * Fetch Results as the editor does it (core: fetchStudy): the CSVs into `results/<study>/`, which
 * becomes a study of its own (study.yaml, composition.csv of the workspace's recipes). Ctrl-C stops
 * before the next file; the files fetched so far are whole and no study.yaml is written.
 */
async function fetchCommand(args: string[], values: Values, ws: CliWorkspace, io: Io, signal: AbortSignal) {
  if (args.length !== 1) throw new CliError('usage: corpus-lab fetch <study>', EXIT.usage);
  const [study] = args;
  await ws.load(io.err, true);
  await pollAll(ws, io, study);
  const all = ws.registry.all();
  const jobs = all.filter((j) => j.study === study);
  const evals = jobs.filter((j) => j.stage === 'eval');
  if (evals.length === 0) throw new CliError(`study ${study} has no evaluation jobs in ${ws.registry.file}`, 1);
  const { set } = await loadRecipes([ws.dir]);
  let report: FetchStudyReport;
  try {
    report = await fetchStudy(
      ws.transport(evals[0].cluster),
      { workspace: ws.dir, study, jobs: all, shots: ws.settings.jobs.numFewshot, recipes: set.recipes },
      { signal },
    );
  } catch (e) {
    if (!isCancelled(e)) throw e;
    io.err(`interrupted: the files fetched so far are whole; no study.yaml was written\n`);
    return EXIT.interrupted;
  }
  const wrote = report.study.studyFileState === 'written';
  const studyFile = path.relative(ws.dir, report.study.studyFile);
  if (report.study.withoutRecipe.length)
    io.err(
      `warning: no recipe in ${ws.dir} for ${report.study.withoutRecipe.join(', ')}; their composition is not in ${studyFile}\n`,
    );
  if (values.json) {
    const { fetched, unchanged, kept, problems } = report;
    io.out(
      `${safeJson({ fetched, unchanged, kept, problems, studyFile: wrote ? report.study.studyFile : null, gpuHours: gpuHours(jobs) })}\n`,
    );
  } else {
    for (const f of report.fetched) io.out(`fetched ${path.relative(ws.dir, f)}\n`);
    for (const k of report.kept) io.out(`kept the older version as ${path.relative(ws.dir, k)}\n`);
    io.out(
      `${report.fetched.length} result files of ${study} fetched, ${report.unchanged.length} unchanged; the study used ${formatGpuHours(gpuHours(jobs))}; ${wrote ? `wrote ${studyFile}` : `${studyFile} kept as it is`}\n`,
    );
  }
  for (const p of report.problems) io.err(`warning: ${p}\n`);
  return report.problems.length ? EXIT.failed : EXIT.ok;
}
