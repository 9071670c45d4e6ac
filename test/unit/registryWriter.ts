import { existsSync } from 'node:fs';
import { withFileLock } from '../../src/core/jobs/fileLock';
import { type JobRecord, JobRegistry } from '../../src/core/jobs/registry';

/**
 * A second process on the registry, as a CLI in a terminal beside the editor: `put FILE PREFIX COUNT GO`
 * waits for the file GO (so that all writers start together), then records COUNT jobs and marks each
 * RUNNING; `hold LOCK` takes the lock, says "held" and keeps it until killed. Without arguments (as
 * `node --test` runs every file under test/) it does nothing.
 */
function record(tag: string): JobRecord {
  const runDir = `/home/u/corpus-lab/runs/${tag}`;
  return {
    tag,
    cluster: 'loopback',
    study: 's1',
    stage: 'eval',
    model: 'EnJa',
    name: 's1-eval-EnJa',
    runDir,
    script: `${runDir}/job.sbatch`,
    log: `${runDir}/slurm.log`,
    dependsOn: [],
    state: 'SUBMITTING',
    submittedAt: '2026-11-26T11:00:00.000Z',
    updatedAt: '2026-11-26T11:00:00.000Z',
    resources: {},
    sbatch: ['sbatch', '--parsable', `${runDir}/job.sbatch`],
  };
}

async function main([mode, ...args]: string[]) {
  if (mode === 'hold') {
    await withFileLock(args[0], () => {
      process.stdout.write('held\n');
      return new Promise<never>(() => setInterval(() => undefined, 60_000));
    });
    return;
  }
  if (mode !== 'put') return;
  const [file, prefix, count, go] = args;
  while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
  const registry = new JobRegistry(file);
  await registry.load();
  for (let i = 0; i < Number(count); i++) {
    const tag = `${prefix}-${i}`;
    await registry.put(record(tag));
    await registry.update(tag, { state: 'RUNNING', jobId: String(1000 + i) });
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
