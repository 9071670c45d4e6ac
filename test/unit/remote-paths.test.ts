import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sbatchArgv } from '../../src/core/jobs/slurm';
import { tailCommand } from '../../src/core/logs/logFollower';

test('remote path arguments that start with "-" reach programs as paths, not options', () => {
  assert.equal(
    sbatchArgv('-x.sbatch', { jobName: 'j', tag: 't', output: '/r/slurm.log', chdir: '/r', resources: {} }).at(-1),
    './-x.sbatch',
  );
  assert.equal(
    sbatchArgv('/r/job.sbatch', { jobName: 'j', tag: 't', output: '/r/slurm.log', chdir: '/r', resources: {} }).at(-1),
    '/r/job.sbatch',
  );
  assert.equal(tailCommand('--follow=name', 0), 'tail -c +1 -F ./--follow=name');
  assert.equal(tailCommand('/r/slurm.log', 10), 'tail -c +11 -F /r/slurm.log');
});
