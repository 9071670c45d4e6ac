import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import type { JobRecord } from '../../src/core/jobs/registry';
import type { CompositionStatistics } from '../../src/core/recipe/statistics';
import { fetchStudy } from '../../src/core/study/fetchStudy';
import { loadStudy } from '../../src/core/study/loadStudy';
import { connection, type LoopbackCluster, loopbackCluster } from './cluster';
import { finishedJob } from './jobRecords';

const run = `s${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let c: LoopbackCluster;
let conn: ClusterConnection;
let workspace: string;

/** IgakuQA and MedQA accuracy of each model, as the evaluation wrote them on the cluster. */
const SCORES: Record<string, [number, number]> = {
  base: [0.25, 0.5],
  A: [0.5, 0.75],
  B: [0.375, 0.5],
  C: [0.125, 0.625],
};

function job(stage: 'cpt' | 'eval', model: string): JobRecord {
  const root = `${c.home}/corpus-lab-${run}`;
  return finishedJob(
    run,
    root,
    stage,
    model,
    stage === 'eval' ? { resultsDir: `${root}/results/${run}/${model}/3-shot` } : {},
  );
}

function stats(japanese: number, english: number, parallel: number): { statistics: CompositionStatistics } {
  const total = japanese + english + parallel;
  const ratio = (x: number) => x / total;
  return {
    statistics: {
      total,
      japanese,
      english,
      parallel,
      japaneseRatio: ratio(japanese),
      englishRatio: ratio(english),
      parallelRatio: ratio(parallel),
    },
  };
}

before(async () => {
  c = loopbackCluster();
  conn = connection(c);
  workspace = mkdtempSync(path.join(tmpdir(), 'corpus-lab-fetch-study-'));
  const sftp = await conn.files();
  for (const [model, [igakuqa, medqa]] of Object.entries(SCORES))
    await uploadAtomic(
      sftp,
      `Task,Template,Accuracy\nigakuqa,t,${igakuqa}\nmedqa,t,${medqa}\n`,
      `${c.home}/corpus-lab-${run}/results/${run}/${model}/3-shot/mcqa.csv`,
    );
});

after(async () => {
  await conn.exec(['rm', '-rf', '--', `${c.home}/corpus-lab-${run}`]);
  conn.dispose();
  rmSync(workspace, { recursive: true, force: true });
});

test('fetchStudy copies the results over SSH and leaves results/<study>/ a study the analysis opens as it is', async () => {
  const models = Object.keys(SCORES);
  const jobs = [
    ...['A', 'B', 'C'].map((m) => job('cpt', m)),
    ...models.map((m) => job('eval', m)),
    { ...job('eval', 'A'), tag: 'cl-other-eval-A-0001', study: 'other' },
  ];
  const report = await fetchStudy(conn, {
    workspace,
    study: run,
    jobs,
    shots: 3,
    recipes: new Map([
      ['A', stats(600e6, 400e6, 0)],
      ['B', stats(300e6, 900e6, 0)],
      ['C', stats(500e6, 0, 300e6)],
    ]),
  });
  const dir = path.join(workspace, 'results', run);
  assert.deepEqual(
    report.fetched,
    models.map((m) => path.join(dir, m, '3-shot', 'mcqa.csv')),
  );
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.study, {
    dir,
    studyFile: path.join(dir, 'study.yaml'),
    studyFileState: 'written',
    withoutRecipe: [],
  });
  assert.match(readFileSync(path.join(dir, 'study.yaml'), 'utf8'), /^cluster: loopback$/m);

  const study = await loadStudy(dir);
  assert.equal(study.name, run);
  assert.deepEqual(study.inputs.scores.corpora, ['A', 'B', 'C']);
  assert.deepEqual(
    study.inputs.scores.tasks.map((t) => [t.task, ...t.values]),
    [
      ['IgakuQA', 0.25, 0.125, -0.125],
      ['MedQA', 0.25, 0, 0.125],
    ],
  );
  assert.deepEqual(study.inputs.composition.values.parallel_tokens, [0, 0, 0.3]);

  // Fetching again changes nothing and keeps the study.yaml.
  const again = await fetchStudy(conn, { workspace, study: run, jobs, shots: 3, recipes: new Map() });
  assert.deepEqual(again.fetched, []);
  assert.equal(again.unchanged.length, 4);
  assert.equal(again.study.studyFileState, 'kept');
  assert.deepEqual(again.study.withoutRecipe, ['A', 'B', 'C']);

  await assert.rejects(fetchStudy(conn, { workspace, study: 'nothing', jobs, shots: 3, recipes: new Map() }), {
    message: 'study nothing has no evaluation jobs in the registry',
  });
});
