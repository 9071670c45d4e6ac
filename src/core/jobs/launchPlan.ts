import type { ClusterTransport } from '../cluster/transport';
import type { JobService } from './jobService';
import type { JobRecord } from './registry';
import { throughputOfRuns } from './runThroughput';
import { type PreparedStudy, prepareStudy, type StudyLaunch } from './studyLaunch';
import { checkLines, chooseThroughput, type StudyPlan, studyPlan } from './studyPlan';
import { validatePrepared } from './studyValidate';

export interface LaunchCheck {
  readonly prepared: PreparedStudy;
  /** Every reason not to submit, each naming its job; empty when the study may go. */
  readonly problems: readonly string[];
  readonly plan: StudyPlan;
  /** What was checked, for the plan (empty when there are problems). */
  readonly checked: readonly string[];
}

/**
 * Everything Launch Study does before it asks, in the editor and the terminal alike: the study
 * prepared, every check of Validate Study (datasets on the cluster, parallel layout, the installed
 * tools' options, `sbatch --test-only` for every job), and the plan with its GPU-hour estimate at
 * the throughput of the workspace's finished runs or the setting.
 */
export async function checkLaunch(
  service: JobService,
  t: Pick<ClusterTransport, 'exec' | 'files'>,
  launch: StudyLaunch,
  jobs: readonly JobRecord[],
): Promise<LaunchCheck> {
  const prepared = await prepareStudy(service, launch);
  const validation = await validatePrepared(service, (argv) => t.exec(argv), launch, prepared, await t.files());
  const plan = studyPlan(
    prepared,
    launch,
    chooseThroughput(await throughputOfRuns(t, jobs), launch.settings.tflopsPerGpu),
  );
  const problems = validation.problems;
  return { prepared, problems, plan, checked: problems.length ? [] : checkLines(launch, prepared, validation) };
}
