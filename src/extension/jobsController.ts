import * as vscode from 'vscode';
import type { ClusterProfile } from '../core/cluster/profile';
import { pathArg } from '../core/cluster/shellQuote';
import { errorMessage } from '../core/errors';
import { JobService } from '../core/jobs/jobService';
import { isActive, JobEndWatch } from '../core/jobs/present';
import { type JobRecord, type JobRegistry, workspaceRegistry } from '../core/jobs/registry';
import type { JobSettings } from '../core/jobs/studyLaunch';
import { SharedFollowers } from '../core/logs/sharedFollowers';
import type { CountCache } from '../core/recipe/countCache';
import type { RecipeSet } from '../core/recipe/resolve';
import type { ClusterManager } from './clusterManager';
import { COMMANDS } from './commandIds';
import type { CommandRegistry } from './commands';
import { Disposable, toDisposable } from './dispose';
import { announceEnds, confirmCancelJob, confirmCancelStudy, confirmResubmit, loadRegistry } from './jobDialogs';
import { JobPolling, SOON_MS } from './jobPolling';
import { type JobNode, JobTreeProvider } from './jobTree';
import { LOG_SCHEME, LogDocuments } from './logDocuments';
import { fetchResults } from './resultsFetching';
import { StudyLaunchFlow } from './studyLaunchFlow';
import { registerTrainingCharts, TrainingPanel } from './trainingPanel';
import { workspaceFolder } from './workspaceFolder';

/** Job scripts shown read-only, named by study, stage, model and job id; the query holds the job's tag. */
const SCRIPT_SCHEME = 'corpus-lab-script';
const scriptUri = (j: JobRecord) =>
  vscode.Uri.from({
    scheme: SCRIPT_SCHEME,
    path: `/${j.study}/${j.stage}/${j.model}${j.jobId ? `-${j.jobId}` : ''}.sbatch`,
    query: j.tag,
  });

export interface JobsContext {
  readonly extensionUri: vscode.Uri;
  readonly storageUri: vscode.Uri;
  readonly clusters: ClusterManager;
  readonly settings: () => { jobs: JobSettings; clusters: readonly ClusterProfile[]; dataRoot: string };
  readonly recipes: () => Promise<RecipeSet>;
  /** The exact token counts kept, with the files they were read from (a launch checks the files are still those). */
  readonly countCache?: () => Promise<CountCache>;
  readonly exportDir: () => vscode.Uri | undefined;
  readonly log: vscode.LogOutputChannel;
  /** Results changed on disk: the analysis panels reload. */
  readonly onResultsFetched: () => void;
}

/**
 * The job side of the editor: the registry (in the workspace), the Jobs tree, log documents and
 * training charts, and the commands on them. Polling (jobPolling), the launch dialogs
 * (studyLaunchFlow), fetching (resultsFetching) and the questions asked (jobDialogs) live beside it;
 * the logic in src/core/jobs.
 */
export class JobsController extends Disposable {
  readonly registry: JobRegistry;
  readonly tree: JobTreeProvider;
  private readonly service: JobService;
  /** One follower per job log, shared by its log document, training chart and Compare Runs. */
  readonly followers: SharedFollowers;
  private readonly logs: LogDocuments;
  private readonly polledEmitter = new vscode.EventEmitter<readonly JobRecord[]>();
  /** Jobs whose state a poll changed (Compare Runs updates a run's summary when it ends). */
  readonly onDidPoll = this.polledEmitter.event;
  private readonly charts = new Map<string, TrainingPanel>();
  private readonly polling: JobPolling;
  private readonly flow: StudyLaunchFlow;
  private readonly endWatch = new JobEndWatch();
  /** Settles once the registry is read: the Jobs view's first answer waits for it. */
  private loaded: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: JobsContext) {
    super();
    const folder = workspaceFolder()?.uri ?? ctx.storageUri;
    this.registry = workspaceRegistry(folder.fsPath);
    const profile = (name: string) => ctx.settings().clusters.find((p) => p.name === name);
    this.service = new JobService(this.registry, (c) => ctx.clusters.get(c), {
      remoteRoot: (c) => profile(c)?.remoteRoot ?? 'corpus-lab',
      // Read at each submission, so a changed corpusLab.jobs.sbatch needs no reload.
      get sbatch() {
        return ctx.settings().jobs.sbatch;
      },
    });
    this.tree = new JobTreeProvider(
      () => this.registry.all(),
      (c) => this.polling.staleNote(c),
      () => this.loaded,
    );
    this.own(this.tree);
    this.followers = this.own(new SharedFollowers((c) => ctx.clusters.get(c)));
    this.own(this.polledEmitter);
    this.logs = this.own(new LogDocuments(this.followers));
    this.own(vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, this.logs));
    this.own(
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
    this.own(
      registerTrainingCharts(
        ctx,
        async (tag) => {
          await this.loaded;
          const j = this.registry.get(tag);
          return j && { job: j, followers: this.followers };
        },
        (tag, chart) => this.trackChart(tag, chart),
      ),
    );
    this.own(
      toDisposable(() => {
        for (const c of this.charts.values()) c.dispose();
      }),
    );
    // A shipped .corpus-lab/jobs.json is not acted on (polled, cancelled, tailed) in a folder not yet trusted.
    const trusted = vscode.workspace.isTrusted
      ? Promise.resolve()
      : new Promise<void>((r) => this.own(vscode.workspace.onDidGrantWorkspaceTrust(() => r())));
    const loaded = trusted.then(async () => {
      const ok = await loadRegistry(this.registry, ctx.log);
      this.tree.refresh();
      if (ok) this.polling.schedule(SOON_MS);
    });
    this.loaded = loaded;
    this.polling = this.own(
      new JobPolling(
        {
          registry: this.registry,
          service: this.service,
          log: ctx.log,
          pollSeconds: () => ctx.settings().jobs.pollSeconds,
          refresh: () => this.tree.refresh(),
          polled: (cluster, changed) => {
            for (const j of changed) this.charts.get(j.tag)?.setState(j.state);
            this.polledEmitter.fire(changed);
            announceEnds(cluster, this.registry, this.endWatch, ctx.log, {
              openLog: (j) => this.logs.open(j),
              fetchResults: (study) => this.fetchResults(study),
            });
          },
        },
        loaded,
      ),
    );
    // Another process wrote the registry (the CLI in a terminal, another window): its jobs show here and are polled.
    const watcher = this.own(
      vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.corpus-lab/jobs.json')),
    );
    const reread = () =>
      void loaded
        .then(() => this.registry.refresh())
        .then(
          (changed) => changed && this.changed(),
          (e) => ctx.log.warn(`${this.registry.file}: ${errorMessage(e)}`),
        );
    this.own(watcher.onDidChange(reread));
    this.own(watcher.onDidCreate(reread));
    this.flow = new StudyLaunchFlow({
      extensionUri: ctx.extensionUri,
      clusters: ctx.clusters,
      service: this.service,
      registry: this.registry,
      endWatch: this.endWatch,
      settings: ctx.settings,
      recipes: ctx.recipes,
      countCache: ctx.countCache,
      log: ctx.log,
      changed: () => this.changed(),
    });
  }

  /** Settles once the registry is read (a panel restored after a reload looks its jobs up after it). */
  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  /** Polls every cluster with live jobs now. */
  poll(): Promise<void> {
    return this.polling.poll();
  }

  launch(): Promise<JobRecord[] | undefined> {
    return this.flow.launch();
  }

  /** The study's evaluation results into the workspace, after a poll so that the jobs' states are current. */
  async fetchResults(study?: string) {
    await this.poll();
    return fetchResults(
      {
        registry: this.registry,
        clusters: this.ctx.clusters,
        log: this.ctx.log,
        shots: () => this.ctx.settings().jobs.numFewshot,
        recipes: this.ctx.recipes,
        fetched: this.ctx.onResultsFetched,
      },
      study,
    );
  }

  private trackChart(tag: string, chart: TrainingPanel) {
    this.charts.set(tag, chart);
    chart.onDidDispose(() => this.charts.delete(tag));
  }

  /** Jobs were added or changed here: the tree redraws, and the next poll comes soon. */
  private changed() {
    this.tree.refresh();
    this.polling.schedule(SOON_MS);
  }

  private job(node?: JobNode): JobRecord | undefined {
    return node?.kind === 'job' ? this.registry.get(node.job.tag) : undefined;
  }

  commands(commands: CommandRegistry): vscode.Disposable[] {
    const l10n = vscode.l10n;
    /** A command on a job of the tree; nothing without one. */
    const withJob = (fn: (j: JobRecord) => Promise<unknown>) => async (node?: JobNode) => {
      const j = this.job(node);
      if (j) await fn(j);
    };
    return [
      commands.register(COMMANDS.launchStudy, () => this.launch()),
      commands.register(COMMANDS.refreshJobs, async () => {
        await this.poll();
        // Asked for by the user: a failure is said, not only logged.
        for (const [c, why] of this.polling.failures)
          void vscode.window.showWarningMessage(l10n.t('Cannot refresh the jobs on {0}: {1}', c, why));
      }),
      commands.register(COMMANDS.validateStudy, () => this.flow.validate()),
      commands.register(COMMANDS.fetchResults, (node?: JobNode) =>
        this.fetchResults(node?.kind === 'study' ? node.study : undefined),
      ),
      commands.register(
        COMMANDS.cancelJob,
        withJob(async (j) => {
          if (!(await confirmCancelJob(j))) return;
          await this.service.cancel(j.tag);
          await this.poll();
        }),
      ),
      commands.register(COMMANDS.cancelStudy, async (node?: JobNode) => {
        if (node?.kind !== 'study') return;
        const live = this.registry.all().filter((j) => j.study === node.study && isActive(j));
        if (!(await confirmCancelStudy(node.study, live.length))) return;
        try {
          const cancelled = await this.service.cancelStudy(node.study);
          void vscode.window.showInformationMessage(
            l10n.t('Cancelled {0} jobs of study {1}.', cancelled.length, node.study),
          );
        } finally {
          await this.poll();
        }
      }),
      commands.register(
        COMMANDS.resubmitJob,
        withJob(async (j) => {
          const { rerun, leftAlone } = this.service.dependantsToRerun(j.tag);
          if (!(await confirmResubmit(j, rerun, leftAlone))) return;
          const { jobs } = await this.service.resubmitWithDependants(j.tag);
          this.endWatch.watch(jobs.map((r) => r.tag));
          void vscode.window.showInformationMessage(
            l10n.t(
              'Resubmitted {0} as job {1}, with {2} jobs re-chained after it.',
              j.name,
              jobs[0].jobId ?? jobs[0].state,
              jobs.length - 1,
            ),
          );
          this.changed();
        }),
      ),
      commands.register(
        COMMANDS.openJobLog,
        withJob((j) => this.logs.open(j)),
      ),
      commands.register(
        COMMANDS.revealJobScript,
        withJob(async (j) => {
          // A read-only document named after the job (nothing to save), its text read from the cluster.
          const doc = await vscode.workspace.openTextDocument(scriptUri(j));
          await vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(doc, 'shellscript'), {
            preview: true,
          });
        }),
      ),
      commands.register(
        COMMANDS.openTrainingChart,
        withJob(async (j) => {
          const open = this.charts.get(j.tag);
          if (open) return open.reveal();
          this.trackChart(j.tag, new TrainingPanel(j, this.followers, this.ctx));
        }),
      ),
    ];
  }
}
