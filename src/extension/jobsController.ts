import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterProfile } from '../core/cluster/profile';
import { pathArg } from '../core/cluster/shellQuote';
import { missingDatasets } from '../core/jobs/datasetCheck';
import { JobService } from '../core/jobs/jobService';
import { labelProblem } from '../core/jobs/labels';
import {
  endReason,
  formatGpuHours,
  gpuHours,
  isActive,
  JobEndWatch,
  needsPoll,
  studySummary,
} from '../core/jobs/present';
import { type JobRecord, JobRegistry } from '../core/jobs/registry';
import { throughputOfRuns } from '../core/jobs/runThroughput';
import {
  type JobSettings,
  LaunchRefused,
  prepareStudy,
  type StageTemplates,
  type StudyLaunch,
  submitPrepared,
} from '../core/jobs/studyLaunch';
import { chooseThroughput, planLines, planSummary, studyPlan } from '../core/jobs/studyPlan';
import { validateStudy } from '../core/jobs/studyValidate';
import { loadTemplate, STAGES } from '../core/jobs/templates';
import { exportBlend } from '../core/recipe/blend';
import type { RecipeSet } from '../core/recipe/resolve';
import { writeFileAtomic } from '../core/report/exportFile';
import { type FetchReport, fetchStudyResults } from '../core/results/fetch';
import type { ClusterManager } from './clusterManager';
import { type JobNode, JobTreeProvider } from './jobTree';
import { LOG_SCHEME, LogDocuments } from './logDocuments';
import { TrainingPanel } from './trainingPanel';

const fileExists = (f: string) =>
  stat(f).then(
    () => true,
    () => false,
  );

/** Job scripts shown read-only, named by study, stage, model and job id; the query holds the job's tag. */
const SCRIPT_SCHEME = 'corpus-lab-script';
const scriptUri = (j: JobRecord) =>
  vscode.Uri.from({
    scheme: SCRIPT_SCHEME,
    path: `/${j.study}/${j.stage}/${j.model}${j.jobId ? `-${j.jobId}` : ''}.sbatch`,
    query: j.tag,
  });

/** The study.yaml written after the first fetch: the panels then show this study's own results. */
function studyYaml(name: string, cluster: string, results: string, shots: number, corpora: string[]): string {
  return [
    `# Written by Corpus Lab when the results of ${name} were first fetched. Edit freely.`,
    `name: ${JSON.stringify(name)}`,
    `cluster: ${JSON.stringify(cluster)}`,
    `results: ${JSON.stringify(results)}`,
    'base: base',
    `shots: ${shots}`,
    'aggregation: mean',
    'metric: Accuracy',
    `corpora: [${corpora.map((c) => JSON.stringify(c)).join(', ')}]`,
    '',
  ].join('\n');
}

export interface JobsContext {
  readonly extensionUri: vscode.Uri;
  readonly storageUri: vscode.Uri;
  readonly clusters: ClusterManager;
  readonly settings: () => { jobs: JobSettings; clusters: readonly ClusterProfile[]; dataRoot: string };
  readonly recipes: () => Promise<RecipeSet>;
  readonly exportDir: () => vscode.Uri | undefined;
  readonly log: vscode.LogOutputChannel;
  /** Results changed on disk: the analysis panels reload. */
  readonly onResultsFetched: () => void;
}

/**
 * The job side of the editor: the registry (in the workspace), one poll per cluster with live jobs,
 * the Jobs tree, log documents and training charts, and the commands on them. Logic lives in
 * src/core/jobs; this wires it to the UI.
 */
export class JobsController implements vscode.Disposable {
  readonly registry: JobRegistry;
  private readonly service: JobService;
  readonly tree: JobTreeProvider;
  private readonly logs: LogDocuments;
  private readonly charts = new Map<string, TrainingPanel>();
  /** Clusters whose last poll failed (and why), and when each last answered: their rows are shown as stale. */
  private readonly unreachable = new Map<string, string>();
  private readonly lastGoodPoll = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private loaded: Promise<void>;
  private readonly endWatch = new JobEndWatch();

  constructor(private readonly ctx: JobsContext) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? ctx.storageUri;
    this.registry = new JobRegistry(path.join(folder.fsPath, '.corpus-lab', 'jobs.json'));
    const profile = (name: string) => ctx.settings().clusters.find((p) => p.name === name);
    this.service = new JobService(this.registry, (c) => ctx.clusters.get(c), {
      remoteRoot: (c) => profile(c)?.remoteRoot ?? 'corpus-lab',
      sbatch: ctx.settings().jobs.sbatch,
    });
    this.tree = new JobTreeProvider(
      () => this.registry.all(),
      (c) => this.staleNote(c),
    );
    this.logs = new LogDocuments((c) => ctx.clusters.get(c));
    this.disposables.push(this.logs, vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, this.logs));
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(SCRIPT_SCHEME, {
        provideTextDocumentContent: async (uri) => {
          const j = this.registry.get(uri.query);
          if (!j) throw new Error(vscode.l10n.t('No job with tag {0} in the registry.', uri.query));
          const r = await ctx.clusters.get(j.cluster).exec(['cat', pathArg(j.script)]);
          if (r.code !== 0) throw new Error(`${j.script}: ${r.stderr.trim()}`);
          return r.stdout;
        },
      }),
    );
    // A shipped .corpus-lab/jobs.json is not acted on (polled, cancelled, tailed) in a folder not yet trusted.
    this.loaded = (
      vscode.workspace.isTrusted
        ? Promise.resolve()
        : new Promise<void>((r) => this.disposables.push(vscode.workspace.onDidGrantWorkspaceTrust(() => r())))
    ).then(() => this.loadRegistry());
  }

  private async loadRegistry(): Promise<void> {
    try {
      const { skipped, readOnly } = await this.registry.load();
      for (const s of skipped) this.ctx.log.warn(s);
      if (skipped.length)
        void vscode.window.showWarningMessage(
          vscode.l10n.t(
            '{0} records of the job registry were skipped (and kept in the file): see the Corpus Lab output.',
            skipped.length,
          ),
        );
      if (readOnly)
        void vscode.window.showWarningMessage(
          vscode.l10n.t('The job registry {0} is not written in this session: {1}', this.registry.file, readOnly),
        );
      this.tree.refresh();
      this.schedule(1000);
    } catch (e) {
      const moveAside = vscode.l10n.t('Move Aside and Start Anew');
      const choice = await vscode.window.showErrorMessage(
        vscode.l10n.t('Cannot read the job registry: {0}', (e as Error).message),
        moveAside,
      );
      if (choice === moveAside) {
        const aside = await this.registry.moveAside();
        void vscode.window.showInformationMessage(vscode.l10n.t('The old job registry was kept as {0}.', aside));
        this.tree.refresh();
      }
    }
  }

  /**
   * Polls each cluster that has jobs still pending or running, or finished without their end read
   * (and reconciles SUBMITTING ones); the first poll after opening is the start-up reconciliation.
   */
  async poll(): Promise<void> {
    await this.loaded;
    const clusters = [
      ...new Set(
        this.registry
          .all()
          .filter(needsPoll)
          .map((j) => j.cluster),
      ),
    ];
    await Promise.all(
      clusters.map(async (c) => {
        try {
          const { changed, problems } = await this.service.poll(c);
          for (const p of problems) this.ctx.log.warn(`${c}: ${p}`);
          for (const j of changed) this.charts.get(j.tag)?.setState(j.state);
          this.unreachable.delete(c);
          this.lastGoodPoll.set(c, new Date());
          // The tree shows the final states before the word about them arrives.
          this.tree.refresh();
          this.announce(c);
        } catch (e) {
          this.ctx.log.warn(`${c}: polling failed: ${(e as Error).message}`);
          this.unreachable.set(c, (e as Error).message);
        }
      }),
    );
    this.tree.refresh();
  }

  /** Word when a job this window saw alive fails, and when a study's last job ends. */
  private announce(cluster: string) {
    const all = this.registry.all();
    const { failures, studies } = this.endWatch.update(all, cluster);
    const openLog = vscode.l10n.t('Open Log');
    for (const j of failures) {
      this.ctx.log.info(`${j.name} (job ${j.jobId}) ${endReason(j)}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Job {0} {1}.', j.name, endReason(j)), openLog).then((pick) => {
        if (pick === openLog)
          void this.logs
            .open(this.registry.get(j.tag) ?? j)
            .catch((e: Error) => vscode.window.showErrorMessage(e.message));
      });
    }
    const fetch = vscode.l10n.t('Fetch Results');
    for (const study of studies) {
      const jobs = all.filter((j) => j.study === study);
      const message = vscode.l10n.t('Study {0} has ended: {1}.', study, studySummary(jobs));
      this.ctx.log.info(message);
      const actions = jobs.some((j) => j.stage === 'eval' && j.state === 'COMPLETED') ? [fetch] : [];
      void vscode.window.showInformationMessage(message, ...actions).then((pick) => {
        if (pick === fetch)
          void this.fetchResults(study).catch((e: Error) =>
            vscode.window.showErrorMessage(vscode.l10n.t('Cannot fetch results: {0}', e.message)),
          );
      });
    }
  }

  private schedule(ms = this.ctx.settings().jobs.pollSeconds * 1000) {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.registry.all().some(needsPoll)) await this.poll();
      this.schedule();
    }, ms);
  }

  private async templates(): Promise<{ templates: StageTemplates; overrides: string[] }> {
    const shipped = vscode.Uri.joinPath(this.ctx.extensionUri, 'templates').fsPath;
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const templates = Object.fromEntries(
      await Promise.all(STAGES.map(async (s) => [s, await loadTemplate(s, shipped, ws)])),
    ) as StageTemplates;
    const overrides = Object.values(templates)
      .map((t) => t.file)
      .filter((f) => !f.startsWith(shipped));
    return { templates, overrides };
  }

  /** "disconnected — last good poll 14:05" for a cluster whose last poll failed. */
  private staleNote(cluster: string): string | undefined {
    if (!this.unreachable.has(cluster)) return undefined;
    const last = this.lastGoodPoll.get(cluster);
    return last
      ? vscode.l10n.t('disconnected — last good poll {0}', last.toLocaleTimeString())
      : vscode.l10n.t('disconnected — no poll has succeeded yet');
  }

  private async pickLaunch(): Promise<{ cluster: string; recipes: string[]; study: string } | undefined> {
    const cluster = await this.ctx.clusters.pick();
    if (!cluster) return undefined;
    const set = await this.ctx.recipes();
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
      value: vscode.workspace.workspaceFolders?.[0]?.name ?? 'study',
      validateInput: (v) => {
        const problem = labelProblem(v);
        return problem ? vscode.l10n.t('The study name {0}', problem) : undefined;
      },
    });
    return study ? { cluster, recipes: picked.map((p) => p.label), study } : undefined;
  }

  private async prepare(choice: {
    cluster: string;
    recipes: string[];
    study: string;
  }): Promise<StudyLaunch & { overrides: string[] }> {
    const set = await this.ctx.recipes();
    const s = this.ctx.settings();
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
    const root = await this.service.remoteRoot(choice.cluster);
    const { templates, overrides } = await this.templates();
    return {
      study: choice.study,
      cluster: choice.cluster,
      recipes,
      includeBase: true,
      settings: s.jobs,
      templates,
      overrides,
      resultsDir: path.posix.join(root, 'results', choice.study),
    };
  }

  /** A study the checks refused: every reason in the log, the first ones in the notification. */
  private refuse(title: string, problems: readonly string[]) {
    for (const p of problems) this.ctx.log.error(`${title}: ${p}`);
    const shown = problems.slice(0, 3).join(' • ');
    const more =
      problems.length > 3 ? ` ${vscode.l10n.t('(and {0} more in the Corpus Lab output)', problems.length - 3)}` : '';
    void vscode.window
      .showErrorMessage(`${title}: ${shown}${more}`, vscode.l10n.t('Show Output'))
      .then((a) => a && this.ctx.log.show());
  }

  /**
   * Every job of the study rendered and checked, the installed tools asked about every option, and
   * `sbatch --test-only` for every job: what would fail is said before anything is submitted.
   */
  async validate(): Promise<void> {
    const choice = await this.pickLaunch();
    if (!choice) return;
    const launch = await this.prepare(choice);
    const conn = this.ctx.clusters.get(choice.cluster);
    const report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Checking the study: tools and Slurm (sbatch --test-only)…'),
      },
      async () => validateStudy(this.service, (argv) => conn.exec(argv), launch, await conn.files()),
    );
    for (const t of report.tools) this.ctx.log.info(`${t.stage}: ${t.program}: ${t.message}`);
    for (const r of report.slurm) this.ctx.log.info(`${r.name}: ${r.ok ? 'ok' : 'REFUSED'}: ${r.message}`);
    if (report.problems.length)
      this.refuse(
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
      const conn = this.ctx.clusters.get(choice.cluster);
      const checked = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking study {0}…', choice.study) },
        async () => {
          const prepared = await prepareStudy(this.service, launch);
          const missing = await missingDatasets(
            await conn.files(),
            launch,
            prepared,
            await this.service.home(choice.cluster),
          );
          const throughput = chooseThroughput(
            await throughputOfRuns(conn, this.registry.all()),
            launch.settings.tflopsPerGpu,
          );
          return {
            prepared,
            problems: [...prepared.problems, ...missing],
            plan: studyPlan(prepared, launch, throughput),
          };
        },
      );
      if (checked.problems.length) throw new LaunchRefused(checked.problems);
      const lines = planLines(checked.plan);
      for (const l of lines) this.ctx.log.info(`plan of ${choice.study}: ${l}`);
      const submit = vscode.l10n.t('Submit');
      const answer = await vscode.window.showInformationMessage(
        vscode.l10n.t(
          'Submit study {0}: {1} jobs, ≈ {2} GPU-hours of continued pretraining?',
          choice.study,
          checked.plan.rows.length,
          Math.round(checked.plan.cptGpuHours).toLocaleString('en-US'),
        ),
        { modal: true, detail: planSummary(checked.plan).join('\n') },
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
          submitPrepared(this.service, checked.prepared, (done, total, what) => {
            this.tree.refresh();
            progress.report({ message: what ? `${done + 1}/${total} ${what}` : undefined, increment: 100 / total });
          }),
      );
      this.endWatch.watch(jobs.map((j) => j.tag));
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Submitted {0} jobs of study {1}.', jobs.length, choice.study),
      );
      return jobs;
    } catch (e) {
      if (!(e instanceof LaunchRefused)) throw e;
      this.refuse(
        vscode.l10n.t('Study {0} was not submitted ({1} problems)', choice.study, e.problems.length),
        e.problems,
      );
      return undefined;
    } finally {
      this.tree.refresh();
      this.schedule(1000);
    }
  }

  /**
   * Copies a study's evaluation results into `results/<study>/` of the workspace and, when the
   * workspace has no study.yaml yet, writes one that points the analysis panels at them.
   */
  async fetchResults(study?: string): Promise<FetchReport | undefined> {
    await this.poll();
    const studies = [
      ...new Set(
        this.registry
          .all()
          .filter((j) => j.stage === 'eval')
          .map((j) => j.study),
      ),
    ];
    const name =
      study ??
      (studies.length === 1
        ? studies[0]
        : await vscode.window.showQuickPick(studies, {
            placeHolder: vscode.l10n.t('Fetch the results of which study?'),
          }));
    if (!name) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder) throw new Error(vscode.l10n.t('Open a folder to fetch results into.'));
    const jobs = this.registry.all().filter((j) => j.study === name);
    const evals = jobs.filter((j) => j.stage === 'eval');
    const cluster = evals[0]?.cluster;
    if (!cluster) throw new Error(vscode.l10n.t('Study {0} has no evaluation jobs.', name));
    const local = path.join(folder, 'results', name);
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Fetching results of {0}…', name) },
      () => fetchStudyResults(this.ctx.clusters.get(cluster), evals, local),
    );
    for (const p of report.problems) this.ctx.log.warn(p);
    const studyFile = path.join(folder, 'study.yaml');
    if (!(await fileExists(studyFile))) {
      const corpora = [...new Set(jobs.filter((j) => j.stage === 'cpt').map((j) => j.model))];
      const shots = this.ctx.settings().jobs.numFewshot;
      await writeFileAtomic(studyFile, studyYaml(name, cluster, `results/${name}`, shots, corpora));
    }
    this.ctx.onResultsFetched();
    const msg = vscode.l10n.t(
      'Fetched {0} result files of {1} ({2} unchanged, {3} older versions kept). The study used {4}.',
      report.fetched.length,
      name,
      report.unchanged.length,
      report.kept.length,
      formatGpuHours(gpuHours(jobs)),
    );
    if (report.problems.length)
      void vscode.window.showWarningMessage(
        `${msg} ${vscode.l10n.t('{0} problems: see the Corpus Lab output.', report.problems.length)}`,
      );
    else void vscode.window.showInformationMessage(msg);
    return report;
  }

  private job(node?: JobNode): JobRecord | undefined {
    return node?.kind === 'job' ? this.registry.get(node.job.tag) : undefined;
  }

  commands(): vscode.Disposable[] {
    const withJob = (fn: (j: JobRecord) => Promise<unknown>) => async (node?: JobNode) => {
      const j = this.job(node);
      if (!j) return;
      try {
        await fn(j);
      } catch (e) {
        void vscode.window.showErrorMessage((e as Error).message);
      }
    };
    return [
      vscode.commands.registerCommand('corpusLab.launchStudy', async () => {
        try {
          await this.launch();
        } catch (e) {
          void vscode.window.showErrorMessage(
            vscode.l10n.t('The study was not fully submitted: {0}', (e as Error).message),
          );
        }
      }),
      vscode.commands.registerCommand('corpusLab.refreshJobs', async () => {
        await this.poll();
        // Asked for by the user: a failure is said, not only logged.
        for (const [c, why] of this.unreachable)
          void vscode.window.showWarningMessage(vscode.l10n.t('Cannot refresh the jobs on {0}: {1}', c, why));
      }),
      vscode.commands.registerCommand('corpusLab.validateStudy', async () => {
        try {
          await this.validate();
        } catch (e) {
          void vscode.window.showErrorMessage((e as Error).message);
        }
      }),
      vscode.commands.registerCommand('corpusLab.fetchResults', async (node?: JobNode) => {
        try {
          await this.fetchResults(node?.kind === 'study' ? node.study : undefined);
        } catch (e) {
          void vscode.window.showErrorMessage(vscode.l10n.t('Cannot fetch results: {0}', (e as Error).message));
        }
      }),
      vscode.commands.registerCommand(
        'corpusLab.cancelJob',
        withJob(async (j) => {
          const yes = vscode.l10n.t('Cancel Job');
          const answer = await vscode.window.showWarningMessage(
            vscode.l10n.t(
              'Cancel {0} (job {1})? Jobs that run after it will be cancelled by Slurm too.',
              j.name,
              j.jobId ?? '?',
            ),
            { modal: true },
            yes,
          );
          if (answer !== yes) return;
          await this.service.cancel(j.tag);
          await this.poll();
        }),
      ),
      vscode.commands.registerCommand('corpusLab.cancelStudy', async (node?: JobNode) => {
        if (node?.kind !== 'study') return;
        const live = this.registry.all().filter((j) => j.study === node.study && isActive(j));
        if (live.length === 0)
          return void vscode.window.showInformationMessage(
            vscode.l10n.t('Study {0} has no job left to cancel.', node.study),
          );
        const yes = vscode.l10n.t('Cancel Study');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t('Cancel the {0} queued or running jobs of study {1}?', live.length, node.study),
          { modal: true },
          yes,
        );
        if (answer !== yes) return;
        try {
          const cancelled = await this.service.cancelStudy(node.study);
          void vscode.window.showInformationMessage(
            vscode.l10n.t('Cancelled {0} jobs of study {1}.', cancelled.length, node.study),
          );
        } catch (e) {
          void vscode.window.showErrorMessage((e as Error).message);
        }
        await this.poll();
      }),
      vscode.commands.registerCommand(
        'corpusLab.resubmitJob',
        withJob(async (j) => {
          const { rerun, leftAlone } = this.service.dependantsToRerun(j.tag);
          if (rerun.length || leftAlone.length) {
            const all = vscode.l10n.t('Resubmit with Dependants');
            const detail = [
              ...rerun.map((d) => `↻ ${d.name} (${d.state})`),
              ...leftAlone.map(
                (d) => `· ${d.name} (${d.state}): ${vscode.l10n.t('still queued or running; left as it is')}`,
              ),
            ].join('\n');
            const answer = await vscode.window.showInformationMessage(
              vscode.l10n.t('Resubmit {0} and the {1} jobs after it that did not run?', j.name, rerun.length),
              { modal: true, detail },
              all,
            );
            if (answer !== all) return;
          }
          const { jobs } = await this.service.resubmitWithDependants(j.tag);
          this.endWatch.watch(jobs.map((r) => r.tag));
          void vscode.window.showInformationMessage(
            vscode.l10n.t(
              'Resubmitted {0} as job {1}, with {2} jobs re-chained after it.',
              j.name,
              jobs[0].jobId ?? jobs[0].state,
              jobs.length - 1,
            ),
          );
          this.tree.refresh();
          this.schedule(1000);
        }),
      ),
      vscode.commands.registerCommand(
        'corpusLab.openJobLog',
        withJob((j) => this.logs.open(j)),
      ),
      vscode.commands.registerCommand(
        'corpusLab.revealJobScript',
        withJob(async (j) => {
          // A read-only document named after the job (nothing to save), its text read from the cluster.
          const doc = await vscode.workspace.openTextDocument(scriptUri(j));
          await vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(doc, 'shellscript'), {
            preview: true,
          });
        }),
      ),
      vscode.commands.registerCommand(
        'corpusLab.openTrainingChart',
        withJob(async (j) => {
          const open = this.charts.get(j.tag);
          if (open) return open.reveal();
          const panel = new TrainingPanel(
            j,
            () => this.ctx.clusters.get(j.cluster),
            this.ctx.extensionUri,
            this.ctx.exportDir,
          );
          this.charts.set(j.tag, panel);
          panel.onDidDispose(() => this.charts.delete(j.tag));
        }),
      ),
    ];
  }

  dispose() {
    clearTimeout(this.timer);
    for (const c of this.charts.values()) c.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
