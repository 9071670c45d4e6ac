import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { endReason, type JobEndWatch, studySummary } from '../core/jobs/present';
import type { JobRecord, JobRegistry } from '../core/jobs/registry';

/** How many of a refused study's problems the notification names; the rest are in the output. */
const PROBLEMS_SHOWN = 3;

/** Reads the registry; skipped records are named, and an unreadable file can be moved aside to start anew. */
export async function loadRegistry(registry: JobRegistry, log: vscode.LogOutputChannel): Promise<boolean> {
  try {
    const { skipped, readOnly } = await registry.load();
    for (const s of skipped) log.warn(s);
    if (skipped.length)
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          '{0} records of the job registry were skipped (and kept in the file): see the Corpus Lab output.',
          skipped.length,
        ),
      );
    if (readOnly)
      void vscode.window.showWarningMessage(
        vscode.l10n.t('The job registry {0} is not written in this session: {1}', registry.file, readOnly),
      );
    return true;
  } catch (e) {
    const moveAside = vscode.l10n.t('Move Aside and Start Anew');
    const choice = await vscode.window.showErrorMessage(
      vscode.l10n.t('Cannot read the job registry: {0}', errorMessage(e)),
      moveAside,
    );
    if (choice === moveAside) {
      const aside = await registry.moveAside();
      void vscode.window.showInformationMessage(vscode.l10n.t('The old job registry was kept as {0}.', aside));
    }
    return false;
  }
}

export interface EndActions {
  readonly openLog: (job: JobRecord) => Promise<unknown>;
  readonly fetchResults: (study: string) => Promise<unknown>;
}

/** Word when a job this window saw alive fails, and when a study's last job ends. */
export function announceEnds(
  cluster: string,
  registry: JobRegistry,
  endWatch: JobEndWatch,
  log: vscode.LogOutputChannel,
  actions: EndActions,
): void {
  const all = registry.all();
  const { failures, studies } = endWatch.update(all, cluster);
  const openLog = vscode.l10n.t('Open Log');
  for (const j of failures) {
    log.info(`${j.name} (job ${j.jobId}) ${endReason(j)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Job {0} {1}.', j.name, endReason(j)), openLog).then((pick) => {
      if (pick === openLog)
        void actions
          .openLog(registry.get(j.tag) ?? j)
          .catch((e: unknown) => vscode.window.showErrorMessage(errorMessage(e)));
    });
  }
  const fetch = vscode.l10n.t('Fetch Results');
  for (const study of studies) {
    const jobs = all.filter((j) => j.study === study);
    const message = vscode.l10n.t('Study {0} has ended: {1}.', study, studySummary(jobs));
    log.info(message);
    const offered = jobs.some((j) => j.stage === 'eval' && j.state === 'COMPLETED') ? [fetch] : [];
    void vscode.window.showInformationMessage(message, ...offered).then((pick) => {
      if (pick === fetch)
        void actions
          .fetchResults(study)
          .catch((e: unknown) =>
            vscode.window.showErrorMessage(vscode.l10n.t('Cannot fetch results: {0}', errorMessage(e))),
          );
    });
  }
}

/** A study the checks refused: every reason in the log, the first ones in the notification. */
export function refuse(log: vscode.LogOutputChannel, title: string, problems: readonly string[]): void {
  for (const p of problems) log.error(`${title}: ${p}`);
  const shown = problems.slice(0, PROBLEMS_SHOWN).join(' • ');
  const more =
    problems.length > PROBLEMS_SHOWN
      ? ` ${vscode.l10n.t('(and {0} more in the Corpus Lab output)', problems.length - PROBLEMS_SHOWN)}`
      : '';
  void vscode.window.showErrorMessage(`${title}: ${shown}${more}`, vscode.l10n.t('Show Output')).then((a) => {
    if (a) log.show();
  });
}

export async function confirmCancelJob(j: JobRecord): Promise<boolean> {
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
  return answer === yes;
}

/** False, with a word, when the study has nothing left to cancel. */
export async function confirmCancelStudy(study: string, live: number): Promise<boolean> {
  if (live === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Study {0} has no job left to cancel.', study));
    return false;
  }
  const yes = vscode.l10n.t('Cancel Study');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Cancel the {0} queued or running jobs of study {1}?', live, study),
    { modal: true },
    yes,
  );
  return answer === yes;
}

/** Asked only when the job has dependants: those re-chained after it, and those left as they are. */
export async function confirmResubmit(
  j: JobRecord,
  rerun: readonly JobRecord[],
  leftAlone: readonly JobRecord[],
): Promise<boolean> {
  if (rerun.length === 0 && leftAlone.length === 0) return true;
  const all = vscode.l10n.t('Resubmit with Dependants');
  const detail = [
    ...rerun.map((d) => `↻ ${d.name} (${d.state})`),
    ...leftAlone.map((d) => `· ${d.name} (${d.state}): ${vscode.l10n.t('still queued or running; left as it is')}`),
  ].join('\n');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t('Resubmit {0} and the {1} jobs after it that did not run?', j.name, rerun.length),
    { modal: true, detail },
    all,
  );
  return answer === all;
}
