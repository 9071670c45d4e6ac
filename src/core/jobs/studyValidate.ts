import type { ExecResult, RemoteFiles } from '../cluster/transport';
import { missingDatasets } from './datasetCheck';
import type { JobService } from './jobService';
import { type JobSettings, type PreparedStudy, prepareStudy, type StudyLaunch } from './studyLaunch';
import { quoteValue } from './templates';
import {
  argparseOptions,
  checkCommand,
  checkKey,
  hydraKeys,
  hydraProblems,
  type Invocation,
  probeProblems,
  toolInvocations,
  unknownOptions,
} from './toolCheck';

export interface StudyValidation {
  /** Every reason the study would fail, each naming its job (and line, for tool options); empty when none. */
  readonly problems: string[];
  /** The tools asked, with what they answered. */
  readonly tools: { stage: string; program: string; ok: boolean; message: string }[];
  /** Slurm's answer to `sbatch --test-only` for every job of the study. */
  readonly slurm: { name: string; ok: boolean; message: string }[];
  readonly jobs: number;
}

type Exec = (argv: string[]) => Promise<ExecResult>;

/**
 * Validate Study: renders and checks every job (as Launch Study does before its first sbatch),
 * looks for every dataset of the blends on the cluster,
 * asks each installed tool on the login node, once per program, which options it accepts and
 * names every rendered option it would refuse; then `sbatch --test-only` for every job. Nothing
 * is submitted; the check's run directories are removed.
 */
export async function validateStudy(
  service: JobService,
  exec: Exec,
  launch: StudyLaunch,
  sftp?: RemoteFiles,
): Promise<StudyValidation> {
  return validatePrepared(service, exec, launch, await prepareStudy(service, launch), sftp);
}

/** The checks of Validate Study on a study already prepared: Launch Study runs them before its plan. */
export async function validatePrepared(
  service: JobService,
  exec: Exec,
  launch: StudyLaunch,
  prepared: PreparedStudy,
  sftp?: RemoteFiles,
): Promise<StudyValidation> {
  const problems = [...prepared.problems];
  if (sftp) problems.push(...(await missingDatasets(sftp, launch, prepared, await service.home(launch.cluster))));
  const s = launch.settings;
  const byProgram = new Map<
    string,
    {
      stage: string;
      style: 'argparse' | 'probe' | 'hydra';
      first: Invocation;
      uses: { key: string; inv: Invocation }[];
    }
  >();
  for (const job of prepared.jobs) {
    const style = s.checks[job.planned.stage];
    if (style === 'none' || !job.script) continue;
    const invocations = toolInvocations(job.script, s.launchers[job.planned.stage]);
    if (invocations.length === 0)
      problems.push(
        `${job.planned.key}: its script (${launch.templates[job.planned.stage].file}) has no command that starts with the ${job.planned.stage} launcher and runs a .py program, so its options cannot be checked`,
      );
    for (const inv of invocations) {
      const id = checkKey(style, inv);
      const entry = byProgram.get(id) ?? { stage: job.planned.stage, style, first: inv, uses: [] };
      entry.uses.push({ key: job.planned.key, inv });
      byProgram.set(id, entry);
    }
  }
  const tools: StudyValidation['tools'] = [];
  for (const { stage, style, first, uses } of byProgram.values()) {
    const program = first.program;
    const r = await exec(['bash', '-c', checkCommand(s.setup, s.python, first, style)]);
    if (style === 'probe') {
      // One probe speaks for every use: the same program with the same option names.
      const { unknown, other } = probeProblems(r);
      const bad = [
        ...unknown.map((o) => `the installed ${program.value} does not accept ${o}`),
        ...(other ? [`${program.value} refused its arguments: ${other}`] : []),
      ];
      for (const b of bad) problems.push(`${uses[0].key} (script line ${first.line}): ${b}`);
      tools.push({
        stage,
        program: program.value,
        ok: bad.length === 0,
        message: bad.length ? `${bad.length} problem(s)` : 'all options accepted',
      });
      continue;
    }
    if (r.code !== 0 || !r.stdout.trim()) {
      const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`;
      tools.push({ stage, program: program.value, ok: false, message: why });
      problems.push(
        `${stage}: could not ask ${program.value} what it accepts (${style === 'hydra' ? '--cfg job' : '--help'}): ${why}`,
      );
      continue;
    }
    let found = 0;
    if (style === 'argparse') {
      const known = argparseOptions(r.stdout);
      for (const { key, inv } of uses) {
        const bad = unknownOptions(inv.args, known);
        found += bad.length;
        if (bad.length)
          problems.push(
            `${key} (script line ${inv.line}): the installed ${program.value} does not accept ${bad.join(', ')}`,
          );
      }
    } else {
      let cfg: ReturnType<typeof hydraKeys>;
      try {
        cfg = hydraKeys(r.stdout);
      } catch (e) {
        problems.push(`${stage}: ${program.value} --cfg job printed no readable config: ${(e as Error).message}`);
        continue;
      }
      for (const { key, inv } of uses) {
        const bad = hydraProblems(inv.args, cfg);
        found += bad.length;
        for (const b of bad) problems.push(`${key} (script line ${inv.line}): ${b}`);
      }
    }
    tools.push({
      stage,
      program: program.value,
      ok: found === 0,
      message: found ? `${found} option(s) refused` : 'all options accepted',
    });
  }
  if (prepared.jobs.some((j) => j.planned.stage === 'eval') && s.checks.eval !== 'none') {
    const problem = await checkEvalTemplates(exec, s);
    if (problem.tool) tools.push(problem.tool);
    problems.push(...problem.problems);
  }
  const slurm: StudyValidation['slurm'] = [];
  if (prepared.problems.length === 0) {
    for (const job of prepared.jobs) {
      // Validated alone: the jobs it depends on do not exist yet, and Slurm refuses a dependency on a missing id.
      const r = await service.validate({ ...job.spec, tag: undefined, dependsOn: [] });
      slurm.push({ name: job.spec.name, ...r });
      if (!r.ok) problems.push(`${job.spec.name}: Slurm would refuse it: ${r.message}`);
    }
  }
  return { problems, tools, slurm, jobs: prepared.jobs.length };
}

/** Which of med-eval's template registries (`templates/<module>.py`, `TEMPLATE_SET`) holds each configured template. */
const TEMPLATE_MODULES: Record<keyof JobSettings['evalTemplates'], string> = {
  mcqa: 'mcqa',
  mcqaJa: 'mcqa',
  contextMcqa: 'mcqa',
  contextMcqaJa: 'mcqa',
  dc: 'mcqa',
  mtEnJa: 'mt',
  mtJaEn: 'mt',
  ner: 'ner',
  sts: 'nli',
};

/**
 * med-eval looks a template up by name only when a task runs (a KeyError hours into the job), so
 * the installed checkout is asked for its registries up front.
 */
export async function checkEvalTemplates(
  exec: Exec,
  s: JobSettings,
): Promise<{ tool?: StudyValidation['tools'][number]; problems: string[] }> {
  const modules = [...new Set(Object.values(TEMPLATE_MODULES))];
  const py = `import importlib, json; print(json.dumps({m: sorted(importlib.import_module("templates." + m).TEMPLATE_SET) for m in ${JSON.stringify(modules)}}))`;
  const cmd = `${s.setup ? `${s.setup}\n` : ''}cd ${quoteValue(s.medEvalDir)} && ${s.python} -c ${quoteValue(py)}`;
  const r = await exec(['bash', '-c', cmd]);
  let registry: Record<string, string[]>;
  try {
    registry = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, string[]>;
  } catch {
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ') || `exit ${r.code}`;
    return {
      tool: { stage: 'eval', program: `${s.medEvalDir}/templates`, ok: false, message: why },
      problems: [`eval: could not read med-eval's template registries in ${s.medEvalDir}/templates: ${why}`],
    };
  }
  const problems: string[] = [];
  for (const [key, module] of Object.entries(TEMPLATE_MODULES) as [keyof JobSettings['evalTemplates'], string][]) {
    const name = s.evalTemplates[key];
    if (!(registry[module] ?? []).includes(name))
      problems.push(`eval: med-eval has no template "${name}" (jobs.evalTemplates.${key}) in templates/${module}.py`);
  }
  return {
    tool: {
      stage: 'eval',
      program: `${s.medEvalDir}/templates`,
      ok: problems.length === 0,
      message: problems.length ? `${problems.length} template(s) missing` : 'every template known',
    },
    problems,
  };
}
