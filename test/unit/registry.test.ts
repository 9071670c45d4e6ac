import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { type JobRecord, JobRegistry, RegistryReadOnlyError } from '../../src/core/jobs/registry';
import { ROOT, tempDir } from './helpers';

const HOSTILE = path.join(ROOT, 'test', 'hostile', 'registry');

function record(tag: string, patch: Partial<JobRecord> = {}): JobRecord {
  const runDir = `/home/u/corpus-lab/runs/${tag}`;
  return {
    tag,
    cluster: 'loopback',
    study: 's1',
    stage: 'eval',
    model: 'EnJa',
    name: `s1-eval-EnJa`,
    runDir,
    script: `${runDir}/job.sbatch`,
    log: `${runDir}/slurm.log`,
    dependsOn: [],
    jobId: '120',
    state: 'PENDING',
    submittedAt: '2026-11-26T11:00:00.000Z',
    updatedAt: '2026-11-26T11:00:00.000Z',
    resultsDir: '/home/u/corpus-lab/results/s1/EnJa/0-shot',
    resources: { partition: 'gpu', gpusPerNode: 1 },
    sbatch: ['sbatch', '--parsable', `${runDir}/job.sbatch`],
    ...patch,
  };
}

function copy(name: string): string {
  const file = path.join(tempDir(), '.corpus-lab', 'jobs.json');
  mkdirSync(path.dirname(file));
  copyFileSync(path.join(HOSTILE, name), file);
  return file;
}

test('bad records are reported one by one and skipped; the good ones load; nothing is lost on the next write', async () => {
  const file = copy('mixed.json');
  const original = JSON.parse(readFileSync(file, 'utf8'));
  const reg = new JobRegistry(file);
  const { skipped, readOnly } = await reg.load();
  assert.equal(readOnly, undefined);
  assert.deepEqual(
    reg.all().map((j) => j.tag),
    ['cl-s1-eval-EnJa-0001', 'cl-s1-eval-base-0002'],
  );
  const fields = skipped.map((s) => /: job (\d+) \(tag "([^"]*)"\): (\w+):/.exec(s)?.slice(1, 4).join(' '));
  assert.deepEqual(fields, [
    '2 cl-s1-eval-x-0003 jobId',
    '3 cl-s1-eval-x-0004 stage',
    '4 cl-s1-eval-x-0005 log',
    '5 cl-s1-eval-x-0006 script',
    '6 cl-s1-eval-x-0007 study',
    '7 cl-s1-eval-x-0008 resultsDir',
    '8 cl-s1-eval-x-0009 runDir',
    '9 -rf tag',
    '10 cl-s1-eval-x-0010 name',
  ]);
  assert.ok(skipped.every((s) => s.startsWith(`${file}: job `)));
  assert.match(skipped[0], /jobId: must be a Slurm job id/);
  assert.match(skipped[5], /resultsDir: must be under \/home\/u\/corpus-lab\/results\/s1\//);

  await reg.put(record('cl-s1-eval-new-0012'));
  const after = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(after.version, 1);
  assert.deepEqual(
    after.jobs.map((j: JobRecord) => j.tag),
    [
      'cl-s1-eval-EnJa-0001',
      'cl-s1-eval-base-0002',
      'cl-s1-eval-new-0012',
      ...original.jobs.slice(1, 10).map((j: JobRecord) => j.tag),
    ],
  );
  // The refused records are written back exactly as they were read.
  assert.deepEqual(after.jobs.slice(3), original.jobs.slice(1, 10));
});

test('a truncated registry is refused, never written over, and can be moved aside', async () => {
  const file = copy('truncated.json');
  const bytes = readFileSync(file);
  const reg = new JobRegistry(file);
  await assert.rejects(
    reg.load(),
    (e: Error) =>
      e instanceof RegistryReadOnlyError &&
      e.message.startsWith(`${file} is not written in this session: not valid JSON (`),
  );
  await assert.rejects(reg.put(record('cl-s1-eval-new-0013')), RegistryReadOnlyError);
  await assert.rejects(reg.save(), RegistryReadOnlyError);
  assert.deepEqual(readFileSync(file), bytes);
  const aside = await reg.moveAside();
  assert.match(path.basename(aside), /^jobs\.json\.\d{4}-\d\d-\d\dT[\d-]+Z\.bak$/);
  assert.deepEqual(readFileSync(aside), bytes);
  await reg.put(record('cl-s1-eval-new-0013'));
  assert.deepEqual(
    JSON.parse(readFileSync(file, 'utf8')).jobs.map((j: JobRecord) => j.tag),
    ['cl-s1-eval-new-0013'],
  );
});

test("another version's registry loads its readable records but is never written", async () => {
  const file = copy('newer-version.json');
  const bytes = readFileSync(file);
  const reg = new JobRegistry(file);
  const { skipped, readOnly } = await reg.load();
  assert.deepEqual(skipped, []);
  assert.equal(readOnly, 'written by another version of Corpus Lab (version 2, this one writes 1)');
  assert.equal(reg.all().length, 3);
  await assert.rejects(
    reg.update('cl-s1-eval-EnJa-0001', { state: 'FAILED' }),
    /is not written in this session: written by another version/,
  );
  await assert.rejects(reg.remove('cl-s1-eval-EnJa-0001'), RegistryReadOnlyError);
  assert.deepEqual(readFileSync(file), bytes);
});

test('a failed write does not poison the next one, and leaves no temporary file', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'jobs.json');
  const reg = new JobRegistry(file);
  await reg.load();
  mkdirSync(file); // the rename over it fails, as a full disk or a read-only file would
  await assert.rejects(reg.put(record('cl-s1-eval-a-0001')));
  rmdirSync(file);
  await reg.put(record('cl-s1-eval-b-0002'));
  assert.deepEqual(
    JSON.parse(readFileSync(file, 'utf8')).jobs.map((j: JobRecord) => j.tag),
    ['cl-s1-eval-a-0001', 'cl-s1-eval-b-0002'],
  );
  assert.deepEqual(readdirSync(dir), ['jobs.json']);
});

test('a record that would act outside its run directory is refused before it is written', async () => {
  const file = path.join(tempDir(), 'jobs.json');
  const reg = new JobRegistry(file);
  await reg.load();
  await assert.rejects(
    reg.put(record('cl-s1-eval-a-0001', { jobId: '--me' })),
    /^Error: job cl-s1-eval-a-0001: jobId: must be a Slurm job id/,
  );
  await assert.rejects(
    reg.put(record('cl-s1-eval-a-0001', { study: 'EnJa Plus', resultsDir: undefined })),
    /study: "EnJa Plus" contains a space; .*\(a safe label: "EnJa-Plus-[0-9a-f]{6}"\)/,
  );
  assert.deepEqual(reg.all(), []);
});

test('a FIFO as the registry is refused at once, naming the file', async () => {
  const file = path.join(tempDir(), 'jobs.json');
  execFileSync('mkfifo', [file]);
  const reg = new JobRegistry(file);
  await assert.rejects(
    reg.load(),
    (e: Error) => e.message === `${file} is not written in this session: is a FIFO (named pipe), not a regular file`,
  );
});
