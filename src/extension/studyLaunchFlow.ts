import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobService } from '../core/jobs/jobService';
import { labelProblem } from '../core/jobs/labels';
import { checkLaunch } from '../core/jobs/launchPlan';
import type { JobEndWatch } from '../core/jobs/present';
import type { JobRecord, JobRegistry } from '../core/jobs/registry';
import {
  type JobSettings,
  LaunchRefused,
  type StageTemplates,
  type StudyLaunch,
  submitPrepared,
} from '../core/jobs/studyLaunch';
import { planLines, planSummary } from '../core/jobs/studyPlan';
import { validateStudy } from '../core/jobs/studyValidate';
import { loadTemplate, STAGES } from '../core/jobs/templates';
import { exportBlend } from '../core/recipe/blend';
import type { CountCache } from '../core/recipe/countCache';
import type { RecipeSet } from '../core/recipe/resolve';
import type { ClusterManager } from './clusterManager';
import { refuse } from './jobDialogs';
import { workspaceFolder } from './workspaceFolder';

interface LaunchChoice {
  readonly cluster: string;
  readonly recipes: string[];
  readonly study: string;
}

export interface LaunchDeps {
  readonly extensionUri: vscode.Uri;
  readonly clusters: ClusterManager;
  readonly service: JobService;
  readonly registry: JobRegistry;
  readonly endWatch: JobEndWatch;
  readonly settings: () => { jobs: JobSettings; dataRoot: string };
  readonly recipes: () => Promise<RecipeSet>;
  readonly countCache?: () => Promise<CountCache>;
  readonly log: vscode.LogOutputChannel;
  /** Jobs were added or changed: the tree redraws, and the next poll comes soon. */
  readonly changed: () => void;
}

/**
 * Validate Study and Launch Study: the dialogs that choose a study (cluster, recipes, name), the
 * checks before anything is submitted, the plan to confirm, and the submission.
 */
export class StudyLaunchFlow {
  constructor(private readonly deps: LaunchDeps) {}

  /**
   * Every job of the study rendered and checked, the installed tools asked about every option, and
   * `sbatch --test-only` for every job: what would fail is said before anything is submitted.
   */
  async validate(): Promise<void> {
    const { deps } = this;
    const choice = await this.pickLaunch();
    if (!choice) return;
    const launch = await this.prepare(choice);
    const conn = deps.clusters.get(choice.cluster);
    const report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Checking the study: tools and Slurm (sbatch --test-only)…'),
      },
      async () => validateStudy(deps.service, (argv) => conn.exec(argv), launch, await conn.files()),
    );
    for (const t of report.tools) deps.log.info(`${t.stage}: ${t.program}: ${t.message}`);
    for (const r of report.slurm) deps.log.info(`${r.name}: ${r.ok ? 'ok' : 'REFUSED'}: ${r.message}`);
    if (report.problems.length)
      refuse(
        deps.log,
        vscode.l10n.t('Study {0} would fail ({1} problems)', choice.study, report.problems.length),
        report.problems,
      );
    else
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'All {0} jobs of {1} check out: {2} tools accept every option, and Slurm would accept every job. {3}',
          report.jobs,
          choice.study,
          report.tools.length,
          report.slurm[0]?.message ?? '',
        ),
      );
  }

  async launch(): Promise<JobRecord[] | undefined> {
    const { deps } = this;
    const choice = await this.pickLaunch();
    if (!choice) return undefined;
    const launch = await this.prepare(choice);
    if (launch.overrides.length) {
      const go = vscode.l10n.t('Launch with them');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t(
          'This workspace replaces shipped job templates: {0}. Launch with them?',
          launch.overrides.map((f) => vscode.workspace.asRelativePath(f)).join(', '),
        ),
        { modal: true },
        go,
      );
      if (answer !== go) return undefined;
    }
    try {
      // Everything that would fail is found before anything is submitted; then the plan, and its cost, is confirmed.
      const conn = deps.clusters.get(choice.cluster);
      const checked = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Checking study {0}: datasets, tools and Slurm (sbatch --test-only)…', choice.study),
        },
        () => checkLaunch(deps.service, conn, launch, deps.registry.all()),
      );
      if (checked.problems.length) throw new LaunchRefused(checked.problems);
      const lines = [...planLines(checked.plan), ...checked.checked];
      for (const l of lines) deps.log.info(`plan of ${choice.study}: ${l}`);
      const submit = vscode.l10n.t('Submit');
      const answer = await vscode.window.showInformationMessage(
        vscode.l10n.t(
          'Submit study {0}: {1} jobs, ≈ {2} GPU-hours of continued pretraining?',
          choice.study,
          checked.plan.rows.length,
          Math.round(checked.plan.cptGpuHours).toLocaleString('en-US'),
        ),
        { modal: true, detail: planSummary(checked.plan, checked.checked).join('\n') },
        submit,
      );
      if (answer !== submit) return undefined;
      const jobs = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Submitting study {0}', choice.study),
          cancellable: false,
        },
        (progress) =>
          submitPrepared(deps.service, checked.prepared, (done, total, what) => {
            deps.changed();
            progress.report({ message: what ? `${done + 1}/${total} ${what}` : undefined, increment: 100 / total });
          }),
      );
      deps.endWatch.watch(jobs.map((j) => j.tag));
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Submitted {0} jobs of study {1}.', jobs.length, choice.study),
      );
      return jobs;
    } catch (e) {
      if (!(e instanceof LaunchRefused)) throw e;
      refuse(
        deps.log,
        vscode.l10n.t('Study {0} was not submitted ({1} problems)', choice.study, e.problems.length),
        e.problems,
      );
      return undefined;
    } finally {
      deps.changed();
    }
  }

  private async pickLaunch(): Promise<LaunchChoice | undefined> {
    const cluster = await this.deps.clusters.pick();
    if (!cluster) return undefined;
    const set = await this.deps.recipes();
    const picked = await vscode.window.showQuickPick(
      [...set.recipes.values()]
        .filter((r) => r.complete)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((r) => ({ label: r.name, description: r.parent ? vscode.l10n.t('extends {0}', r.parent) : undefined })),
      { canPickMany: true, placeHolder: vscode.l10n.t('Recipes to continue-pretrain on') },
    );
    if (!picked || picked.length === 0) return undefined;
    const study = await vscode.window.showInputBox({
      prompt: vscode.l10n.t('Study name (groups the jobs and names the results folder)'),
      value: workspaceFolder()?.name ?? 'study',
      validateInput: (v) => {
        const problem = labelProblem(v);
        return problem ? vscode.l10n.t('The study name {0}', problem) : undefined;
      },
    });
    return study ? { cluster, recipes: picked.map((p) => p.label), study } : undefined;
  }

  private async prepare(choice: LaunchChoice): Promise<StudyLaunch & { overrides: string[] }> {
    const set = await this.deps.recipes();
    const s = this.deps.settings();
    const recipes = choice.recipes.map((name) => {
      const r = set.recipes.get(name)!;
      const blend = exportBlend(r, s.dataRoot || undefined);
      if (!blend.ok)
        throw new Error(
          vscode.l10n.t('Cannot export {0} as a blend: {1}', name, blend.diagnostics.map((d) => d.message).join('; ')),
        );
      return {
        name,
        dataPath: blend.entries.flatMap((e) => [String(e.weight), e.prefix]),
        totalTokens: r.statistics.total,
      };
    });
    const root = await this.deps.service.remoteRoot(choice.cluster);
    const { templates, overrides } = await this.templates();
    const counts = await this.deps.countCache?.();
    return {
      study: choice.study,
      cluster: choice.cluster,
      recipes,
      includeBase: true,
      settings: s.jobs,
      templates,
      overrides,
      resultsDir: path.posix.join(root, 'results', choice.study),
      counted: counts && ((prefix: string) => counts.clusterCount(choice.cluster, prefix)),
    };
  }

  /** The shipped templates, each replaced by the workspace's `.corpus-lab/templates/<stage>.sbatch` where it has one. */
  private async templates(): Promise<{ templates: StageTemplates; overrides: string[] }> {
    const shipped = vscode.Uri.joinPath(this.deps.extensionUri, 'templates').fsPath;
    const ws = workspaceFolder()?.uri.fsPath;
    const templates = Object.fromEntries(
      await Promise.all(STAGES.map(async (s) => [s, await loadTemplate(s, shipped, ws)])),
    ) as StageTemplates;
    const overrides = Object.values(templates)
      .map((t) => t.file)
      .filter((f) => !f.startsWith(shipped));
    return { templates, overrides };
  }
}
