import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { JobService } from '../core/jobs/jobService';
import { needsPoll } from '../core/jobs/present';
import type { JobRecord, JobRegistry } from '../core/jobs/registry';
import { Disposable, toDisposable } from './dispose';

/** The first poll after the registry loads (and after a submission) comes soon, not a whole period later. */
export const SOON_MS = 1000;

export interface PollingDeps {
  readonly registry: JobRegistry;
  readonly service: JobService;
  readonly log: vscode.LogOutputChannel;
  /** The period between polls, read at each one (corpusLab.jobs.pollSeconds). */
  readonly pollSeconds: () => number;
  /** After a cluster answered: the jobs whose state changed (the tree is refreshed just before). */
  readonly polled: (cluster: string, changed: readonly JobRecord[]) => void;
  readonly refresh: () => void;
}

/**
 * One poll per cluster with live jobs, on a timer while any need it, and what each cluster's last
 * poll said: a cluster that did not answer has its rows marked stale (`staleNote`).
 */
export class JobPolling extends Disposable {
  /** Clusters whose last poll failed (and why), and when each last answered. */
  private readonly unreachable = new Map<string, string>();
  private readonly lastGoodPoll = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;

  /** `loaded`: the registry is read (after the workspace is trusted); nothing is polled before. */
  constructor(
    private readonly deps: PollingDeps,
    private readonly loaded: Promise<unknown>,
  ) {
    super();
    this.own(toDisposable(() => clearTimeout(this.timer)));
  }

  /** Clusters whose last poll failed, and why. */
  get failures(): ReadonlyMap<string, string> {
    return this.unreachable;
  }

  /**
   * Polls each cluster that has jobs still pending or running, or finished without their end read
   * (and reconciles SUBMITTING ones); the first poll after opening is the start-up reconciliation.
   */
  async poll(): Promise<void> {
    await this.loaded;
    const { registry, service, log } = this.deps;
    const clusters = [
      ...new Set(
        registry
          .all()
          .filter(needsPoll)
          .map((j) => j.cluster),
      ),
    ];
    await Promise.all(
      clusters.map(async (c) => {
        try {
          const { changed, problems } = await service.poll(c);
          for (const p of problems) log.warn(`${c}: ${p}`);
          this.unreachable.delete(c);
          this.lastGoodPoll.set(c, new Date());
          // The tree shows the final states before the word about them arrives.
          this.deps.refresh();
          this.deps.polled(c, changed);
        } catch (e) {
          log.warn(`${c}: polling failed: ${errorMessage(e)}`);
          this.unreachable.set(c, errorMessage(e));
        }
      }),
    );
    this.deps.refresh();
  }

  /** The next poll in `ms`, then every pollSeconds while jobs need it. */
  schedule(ms = this.deps.pollSeconds() * 1000): void {
    clearTimeout(this.timer);
    if (this.isDisposed) return;
    this.timer = setTimeout(async () => {
      if (this.deps.registry.all().some(needsPoll)) await this.poll();
      this.schedule();
    }, ms);
  }

  /** "disconnected — last good poll 14:05" for a cluster whose last poll failed. */
  staleNote(cluster: string): string | undefined {
    if (!this.unreachable.has(cluster)) return undefined;
    const last = this.lastGoodPoll.get(cluster);
    return last
      ? vscode.l10n.t('disconnected — last good poll {0}', last.toLocaleTimeString())
      : vscode.l10n.t('disconnected — no poll has succeeded yet');
  }
}
