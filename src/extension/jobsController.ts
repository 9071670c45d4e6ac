import * as path from 'node:path';
import * as vscode from 'vscode';
import { JobService } from '../core/jobs/jobService';
import { endReason, formatGpuHours, gpuHours, JobEndWatch, needsPoll, studySummary } from '../core/jobs/present';
import { JobRegistry, type JobRecord } from '../core/jobs/registry';
import { launchStudy, validateLaunch, type JobSettings, type StudyLaunch } from '../core/jobs/studyLaunch';
import { loadTemplate, STAGES, type Stage } from '../core/jobs/templates';
import { exportBlend } from '../core/recipe/blend';
import type { RecipeSet } from '../core/recipe/resolve';
import type { ClusterProfile } from '../core/cluster/profile';
import type { ClusterManager } from './clusterManager';
import { JobTreeProvider, type JobNode } from './jobTree';
import { LogDocuments, LOG_SCHEME } from './logDocuments';
import { TrainingPanel } from './trainingPanel';
import { fetchStudyResults, type FetchReport } from '../core/results/fetch';
import { writeFileAtomic } from '../core/report/exportFile';
import { stat } from 'node:fs/promises';

const fileExists = (f: string) => stat(f).then(() => true, () => false);

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
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private loaded: Promise<void>;
  private readonly endWatch = new JobEndWatch();

  constructor(private readonly ctx: JobsContext) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? ctx.storageUri;
    this.registry = new JobRegistry(path.join(folder.fsPath, '.corpus-lab', 'jobs.json'));
    const profile = (name: string) => ctx.settings().clusters.find((p) => p.name === name);
    this.service = new JobService(this.registry, (c) => ctx.clusters.get(c), { remoteRoot: (c) => profile(c)?.remoteRoot ?? 'corpus-lab', sbatch: ctx.settings().jobs.sbatch });
    this.tree = new JobTreeProvider(() => this.registry.all());
    this.logs = new LogDocuments((c) => ctx.clusters.get(c));
    this.disposables.push(this.logs, vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, this.logs));
    this.loaded = this.registry.load().then(
      () => {
        this.tree.refresh();
        this.schedule(1000);
      },
      (e: Error) => void vscode.window.showErrorMessage(vscode.l10n.t('Cannot read the job registry: {0}', e.message)),
    );
  }

  /**
   * Polls each cluster that has jobs still pending or running, or finished without their end read
   * (and reconciles SUBMITTING ones); the first poll after opening is the start-up reconciliation.
   */
  async poll(): Promise<void> {
    await this.loaded;
    const clusters = [...new Set(this.registry.all().filter(needsPoll).map((j) => j.cluster))];
    await Promise.all(clusters.map(async (c) => {
      try {
        const { changed, problems } = await this.service.poll(c);
        for (const p of problems) this.ctx.log.warn(`${c}: ${p}`);
        for (const j of changed) this.charts.get(j.tag)?.setState(j.state);
        // The tree shows the final states before the word about them arrives.
        this.tree.refresh();
        this.announce(c);
      } catch (e) {
        this.ctx.log.warn(`${c}: polling failed: ${(e as Error).message}`);
      }
    }));
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
        if (pick === openLog) void this.logs.open(this.registry.get(j.tag) ?? j).catch((e: Error) => vscode.window.showErrorMessage(e.message));
      });
    }
    const fetch = vscode.l10n.t('Fetch Results');
    for (const study of studies) {
      const jobs = all.filter((j) => j.study === study);
      const message = vscode.l10n.t('Study {0} has ended: {1}.', study, studySummary(jobs));
      this.ctx.log.info(message);
      const actions = jobs.some((j) => j.stage === 'eval' && j.state === 'COMPLETED') ? [fetch] : [];
      void vscode.window.showInformationMessage(message, ...actions).then((pick) => {
        if (pick === fetch) void this.fetchResults(study).catch((e: Error) => vscode.window.showErrorMessage(vscode.l10n.t('Cannot fetch results: {0}', e.message)));
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

  private async templates(): Promise<Record<Stage, { file: string; text: string }>> {
    const shipped = vscode.Uri.joinPath(this.ctx.extensionUri, 'templates').fsPath;
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return Object.fromEntries(await Promise.all(STAGES.map(async (s) => [s, await loadTemplate(s, shipped, ws)]))) as Record<Stage, { file: string; text: string }>;
  }

  private async pickLaunch(): Promise<{ cluster: string; recipes: string[]; study: string } | undefined> {
    const cluster = await this.ctx.clusters.pick();
    if (!cluster) return undefined;
    const set = await this.ctx.recipes();
    const picked = await vscode.window.showQuickPick([...set.recipes.values()].filter((r) => r.complete).sort((a, b) => a.name.localeCompare(b.name)).map((r) => ({ label: r.name, description: r.parent ? vscode.l10n.t('extends {0}', r.parent) : undefined })), { canPickMany: true, placeHolder: vscode.l10n.t('Recipes to continue-pretrain on') });
    if (!picked || picked.length === 0) return undefined;
    const study = await vscode.window.showInputBox({
      prompt: vscode.l10n.t('Study name (groups the jobs and names the results folder)'),
      value: vscode.workspace.workspaceFolders?.[0]?.name ?? 'study',
      validateInput: (v) => (/^[\w.-]+$/.test(v) ? undefined : vscode.l10n.t('Letters, digits, ".", "-" and "_" only')),
    });
    return study ? { cluster, recipes: picked.map((p) => p.label), study } : undefined;
  }

  private async prepare(choice: { cluster: string; recipes: string[]; study: string }): Promise<StudyLaunch> {
    const set = await this.ctx.recipes();
    const s = this.ctx.settings();
    const recipes = choice.recipes.map((name) => {
      const r = set.recipes.get(name)!;
      const blend = exportBlend(r, s.dataRoot || undefined);
      if (!blend.ok) throw new Error(vscode.l10n.t('Cannot export {0} as a blend: {1}', name, blend.diagnostics.map((d) => d.message).join('; ')));
      return { name, dataPath: blend.entries.flatMap((e) => [String(e.weight), e.prefix]), totalTokens: r.statistics.total };
    });
    const root = await this.service.remoteRoot(choice.cluster);
    const templates = await this.templates();
    return { study: choice.study, cluster: choice.cluster, recipes, includeBase: true, settings: s.jobs, templates, resultsDir: path.posix.join(root, 'results', choice.study) };
  }

  /** `sbatch --test-only` on the study's first jobs: Slurm says whether it would take them, and when. */
  async validate(): Promise<void> {
    const choice = await this.pickLaunch();
    if (!choice) return;
    const launch = await this.prepare(choice);
    const results = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Asking Slurm (sbatch --test-only)…') }, () => validateLaunch(this.service, launch));
    for (const r of results) this.ctx.log.info(`${r.name}: ${r.ok ? 'ok' : 'REFUSED'}: ${r.message}`);
    const bad = results.filter((r) => !r.ok);
    if (bad.length) void vscode.window.showErrorMessage(vscode.l10n.t('Slurm would refuse {0} of {1} jobs: {2}', bad.length, results.length, bad.map((b) => `${b.name}: ${b.message}`).join('; ')));
    else void vscode.window.showInformationMessage(vscode.l10n.t('Slurm would accept all {0} jobs. {1}', results.length, results[0]?.message ?? ''));
  }

  async launch(): Promise<JobRecord[] | undefined> {
    const choice = await this.pickLaunch();
    if (!choice) return undefined;
    const launch = await this.prepare(choice);
    try {
      const jobs = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Submitting study {0}', choice.study), cancellable: false }, (progress) =>
        launchStudy(this.service, launch, (done, total, what) => {
          this.tree.refresh();
          progress.report({ message: what ? `${done + 1}/${total} ${what}` : undefined, increment: 100 / total });
        }),
      );
      this.endWatch.watch(jobs.map((j) => j.tag));
      void vscode.window.showInformationMessage(vscode.l10n.t('Submitted {0} jobs of study {1}.', jobs.length, choice.study));
      return jobs;
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
    const studies = [...new Set(this.registry.all().filter((j) => j.stage === 'eval').map((j) => j.study))];
    const name = study ?? (studies.length === 1 ? studies[0] : await vscode.window.showQuickPick(studies, { placeHolder: vscode.l10n.t('Fetch the results of which study?') }));
    if (!name) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder) throw new Error(vscode.l10n.t('Open a folder to fetch results into.'));
    const jobs = this.registry.all().filter((j) => j.study === name);
    const evals = jobs.filter((j) => j.stage === 'eval');
    const cluster = evals[0]?.cluster;
    if (!cluster) throw new Error(vscode.l10n.t('Study {0} has no evaluation jobs.', name));
    const local = path.join(folder, 'results', name);
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Fetching results of {0}…', name) }, () => fetchStudyResults(this.ctx.clusters.get(cluster), evals, local));
    for (const p of report.problems) this.ctx.log.warn(p);
    const studyFile = path.join(folder, 'study.yaml');
    if (!(await fileExists(studyFile))) {
      const corpora = [...new Set(jobs.filter((j) => j.stage === 'cpt').map((j) => j.model))];
      const shots = this.ctx.settings().jobs.numFewshot;
      await writeFileAtomic(studyFile, studyYaml(name, cluster, `results/${name}`, shots, corpora));
    }
    this.ctx.onResultsFetched();
    const msg = vscode.l10n.t('Fetched {0} result files of {1} ({2} unchanged, {3} older versions kept). The study used {4}.', report.fetched.length, name, report.unchanged.length, report.kept.length, formatGpuHours(gpuHours(jobs)));
    if (report.problems.length) void vscode.window.showWarningMessage(`${msg} ${vscode.l10n.t('{0} problems: see the Corpus Lab output.', report.problems.length)}`);
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
          void vscode.window.showErrorMessage(vscode.l10n.t('The study was not fully submitted: {0}', (e as Error).message));
        }
      }),
      vscode.commands.registerCommand('corpusLab.refreshJobs', () => this.poll()),
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
      vscode.commands.registerCommand('corpusLab.cancelJob', withJob(async (j) => {
        await this.service.cancel(j.tag);
        await this.poll();
      })),
      vscode.commands.registerCommand('corpusLab.resubmitJob', withJob(async (j) => {
        const r = await this.service.resubmit(j.tag);
        this.endWatch.watch([r.tag]);
        void vscode.window.showInformationMessage(vscode.l10n.t('Resubmitted {0} as job {1}.', j.name, r.jobId ?? r.state));
        this.tree.refresh();
        this.schedule(1000);
      })),
      vscode.commands.registerCommand('corpusLab.openJobLog', withJob((j) => this.logs.open(j))),
      vscode.commands.registerCommand('corpusLab.revealJobScript', withJob(async (j) => {
        const r = await this.ctx.clusters.get(j.cluster).exec(['cat', j.script]);
        const doc = await vscode.workspace.openTextDocument({ content: r.stdout, language: 'shellscript' });
        await vscode.window.showTextDocument(doc, { preview: true });
      })),
      vscode.commands.registerCommand('corpusLab.openTrainingChart', withJob(async (j) => {
        const open = this.charts.get(j.tag);
        if (open) return open.reveal();
        const panel = new TrainingPanel(j, this.ctx.clusters.get(j.cluster), this.ctx.extensionUri, this.ctx.exportDir);
        this.charts.set(j.tag, panel);
        panel.onDidDispose(() => this.charts.delete(j.tag));
      })),
    ];
  }

  dispose() {
    clearTimeout(this.timer);
    for (const c of this.charts.values()) c.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
