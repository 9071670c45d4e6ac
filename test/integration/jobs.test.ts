import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { readRemoteFile, uploadAtomic } from '../../src/core/cluster/sftp';
import type { ClusterTransport } from '../../src/core/cluster/transport';
import { JobService, type JobSpec, newTag } from '../../src/core/jobs/jobService';
import { isFinished } from '../../src/core/jobs/jobState';
import { type JobRecord, JobRegistry } from '../../src/core/jobs/registry';
import { jobSettingsSchema, launchStudy } from '../../src/core/jobs/studyLaunch';
import { validateStudy } from '../../src/core/jobs/studyValidate';
import { renderStage } from '../../src/core/jobs/templates';
import { LogFollower } from '../../src/core/logs/logFollower';
import { MegatronMetrics, parseIterationLine } from '../../src/core/logs/megatronLog';
import { shippedTemplates } from '../unit/helpers';
import { type LoopbackCluster, loopbackCluster, type TestHost, TRANSPORT, testHost } from './cluster';
import { lineageOf, type StudyTools, setupStudyTools, standInScore } from './studyCluster';

/**
 * Real jobs on the loopback Slurm, running the rendered templates with the stand-ins of Megatron-LM,
 * NeMo and med-eval (which refuse what the real tools refuse) as launchers. Runs over SSH, and with the
 * `local` profile when CORPUS_LAB_TEST_TRANSPORT=local (see ./cluster.ts).
 */
const run = `j${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let c: LoopbackCluster;
let host: TestHost;
let conn: ClusterTransport;
let home: string;
let registry: JobRegistry;
let service: JobService;
let local: string;
let timeoutJob: JobRecord;
let tools: StudyTools;
let settings: ReturnType<typeof jobSettingsSchema.parse>;
const PREFIXES = ['ja/a_text_document', 'en/b_text_document'];

/** A lone CPT job (1 GPU, TP = PP = 1) from the shipped template; with no checkpoint to load it starts from random weights. */
function cptSpec(model: string, trainIters: number, t: { file: string; text: string }, timeLimit = '10:00'): JobSpec {
  return {
    cluster: 'loopback',
    study: run,
    stage: 'cpt',
    model,
    name: `${run}/cpt/${model}`,
    script: (runDir) =>
      renderStage('cpt', t, {
        runDir,
        launcher: settings.launchers.cpt,
        input: `${runDir}/no-checkpoint`,
        output: `${runDir}/checkpoints`,
        dataPath: ['1', `${tools.dataRoot}/${PREFIXES[0]}`],
        tokenizerModel: settings.tokenizerModel,
        trainIters,
        tensorParallel: 1,
        pipelineParallel: 1,
        globalBatchSize: 8,
      }),
    resources: { partition: 'gpu', nodes: 1, gpusPerNode: 1, timeLimit },
  };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(registry.all().map((j) => [j.name, j.state, j.reason]))}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Cuts a follow mid-way: over SSH the session's sshd child dies (the connection drops); locally the tail itself. */
async function cutFollow(log: string) {
  if (TRANSPORT === 'ssh') {
    process.kill(Number((await conn.exec(['sh', '-c', 'echo $PPID'])).stdout.trim()), 'SIGKILL');
    return;
  }
  const pids = (await conn.exec(['pgrep', '-f', '--', `^tail -c \\+[0-9]+ -F ${log}$`])).stdout.split('\n');
  const live = pids.filter(Boolean).map(Number);
  assert.equal(live.length, 1, `one tail follows ${log}`);
  process.kill(live[0], 'SIGKILL');
}

const finished = (tags: string[]) => async () => {
  await service.poll('loopback');
  return tags.every((t) => isFinished(registry.get(t)!.state));
};

before(async () => {
  c = loopbackCluster();
  host = testHost(c);
  conn = host.transport;
  home = host.home;
  local = mkdtempSync(path.join(tmpdir(), 'corpus-lab-jobs-'));
  registry = new JobRegistry(path.join(local, '.corpus-lab', 'jobs.json'));
  await registry.load();
  service = new JobService(registry, () => conn, { remoteRoot: () => `corpus-lab-${run}` });
  tools = await setupStudyTools(conn, home, run, PREFIXES);
  settings = jobSettingsSchema.parse({ ...tools.jobs, trainIters: 8 });
  // Started first: Slurm enforces a one-minute limit only after a minute; the last test checks it.
  timeoutJob = await service.submit(cptSpec('timeout', 999999, (await shippedTemplates()).cpt, '1'));
});

after(async () => {
  await conn.exec(['scancel', '--me']).catch(() => undefined);
  host?.dispose();
  rmSync(local, { recursive: true, force: true });
});

test('a study launch: the paper pipeline with every conversion, through the tools’ stand-ins, all COMPLETED', async () => {
  const progress: string[] = [];
  const jobs = await launchStudy(
    service,
    {
      study: run,
      cluster: 'loopback',
      includeBase: true,
      settings,
      templates: await shippedTemplates(),
      resultsDir: `${home}/corpus-lab-${run}/results/${run}`,
      recipes: [
        {
          name: 'EnJa-Tiny',
          dataPath: ['0.6', `${tools.dataRoot}/${PREFIXES[0]}`, '0.4', `${tools.dataRoot}/${PREFIXES[1]}`],
          totalTokens: 1e9,
        },
      ],
    },
    (done, total, what) => progress.push(`${done}/${total} ${what}`),
  );
  assert.deepEqual(
    jobs.map((j) => `${j.stage}/${j.model}`),
    [
      'hf-to-nemo/base',
      'sft/base',
      'nemo-to-hf/base',
      'eval/base',
      'hf-to-megatron/base',
      'cpt/EnJa-Tiny',
      'megatron-to-hf/EnJa-Tiny',
      'hf-to-nemo/EnJa-Tiny',
      'sft/EnJa-Tiny',
      'nemo-to-hf/EnJa-Tiny',
      'eval/EnJa-Tiny',
    ],
  );
  assert.equal(progress.at(-1), '11/11 ');
  // The dependency graph is Slurm's: afterok on the id of the job that made each input.
  const byKey = new Map(jobs.map((j) => [`${j.stage}/${j.model}`, j]));
  for (const j of jobs)
    for (const t of j.dependsOn) assert.ok(j.sbatch.includes(`--dependency=afterok:${registry.get(t)!.jobId}`), j.name);
  const cpt = byKey.get('cpt/EnJa-Tiny')!;
  const evalJob = byKey.get('eval/EnJa-Tiny')!;
  assert.equal(cpt.dependsOn[0], byKey.get('hf-to-megatron/base')!.tag);
  await until('the study to finish', finished(jobs.map((j) => j.tag)), 180_000);
  assert.deepEqual(
    jobs.map((j) => `${j.name}: ${registry.get(j.tag)!.state}`),
    jobs.map((j) => `${j.name}: COMPLETED`),
  );

  const sftp = await conn.files();
  const log = (await readRemoteFile(sftp, cpt.log)).toString('utf8');
  const metrics = new MegatronMetrics();
  metrics.add(log.split('\n'));
  // Continued pretraining starts at iteration 0 from the converted base (--finetune), not where the conversion left it.
  assert.deepEqual(
    metrics.iterations.map((m) => m.iteration),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(metrics.iterations[0].totalIterations, 8);
  // med-eval wrote its CSVs where the results go (results/<study>/<model>/<shots>-shot/), scoring the
  // model that came through every conversion: base → CPT on the recipe's datasets (8 iterations) → SFT.
  const csv = (await readRemoteFile(sftp, `${evalJob.resultsDir}/mcqa-ja.csv`)).toString('utf8').split('\n');
  assert.equal(csv[0], 'Task,Template,Accuracy,Norm_accuracy');
  const score = standInScore(lineageOf('llm-jp-3-13b', { prefixes: PREFIXES, iterations: 8 }), 'igakuqa', 3);
  assert.ok(
    csv.some((l) => l.startsWith(`igakuqa,mcqa_with_options_jp,${score},`)),
    csv.join('\n'),
  );
  const ner = (await readRemoteFile(sftp, `${evalJob.resultsDir}/ner.csv`)).toString('utf8').split('\n');
  assert.equal(ner[0], 'Task,Template,F1 entity-level');
  // The registry on disk says the same.
  const reread = new JobRegistry(registry.file);
  await reread.load();
  assert.deepEqual(reread.get(evalJob.tag)?.state, 'COMPLETED');
});

test('Validate Study: every option of every job asked of the installed tools, every job of Slurm; a broken setting named', async () => {
  const launch = {
    study: `${run}-v`,
    cluster: 'loopback',
    includeBase: true,
    settings,
    templates: await shippedTemplates(),
    resultsDir: `${home}/corpus-lab-${run}/results/${run}-v`,
    recipes: [
      {
        name: 'EnJa-Tiny',
        dataPath: ['0.6', `${tools.dataRoot}/${PREFIXES[0]}`, '0.4', `${tools.dataRoot}/${PREFIXES[1]}`],
        totalTokens: 1e9,
      },
    ],
  };
  const ok = await validateStudy(service, (argv) => conn.exec(argv), launch, await conn.files());
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.jobs, 11);
  assert.equal(ok.slurm.length, 11);
  assert.ok(
    ok.slurm.every((s) => /to start at/.test(s.message)),
    JSON.stringify(ok.slurm),
  );
  // evaluate_mcqa.py twice: document classification adds --truncate, a question of its own.
  assert.deepEqual(ok.tools.map((t) => path.posix.basename(t.program)).sort(), [
    'convert.py',
    'convert.py',
    'convert_llama_hf_to_nemo.py',
    'convert_llama_nemo_to_hf.py',
    'evaluate_mcqa.py',
    'evaluate_mcqa.py',
    'evaluate_mt.py',
    'evaluate_ner.py',
    'evaluate_sts.py',
    'megatron_gpt_finetuning.py',
    'pretrain_gpt.py',
    'templates',
  ]);
  // Nothing submitted: no job of the validated study in Slurm's queue or its accounting.
  assert.equal(
    (await conn.exec(['squeue', '--me', '--noheader', '--states=all', '--format=%j'])).stdout
      .split('\n')
      .filter((l) => l.startsWith(`${run}-v/`)).length,
    0,
  );
  assert.equal(registry.all().filter((j) => j.study === `${run}-v`).length, 0);
  assert.equal(
    (await conn.exec(['sh', '-c', `ls -d ${home}/corpus-lab-${run}/runs/*-check-* 2>/dev/null | wc -l`])).stdout.trim(),
    '0',
    'no check directory left behind',
  );

  // The old templates' mistakes, as a workspace template would bring them back: each named with its job and line.
  const t = await shippedTemplates();
  const old = {
    ...t,
    cpt: {
      file: 'old-cpt.sbatch',
      text: t.cpt.text.replace('--attention-backend flash', '--use-flash-attn --no-such-option'),
    },
    sft: {
      file: 'old-sft.sbatch',
      text: t.sft.text.replace(/ {2}model\.data\.validation_ds\.file_names=\[\{\{validationData\}\}\] \\\n/, ''),
    },
  };
  const bad = await validateStudy(service, (argv) => conn.exec(argv), {
    ...launch,
    templates: old,
    settings: { ...settings, evalTemplates: { ...settings.evalTemplates, sts: 'sts_as_nli_xx' } },
  });
  assert.ok(
    bad.problems.some((p) =>
      /^cpt\/EnJa-Tiny \(script line \d+\): the installed \$HOME\/fake\/Megatron-LM\/pretrain_gpt\.py does not accept --no-such-option$/.test(
        p,
      ),
    ),
    bad.problems.join('\n'),
  );
  assert.ok(
    bad.problems.some((p) =>
      /^sft\/base \(script line \d+\): model\.data\.validation_ds\.file_names is mandatory \(\?\?\?\) in its config and is not set$/.test(
        p,
      ),
    ),
    bad.problems.join('\n'),
  );
  assert.ok(
    bad.problems.includes(
      'eval: med-eval has no template "sts_as_nli_xx" (jobs.evalTemplates.sts) in templates/nli.py',
    ),
    bad.problems.join('\n'),
  );
  assert.equal(bad.slurm.length, 11);
});

test('a failing CPT is FAILED, and its SFT and evaluation are cancelled by Slurm (dependency never satisfied)', async () => {
  const t = await shippedTemplates();
  const cpt = await service.submit(cptSpec('broken', 13, t.cpt));
  const sftSpec = cptSpec('broken-sft', 4, t.cpt);
  // Its input is what the CPT job makes, in the CPT job's run directory.
  const sft = await service.submit({
    ...sftSpec,
    stage: 'sft',
    dependsOn: [cpt.tag],
    script: (rd) => `${sftSpec.script(rd)}\necho "input: ${cpt.runDir}/checkpoints"\n`,
  });
  const ev = await service.submit({ ...cptSpec('broken-eval', 4, t.cpt), stage: 'eval', dependsOn: [sft.tag] });
  await until('the failure to propagate', finished([cpt.tag, sft.tag, ev.tag]));
  assert.equal(registry.get(cpt.tag)!.state, 'FAILED');
  assert.equal(registry.get(sft.tag)!.state, 'CANCELLED');
  assert.equal(registry.get(ev.tag)!.state, 'CANCELLED');
  assert.match(registry.get(sft.tag)!.reason ?? '', /Dependency/);
  const log = (await readRemoteFile(await conn.files(), cpt.log)).toString('utf8');
  assert.match(log, /RuntimeError: CUDA error: an illegal memory access was encountered/);

  // Resubmit: the same script under a new tag and run directory, a new Slurm job.
  const again = await service.resubmit(cpt.tag);
  assert.notEqual(again.tag, cpt.tag);
  assert.notEqual(again.jobId, cpt.jobId);
  assert.equal(again.model, 'broken');
  // It asks Slurm for what the first asked, read from the record rather than from its sbatch line.
  assert.deepEqual(again.resources, cpt.resources);
  const asked = (argv: readonly string[]) => argv.filter((x) => /^--(partition|nodes|gres|time)=/.test(x));
  assert.deepEqual(asked(again.sbatch), asked(cpt.sbatch));
  assert.equal(asked(again.sbatch).length, 4);
  const script = (await readRemoteFile(await conn.files(), again.script)).toString('utf8');
  assert.ok(
    script.includes(again.runDir) && !script.includes(cpt.runDir),
    'the script points at its own run directory',
  );
  await until('the resubmitted job to fail again', finished([again.tag]));
  assert.equal(registry.get(again.tag)!.state, 'FAILED');

  // Resubmitting with its dependants: the CPT job again, its SFT and evaluation re-chained behind
  // it (afterok on the new ids), the SFT's input moved to the new CPT job's run directory.
  assert.deepEqual(
    service.dependantsToRerun(cpt.tag).rerun.map((j) => j.model),
    ['broken-sft', 'broken-eval'],
  );
  const chain = await service.resubmitWithDependants(cpt.tag);
  assert.deepEqual(
    chain.jobs.map((j) => j.model),
    ['broken', 'broken-sft', 'broken-eval'],
  );
  assert.deepEqual(chain.leftAlone, []);
  const [cpt2, sft2, ev2] = chain.jobs;
  assert.ok(sft2.sbatch.includes(`--dependency=afterok:${cpt2.jobId}`));
  assert.ok(ev2.sbatch.includes(`--dependency=afterok:${sft2.jobId}`));
  const sftScript = (await readRemoteFile(await conn.files(), sft2.script)).toString('utf8');
  assert.ok(sftScript.includes(`input: ${cpt2.runDir}/checkpoints`) && !sftScript.includes(cpt.runDir), sftScript);
  await until('the re-chained jobs to end', finished(chain.jobs.map((j) => j.tag)));
  assert.deepEqual(
    chain.jobs.map((j) => registry.get(j.tag)!.state),
    ['FAILED', 'CANCELLED', 'CANCELLED'],
  );
});

test('cancel: a running job becomes CANCELLED', async () => {
  const job = await service.submit(cptSpec('cancel-me', 999999, (await shippedTemplates()).cpt));
  await until('it to run', async () => {
    await service.poll('loopback');
    return registry.get(job.tag)!.state === 'RUNNING';
  });
  assert.ok(registry.get(job.tag)!.node);
  await service.cancel(job.tag);
  await until('it to be cancelled', finished([job.tag]));
  assert.equal(registry.get(job.tag)!.state, 'CANCELLED');
});

test('sbatch --test-only validates without submitting; a bad partition is Slurm’s error', async () => {
  const t = await shippedTemplates();
  const checks = async () =>
    (await conn.exec(['squeue', '--me', '--noheader', '--states=all', '--format=%j'])).stdout
      .split('\n')
      .filter((l) => l === `${run}/cpt/check`).length;
  const ok = await service.validate(cptSpec('check', 4, t.cpt));
  assert.equal(ok.ok, true);
  assert.match(ok.message, /to start at/);
  const bad = await service.validate({ ...cptSpec('check', 4, t.cpt), resources: { partition: 'nosuch' } });
  assert.equal(bad.ok, false);
  assert.match(bad.message, /invalid partition/i);
  // Nothing submitted (squeue forgets finished jobs after MinJobAge, so other jobs' counts say nothing).
  assert.equal(await checks(), 0);
});

// Locally there is no connection to lose (and the wrapper's parent would be this test).
test('a reply lost with the connection: the job is found by its tag, recorded once, not submitted twice', {
  skip: TRANSPORT === 'local' && 'no connection to lose with the local profile',
}, async () => {
  const sftp = await conn.files();
  const pidFile = `${home}/fake/sbatch-slow.pid`;
  // A real sbatch, then a pause before the reply: the connection is cut in that pause.
  await uploadAtomic(
    sftp,
    `#!/bin/bash\nsbatch "$@"\necho $PPID > ${pidFile}\nsleep 30\n`,
    `${home}/fake/sbatch-slow`,
    0o755,
  );
  const slow = new JobService(registry, () => conn, {
    remoteRoot: () => `corpus-lab-${run}`,
    sbatch: `${home}/fake/sbatch-slow`,
  });
  await conn.exec(['rm', '-f', pidFile]);
  const submitting = slow.submit(cptSpec('lost-reply', 4, (await shippedTemplates()).cpt));
  let pid = '';
  await until(
    'sbatch to have run',
    async () => {
      pid = (await conn.exec(['cat', pidFile]).catch(() => ({ stdout: '' }))).stdout.trim();
      return pid !== '';
    },
    20_000,
  );
  process.kill(Number(pid), 'SIGKILL');
  const rec = await submitting;
  assert.match(rec.jobId ?? '', /^\d+$/);
  assert.notEqual(rec.state, 'UNSUBMITTED');
  const withTag = (await conn.exec(['squeue', '--me', '--noheader', '--states=all', '--format=%i %k'])).stdout
    .split('\n')
    .filter((l) => l.endsWith(` ${rec.tag}`));
  assert.deepEqual(withTag, [`${rec.jobId} ${rec.tag}`]);
});

test('a poll while a job is being submitted leaves it to its submission: never UNSUBMITTED, recorded once', async () => {
  const sftp = await conn.files();
  // sbatch answers late, as a busy controller does: the poll comes while it has not answered.
  await uploadAtomic(sftp, '#!/bin/bash\nsleep 8\nexec sbatch "$@"\n', `${home}/fake/sbatch-late`, 0o755);
  const late = new JobService(registry, () => conn, {
    remoteRoot: () => `corpus-lab-${run}`,
    sbatch: `${home}/fake/sbatch-late`,
  });
  const spec = { ...cptSpec('polled', 4, (await shippedTemplates()).cpt), tag: newTag(run, 'cpt', 'polled') };
  const submitting = late.submit(spec);
  await until('the record to be written', async () => registry.get(spec.tag)?.state === 'SUBMITTING', 20_000);
  const { changed } = await late.poll('loopback');
  assert.deepEqual(
    changed.filter((j) => j.tag === spec.tag),
    [],
  );
  assert.notEqual(registry.get(spec.tag)!.state, 'UNSUBMITTED');
  const rec = await submitting;
  assert.match(rec.jobId ?? '', /^\d+$/);
  assert.equal(registry.get(spec.tag)!.state, 'PENDING');
  // Not needed further; it may have finished already, which is as good.
  await conn.exec(['scancel', rec.jobId!]);
});

test('following a log live: a dropped connection (locally, a killed tail) loses and repeats no line; a huge log opens at its tail', async () => {
  const job = await service.submit(cptSpec('follow', 60, (await shippedTemplates()).cpt));
  const follower = new LogFollower(conn, job.log);
  const lines: string[] = [];
  follower.on('lines', (l: string[]) => lines.push(...l));
  await follower.start();
  await until('some iterations', async () => lines.filter((l) => parseIterationLine(l)).length >= 10, 30_000);
  await cutFollow(job.log);
  await until('the job to finish', finished([job.tag]));
  await until(
    'the follower to catch up',
    async () => lines.some((l) => l.startsWith('[after training is done]')),
    20_000,
  );
  follower.stop();
  const file = (await readRemoteFile(await conn.files(), job.log)).toString('utf8');
  assert.deepEqual(lines, file.split('\n').slice(0, -1));
  assert.equal(lines.filter((l) => parseIterationLine(l)).length, 60);

  const big = `${home}/big-${run}.log`;
  const line = (i: number) => `line ${String(i).padStart(7, '0')} ${'x'.repeat(90)}`;
  await uploadAtomic(await conn.files(), `${Array.from({ length: 30_000 }, (_, i) => line(i)).join('\n')}\n`, big);
  const tail = new LogFollower(conn, big, { window: 100_000 });
  const got: string[] = [];
  let skipped = -1;
  tail.on('skipped', (n: number) => (skipped = n));
  tail.on('lines', (l: string[]) => got.push(...l));
  await tail.start();
  await until('the tail', async () => got.at(-1) === line(29_999), 10_000);
  tail.stop();
  assert.ok(skipped > 2_000_000, `skipped ${skipped}`);
  assert.match(got[0], /^line \d{7} x{90}$/, 'the first shown line is whole');
  assert.ok(got.length < 1100);
});

test('a job over its time limit is TIMEOUT', async () => {
  await until('the time limit', finished([timeoutJob.tag]), 150_000);
  assert.equal(registry.get(timeoutJob.tag)!.state, 'TIMEOUT');
});
