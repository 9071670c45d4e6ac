import type { JobRecord } from '../../src/core/jobs/registry';

/**
 * A finished job as the registry keeps it, for suites that need records without submitting: its run
 * directory under `remoteRoot/runs/<tag>`, as the templates lay it out.
 */
export function finishedJob(
  study: string,
  remoteRoot: string,
  stage: JobRecord['stage'],
  model: string,
  patch: Partial<JobRecord> = {},
): JobRecord {
  const tag = `cl-${study}-${stage}-${model}-0001`;
  const runDir = `${remoteRoot}/runs/${tag}`;
  return {
    tag,
    cluster: 'loopback',
    study,
    stage,
    model,
    name: `${study}/${stage}/${model}`,
    runDir,
    script: `${runDir}/job.sbatch`,
    log: `${runDir}/slurm.log`,
    dependsOn: [],
    jobId: '1',
    state: 'COMPLETED',
    submittedAt: '',
    updatedAt: '',
    sbatch: [],
    resources: {},
    ...patch,
  };
}
