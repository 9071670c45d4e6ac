import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import { JobRegistry } from '../../src/core/jobs/registry';
import { type LoopbackCluster, loopbackCluster, type TestHost, TRANSPORT, testHost } from './cluster';
import { type StudyTools, setupStudyTools } from './studyCluster';

/**
 * The terminal workflow on the loopback cluster: the bundled CLI launches a small study, watches it
 * until every job is COMPLETED, prints a log, fetches the results and analyzes them — over SSH, and
 * with the `local` profile when CORPUS_LAB_TEST_TRANSPORT=local (as on a login node).
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const run = `c${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const PREFIXES = ['ja/a_text_document', 'en/b_text_document'];
let c: LoopbackCluster;
let host: TestHost;
let tools: StudyTools;
let ws: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--workspace', ws],
      { env: { ...process.env, ...host.env }, maxBuffer: 64 << 20 },
      (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const recipe = (name: string, sources: string) => `name: ${name}\ntokenizer: llm-jp/llm-jp-3-13b\nsources:\n${sources}`;
const source = (id: string, language: string, tokens: string, prefix: string) =>
  `  - id: ${id}\n    language: ${language}\n    origin: original\n    kind: web\n    tokens: ${tokens}\n    megatron: ${prefix}\n`;

function writeSettings(jobs: Record<string, unknown>) {
  writeFileSync(
    path.join(ws, '.vscode', 'settings.json'),
    `// the loopback cluster, ${TRANSPORT}\n${JSON.stringify(
      { 'corpusLab.clusters': [host.profile], 'corpusLab.dataRoot': tools.dataRoot, 'corpusLab.jobs': jobs },
      null,
      2,
    )}\n`,
  );
}

before(async () => {
  c = loopbackCluster();
  host = testHost(c);
  tools = await setupStudyTools(host.transport, host.home, run, PREFIXES);
  ws = mkdtempSync(path.join(tmpdir(), 'corpus-lab-cli-study-'));
  mkdirSync(path.join(ws, '.vscode'));
  writeSettings({ ...tools.jobs, trainIters: 8 });
  writeFileSync(path.join(ws, 'a.recipe.yaml'), recipe('TinyA', source('a', 'ja', '2B', PREFIXES[0])));
  writeFileSync(
    path.join(ws, 'b.recipe.yaml'),
    recipe('TinyB', source('a', 'ja', '1B', PREFIXES[0]) + source('b', 'en', '3B', PREFIXES[1])),
  );
  // Three corpora: the fewest a correlation can be computed over.
  writeFileSync(path.join(ws, 'c.recipe.yaml'), recipe('TinyC', source('b', 'en', '2B', PREFIXES[1])));
});

after(async () => {
  await host.transport.exec(['scancel', '--me']).catch(() => undefined);
  host.dispose();
  rmSync(ws, { recursive: true, force: true });
});

test(`the CLI drives a whole study (${TRANSPORT}): launch, jobs until COMPLETED, logs, fetch, analyze`, async () => {
  const check = await cli('cluster', 'check', 'loopback', '--json');
  assert.equal(check.code, 0, check.stderr);
  const report = JSON.parse(check.stdout);
  assert.equal(report.kind, TRANSPORT);
  assert.match(report.slurm, /^slurm(-wlm)? 22\.05\.\d+$/);
  assert.deepEqual(
    report.partitions.map((p: { name: string; default: boolean; gres: string }) => [p.name, p.default, p.gres]),
    [['gpu', true, 'gpu:8']],
  );
  assert.equal(report.hostKey === undefined, TRANSPORT === 'local');

  const launch = await cli('study', 'launch', 'TinyA', 'TinyB', 'TinyC', '--study', run, '--yes', '--json');
  assert.equal(launch.code, 0, launch.stderr);
  const submitted = JSON.parse(launch.stdout) as { name: string; jobId: string; tag: string }[];
  assert.equal(submitted.length, 23);
  const progress = launch.stderr.split('\n').filter((l) => /^\[\d+\/23\]/.test(l));
  assert.deepEqual(
    progress.map((l) => l.replace(/: job \d+ .*$/, '')),
    submitted.map((j, i) => `[${i + 1}/23] ${j.name}`),
  );
  assert.match(launch.stderr, new RegExp(`submitted 23 jobs of ${run}\\n$`));
  // The editor's registry holds them, as the Jobs view would show them.
  const registry = new JobRegistry(path.join(ws, '.corpus-lab', 'jobs.json'));
  await registry.load();
  assert.deepEqual(
    registry.all().map((j) => j.tag),
    submitted.map((j) => j.tag),
  );

  let jobs: { name: string; state: string; description: string; gpuHours: number; jobId: string }[] = [];
  const deadline = Date.now() + 240_000;
  for (;;) {
    const r = await cli('jobs', '--study', run, '--json');
    assert.equal(r.code, 0, r.stderr);
    jobs = JSON.parse(r.stdout);
    if (jobs.every((j) => ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY'].includes(j.state))) break;
    if (Date.now() > deadline) throw new Error(`the study did not finish: ${r.stdout}`);
    await new Promise((res) => setTimeout(res, 2000));
  }
  assert.deepEqual(
    jobs.map((j) => `${j.name} ${j.state}`),
    submitted.map((j) => `${j.name} COMPLETED`),
  );
  for (const j of jobs) assert.match(j.description, new RegExp(`^#${j.jobId} · COMPLETED`));
  const text = await cli('jobs', '--study', run);
  assert.match(text.stdout.split('\n')[0], new RegExp(`^${run}: 23 completed, [\\d.,]+ GPU-hours$`));
  assert.match(text.stdout.split('\n')[1], /^ {2}hf-to-nemo\/base {2}#\d+ · COMPLETED · \d+:\d\d/);

  const cpt = submitted.find((j) => j.name === `${run}/cpt/TinyA`)!;
  const log = await cli('logs', `${run}/cpt/TinyA`);
  assert.equal(log.code, 0, log.stderr);
  const file = (await (await host.transport.files()).readFile(registry.get(cpt.tag)!.log)).toString('utf8');
  assert.equal(log.stdout, file);
  assert.equal(log.stdout.split('\n').filter((l) => / iteration +\d+\/ +8 \|/.test(l)).length, 8);
  // --follow of a job that has ended: the whole log, then it stops on its own.
  const followed = await cli('logs', cpt.jobId, '--follow');
  assert.deepEqual([followed.code, followed.stdout], [0, file]);

  const fetched = await cli('fetch', run, '--json');
  assert.equal(fetched.code, 0, fetched.stderr);
  const f = JSON.parse(fetched.stdout);
  // The study folder of the fetch: results/<study>/ with its study.yaml and the recipes' composition.
  const studyDir = path.join(ws, 'results', run);
  assert.equal(f.studyFile, path.join(studyDir, 'study.yaml'));
  assert.deepEqual(readdirSync(studyDir).sort(), ['TinyA', 'TinyB', 'TinyC', 'base', 'composition.csv', 'study.yaml']);
  assert.ok(f.fetched.length > 0);
  assert.equal(f.fetched.length, readdirSync(path.join(studyDir, 'TinyA', '3-shot')).length * 4);
  assert.deepEqual(
    readFileSync(path.join(studyDir, 'composition.csv'), 'utf8')
      .split('\n')
      .slice(1, -1)
      .map((l) => l.split(',')[0]),
    ['TinyA', 'TinyB', 'TinyC'],
  );

  const analysis = await cli('analyze', studyDir, '--json');
  assert.equal(analysis.code, 0, analysis.stderr);
  assert.deepEqual(JSON.parse(analysis.stdout).corpora, ['TinyA', 'TinyB', 'TinyC']);
});

test(`Ctrl-C during a launch (${TRANSPORT}) stops before the next sbatch; every job is recorded, none half`, async () => {
  // An sbatch that takes its time, so that the interrupt lands while a submission is under way.
  const slow = `${host.home}/${run}/sbatch-slow`;
  await uploadAtomic(await host.transport.files(), '#!/bin/bash\nsleep 1\nexec sbatch "$@"\n', slow, 0o755);
  writeSettings({ ...tools.jobs, trainIters: 8, sbatch: slow });
  const child = spawn(
    process.execPath,
    [CLI, 'study', 'launch', 'TinyA', '--study', `${run}-i`, '--yes', '--workspace', ws],
    {
      env: { ...process.env, ...host.env },
    },
  );
  let stderr = '';
  let interrupted = false;
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
    if (!interrupted && stderr.includes('[1/')) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  writeSettings({ ...tools.jobs, trainIters: 8 });
  assert.equal(code, 130, stderr);
  const registry = new JobRegistry(path.join(ws, '.corpus-lab', 'jobs.json'));
  await registry.load();
  const mine = registry.all().filter((j) => j.study === `${run}-i`);
  // The first Ctrl-C came after job 1: job 2 was under way, so it was finished and recorded; no third.
  assert.equal(mine.length, 2, stderr);
  assert.ok(
    mine.every((j) => /^\d+$/.test(j.jobId ?? '') && j.state !== 'SUBMITTING'),
    JSON.stringify(mine),
  );
  assert.match(
    stderr,
    new RegExp(
      `interrupted: 2 of 11 jobs submitted and recorded in .*; corpus-lab cancel --study ${run}-i cancels them\\n$`,
    ),
  );
  const queued = (await host.transport.exec(['squeue', '--me', '--noheader', '--states=all', '--format=%k'])).stdout
    .split('\n')
    .filter((t) => t.startsWith(`cl-${run}-i-`));
  assert.deepEqual(queued.sort(), mine.map((j) => j.tag).sort());
  const cancel = await cli('cancel', '--study', `${run}-i`);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stdout, new RegExp(`^cancelled \\d jobs of ${run}-i`));
  assert.ok(existsSync(path.join(ws, '.corpus-lab', 'jobs.json')));
  assert.equal(readFileSync(path.join(ws, '.corpus-lab', 'jobs.json'), 'utf8').includes('SUBMITTING'), false);
});
