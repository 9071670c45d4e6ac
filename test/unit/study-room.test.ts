import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { CompositionStatistics } from '../../src/core/recipe/statistics';
import { compositionCsv, writeStudyFolder } from '../../src/core/study/fetchStudy';
import { findStudies, studyDirOf } from '../../src/core/study/findStudies';
import { loadStudy } from '../../src/core/study/loadStudy';
import { readStudyFile, studyFileText } from '../../src/core/study/studyFile';
import { tempDir } from './helpers';

function stats(japanese: number, english: number, parallel: number): CompositionStatistics {
  const total = japanese + english + parallel;
  return {
    total,
    japanese,
    english,
    parallel,
    japaneseRatio: japanese / total,
    englishRatio: english / total,
    parallelRatio: parallel / total,
  };
}

const RECIPES = new Map([
  ['A', { statistics: stats(600e6, 400e6, 0) }],
  ['B', { statistics: stats(300e6, 900e6, 0) }],
  ['C', { statistics: stats(500e6, 0, 300e6) }],
]);

/** results/<study>/<model>/3-shot/mcqa.csv as med-eval writes them. */
function putResults(dir: string, scores: Record<string, [number, number]>) {
  for (const [model, [igakuqa, medqa]] of Object.entries(scores)) {
    mkdirSync(path.join(dir, model, '3-shot'), { recursive: true });
    writeFileSync(
      path.join(dir, model, '3-shot', 'mcqa.csv'),
      `Task,Template,Accuracy\nigakuqa,t,${igakuqa}\nmedqa,t,${medqa}\n`,
    );
  }
}

test('study.yaml is written from the schema, with its note on top, and reads back as written', async () => {
  const text = studyFileText(
    { name: 'my-study', cluster: 'abci', results: '.', shots: 3, corpora: ['A', 'B'], composition: 'composition.csv' },
    'Written by a test.',
  );
  assert.equal(
    text,
    [
      '# Written by a test.',
      '',
      'name: my-study',
      'cluster: abci',
      'results: .',
      'base: base',
      'shots: 3',
      'aggregation: mean',
      'metric: Accuracy',
      'corpora:',
      '  - A',
      '  - B',
      'composition: composition.csv',
      '',
    ].join('\n'),
  );
  const dir = tempDir();
  writeFileSync(path.join(dir, 'study.yaml'), text);
  assert.deepEqual(await readStudyFile(path.join(dir, 'study.yaml')), {
    name: 'my-study',
    cluster: 'abci',
    results: '.',
    base: 'base',
    shots: 3,
    aggregation: 'mean',
    metric: 'Accuracy',
    corpora: ['A', 'B'],
    composition: 'composition.csv',
  });
  assert.throws(
    () => studyFileText({ name: 'x', results: '../elsewhere' }, 'n'),
    /must be a path inside the study folder/,
  );
});

test('the composition is recorded in Table C.1’s shape, billions to the token and percent to a millionth', () => {
  assert.equal(
    compositionCsv([...RECIPES].map(([name, r]) => ({ name, ...r }))),
    [
      'corpus,total_tokens_b,japanese_tokens_b,english_tokens_b,parallel_tokens_b,japanese_ratio_pct,english_ratio_pct,parallel_ratio_pct',
      'A,1.000000000,0.600000000,0.400000000,0.000000000,60.000000,40.000000,0.000000',
      'B,1.200000000,0.300000000,0.900000000,0.000000000,25.000000,75.000000,0.000000',
      'C,0.800000000,0.500000000,0.000000000,0.300000000,62.500000,0.000000,37.500000',
      '',
    ].join('\n'),
  );
});

test('a fetched study folder opens as a study of its own; its registry is found at the workspace root', async () => {
  const workspace = tempDir();
  const dir = path.join(workspace, 'results', 's1');
  putResults(dir, { base: [0.25, 0.5], A: [0.5, 0.75], B: [0.375, 0.5], C: [0.125, 0.625] });
  mkdirSync(path.join(workspace, '.corpus-lab'));
  writeFileSync(
    path.join(workspace, '.corpus-lab', 'jobs.json'),
    JSON.stringify({
      version: 1,
      jobs: [
        {
          tag: 'cl-s1-eval-A-0001',
          cluster: 'abci',
          study: 's1',
          stage: 'eval',
          model: 'A',
          name: 's1/eval/A',
          runDir: '/home/u/corpus-lab/runs/cl-s1-eval-A-0001',
          script: '/home/u/corpus-lab/runs/cl-s1-eval-A-0001/job.sbatch',
          log: '/home/u/corpus-lab/runs/cl-s1-eval-A-0001/slurm.log',
          dependsOn: [],
          jobId: '4242',
          state: 'COMPLETED',
          submittedAt: '2026-11-26T00:00:00.000Z',
          updatedAt: '2026-11-26T00:00:00.000Z',
          resultsDir: '/home/u/corpus-lab/results/s1/A/3-shot',
          sbatch: [],
        },
      ],
    }),
  );
  const written = await writeStudyFolder(dir, {
    study: 's1',
    shots: 3,
    recipes: RECIPES,
    cluster: 'abci',
    corpora: ['C', 'A', 'B'],
  });
  assert.deepEqual(written, {
    dir,
    studyFile: path.join(dir, 'study.yaml'),
    studyFileState: 'written',
    withoutRecipe: [],
  });
  const model = await loadStudy(dir);
  assert.equal(model.name, 's1');
  assert.deepEqual(model.inputs.scores.corpora, ['C', 'A', 'B']);
  assert.deepEqual(
    model.inputs.scores.tasks.map((t) => [t.task, ...t.values]),
    [
      ['IgakuQA', -0.125, 0.25, 0.125],
      ['MedQA', 0.125, 0.25, 0],
    ],
  );
  assert.deepEqual(model.inputs.composition.corpora, ['C', 'A', 'B']);
  assert.deepEqual(model.inputs.composition.values.japanese_ratio, [62.5, 60, 25]);
  assert.equal(
    model.provenance.get('IgakuQA|A'),
    `${path.join('A', '3-shot', 'mcqa.csv')}:2 (t) = 0.5\njob 4242 on abci (s1/eval/A)`,
  );

  // A second fetch leaves the study.yaml there (the researcher may have edited it) and says so.
  writeFileSync(path.join(dir, 'study.yaml'), `${readFileSync(path.join(dir, 'study.yaml'), 'utf8')}# edited\n`);
  const again = await writeStudyFolder(dir, {
    study: 's1',
    shots: 3,
    recipes: new Map([['A', RECIPES.get('A')!]]),
    cluster: 'abci',
    corpora: ['C', 'A', 'B'],
  });
  assert.equal(again.studyFileState, 'kept');
  assert.deepEqual(again.withoutRecipe, ['C', 'B']);
  assert.match(readFileSync(path.join(dir, 'study.yaml'), 'utf8'), /# edited\n$/);

  // A composition.csv put in the folder by hand is the study's: referred to, never written over.
  const own = path.join(workspace, 'results', 's2');
  mkdirSync(own, { recursive: true });
  writeFileSync(path.join(own, 'composition.csv'), 'by hand\n');
  await writeStudyFolder(own, { study: 's2', shots: 0, recipes: RECIPES, cluster: 'abci', corpora: ['A'] });
  assert.equal(readFileSync(path.join(own, 'composition.csv'), 'utf8'), 'by hand\n');
  assert.match(readFileSync(path.join(own, 'study.yaml'), 'utf8'), /^composition: composition\.csv$/m);
});

test('every study.yaml of a workspace is found, shallowest first; a broken one is listed with its error', async () => {
  const ws = tempDir();
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    writeFileSync(path.join(ws, rel), text);
  };
  put('study.yaml', 'name: root\nscores: s.csv\n');
  put('results/s2/study.yaml', 'name: s2\nresults: .\n');
  put('results/s1/study.yaml', 'name: s1\nresults: .\n');
  put('results/bad/study.yaml', 'name: bad\nresults: /etc\n');
  put('node_modules/pkg/study.yaml', 'name: dependency\nresults: .\n');
  put('.hidden/study.yaml', 'name: hidden\nresults: .\n');
  symlinkSync(ws, path.join(ws, 'results', 'loop'));
  assert.deepEqual(await findStudies(ws), [
    { dir: ws, file: path.join(ws, 'study.yaml'), name: 'root' },
    {
      dir: path.join(ws, 'results', 'bad'),
      file: path.join(ws, 'results', 'bad', 'study.yaml'),
      problem: `${path.join(ws, 'results', 'bad', 'study.yaml')}:2:10: results: must be a path inside the study folder (relative, without "..")`,
    },
    { dir: path.join(ws, 'results', 's1'), file: path.join(ws, 'results', 's1', 'study.yaml'), name: 's1' },
    { dir: path.join(ws, 'results', 's2'), file: path.join(ws, 'results', 's2', 'study.yaml'), name: 's2' },
  ]);

  // corpusLab.study: a folder, or the study.yaml in it, relative to the workspace.
  assert.equal(await studyDirOf('results/s1', ws), path.join(ws, 'results', 's1'));
  assert.equal(await studyDirOf('results/s1/study.yaml', ws), path.join(ws, 'results', 's1'));
  assert.equal(await studyDirOf(path.join(ws, 'results', 's2'), undefined), path.join(ws, 'results', 's2'));
  await assert.rejects(studyDirOf('results/none', ws), {
    message: `corpusLab.study: ${path.join(ws, 'results', 'none')} does not exist`,
  });
});
