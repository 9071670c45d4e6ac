import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { renderMessage } from '../../src/core/analysis/messages';
import { aggregate, parseResultCsv, TASKS } from '../../src/core/results/jmedbench';
import { loadStudy } from '../../src/core/study/loadStudy';
import { readStudyFile } from '../../src/core/study/studyFile';
import { readStudyResults } from '../../src/core/study/studyResults';
import { CLI, FIXTURES, PAPER_STUDY, tempDir } from './helpers';

test('the 27 CSV task ids map onto the paper’s tasks, languages and categories', async () => {
  assert.equal(Object.keys(TASKS).length, 27);
  const paper = (await loadStudy(PAPER_STUDY)).inputs.scores.tasks
    .map((t) => `${t.task}/${t.language}/${t.category}`)
    .sort();
  assert.deepEqual(
    Object.values(TASKS)
      .map((t) => `${t.task}/${t.language}/${t.category}`)
      .sort(),
    paper,
  );
});

test('JMedBench CSVs: the metric per family, BLEU ÷ 100, and bad rows named by file, row and column', () => {
  const r = parseResultCsv(
    'mcqa.csv',
    'Task,Template,Accuracy,Norm_accuracy\nigakuqa,mcqa_with_options,0.512,0.498\nmedqa,mcqa_with_options,n/a,0.3\nnosuch,x,0.1,0.1\n',
  );
  assert.deepEqual(
    r.rows.map((x) => [x.info.task, x.score, x.row]),
    [['IgakuQA', 0.512, 2]],
  );
  assert.deepEqual(r.problems, [
    'mcqa.csv:3:3: "Accuracy" of "medqa" must be a number, got "n/a"',
    'mcqa.csv:4:1: unknown task "nosuch" (not one of JMedBench\'s 27 in the paper)',
  ]);
  assert.equal(
    parseResultCsv('m.csv', 'Task,Template,Accuracy,Norm_accuracy\nigakuqa,t,0.5,0.25\n', 'Norm_accuracy').rows[0]
      .score,
    0.25,
  );
  assert.equal(parseResultCsv('mt.csv', 'Task,Template,Bleu\nejmmt-en2ja,mt,25.5\n').rows[0].score, 0.255);
  assert.deepEqual(parseResultCsv('ner.csv', 'Task,Template,Accuracy\nnrner,x,0.5\n').problems, [
    'ner.csv:2: no "F1 entity-level" column for NER task "nrner" (header: Task,Template,Accuracy)',
  ]);
  // med-eval's real NER header (output_as_csv capitalises "F1 Entity-level").
  assert.deepEqual(
    parseResultCsv('ner.csv', 'Task,Template,F1 entity-level\nnrner,standard,0.625\n').rows.map((x) => [
      x.info.task,
      x.score,
    ]),
    [['NRNER', 0.625]],
  );
  assert.deepEqual(parseResultCsv('x.csv', 'task,template\n').problems, [
    'x.csv:1:1: expected the header to start with "Task,Template", got "task,template"',
  ]);
  const two = parseResultCsv('m.csv', 'Task,Template,Accuracy\nigakuqa,a,0.4\nigakuqa,b,0.6\n').rows;
  assert.equal(aggregate(two, 'mean').get('IgakuQA')!.score, 0.5);
  assert.equal(aggregate(two, 'max').get('IgakuQA')!.score, 0.6);
  assert.deepEqual(
    aggregate(two, { template: 'a' })
      .get('IgakuQA')!
      .from.map((x) => x.template),
    ['a'],
  );
});

test('results → before/after → differences with provenance; a partial file still loads, the gap is named', async () => {
  const dir = tempDir();
  const put = (model: string, file: string, text: string) => {
    mkdirSync(path.join(dir, 'results', model, '3-shot'), { recursive: true });
    writeFileSync(path.join(dir, 'results', model, '3-shot', file), text);
  };
  put('base', 'mcqa.csv', 'Task,Template,Accuracy\nigakuqa,t,0.25\nmedqa,t,0.5\n');
  put('A', 'mcqa.csv', 'Task,Template,Accuracy\nigakuqa,t,0.5\nmedqa,t,0.75\n');
  put('B', 'mcqa.csv', 'Task,Template,Accuracy\nigakuqa,t,0.375\nmedqa,t,oops\n');
  put('C', 'mcqa.csv', 'Task,Template,Accuracy\nigakuqa,t,0.125\nmedqa,t,0.5\n');
  const r = await readStudyResults(path.join(dir, 'results'), {
    base: 'base',
    aggregation: 'mean',
    metric: 'Accuracy',
  });
  assert.equal(r.shots, 3);
  assert.deepEqual(r.after.corpora, ['A', 'B', 'C']);
  assert.deepEqual(
    r.after.tasks.map((t) => [t.task, ...t.values]),
    [['IgakuQA', 0.5, 0.375, 0.125]],
  );
  assert.ok(
    r.problems.some((p) => /B\/3-shot\/mcqa\.csv:3:3: "Accuracy" of "medqa" must be a number, got "oops"/.test(p)),
  );
  assert.ok(r.problems.includes('MedQA: left out, no score for B'));
  assert.equal(r.provenance.get('IgakuQA|B')![0].row, 2);

  writeFileSync(
    path.join(dir, 'study.yaml'),
    'name: s\nresults: results\ncorpora: [C, B, A]\ncomposition: composition.csv\n',
  );
  writeFileSync(
    path.join(dir, 'composition.csv'),
    'corpus,total_tokens_b,japanese_tokens_b,english_tokens_b,parallel_tokens_b,japanese_ratio_pct,english_ratio_pct,parallel_ratio_pct\nA,1,0.6,0.4,0,60,40,0\nB,1.2,0.3,0.9,0,25,75,0\nC,0.8,0.5,0,0.3,62.5,0,37.5\n',
  );
  const model = await loadStudy(dir);
  assert.equal(model.name, 's');
  assert.deepEqual(model.inputs.scores.corpora, ['C', 'B', 'A']);
  assert.deepEqual(
    model.inputs.scores.tasks.map((t) => [t.task, ...t.values]),
    [['IgakuQA', -0.125, 0.125, 0.25]],
  );
  assert.match(renderMessage(model.notes[0]), /3-shot, mean over templates, MCQA\/DC metric Accuracy/);
  assert.equal(model.provenance.get('IgakuQA|A'), `${path.join('results', 'A', '3-shot', 'mcqa.csv')}:2 (t) = 0.5`);

  // The CLI reads the same study.yaml: differences from the results, problems as warnings.
  const cli = spawnSync(process.execPath, [CLI, 'analyze', dir, '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const json = JSON.parse(cli.stdout) as {
    corpora: string[];
    tests: { task: string; statistic: string; regular: { r: number | null } }[];
  };
  assert.deepEqual(json.corpora, ['C', 'B', 'A']);
  assert.deepEqual([...new Set(json.tests.map((t) => t.task))], ['IgakuQA']);
  assert.match(
    cli.stderr,
    /^warning: .*B\/3-shot\/mcqa\.csv:3:3: "Accuracy" of "medqa" must be a number, got "oops"$/m,
  );
});

test('study.yaml errors name line, column and field', async () => {
  const dir = tempDir();
  const f = path.join(dir, 'study.yaml');
  writeFileSync(f, 'name: x\nresults: r\naggregation: median\n');
  await assert.rejects(readStudyFile(f), /study\.yaml:3:14: aggregation: /);
  writeFileSync(f, 'name: x\n');
  await assert.rejects(readStudyFile(f), /study\.yaml:1:1: study: a study needs "results"/);
  writeFileSync(f, 'name: x\nscores: s.csv\ncolour: red\n');
  await assert.rejects(readStudyFile(f), /Unrecognized key\(s\) in object: 'colour'/);
  const paper = await loadStudy(PAPER_STUDY);
  assert.equal(paper.name, 'paper-study');
  assert.deepEqual(
    paper.notes.map((n) => renderMessage(n)),
    ['score differences from score-differences.csv'],
  );
});

test('CSVs exactly as med-eval writes them (test/fixtures/jmedbench, from the stand-ins) give all 27 tasks', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = path.join(FIXTURES, 'jmedbench');
  const rows = readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .flatMap((f) => {
      const parsed = parseResultCsv(f, readFileSync(path.join(dir, f), 'utf8'));
      assert.deepEqual(parsed.problems, [], f);
      return parsed.rows;
    });
  const tasks = aggregate(rows, 'mean');
  assert.equal(tasks.size, 27);
  assert.deepEqual(
    [...tasks.keys()].sort(),
    Object.values(TASKS)
      .map((t) => t.task)
      .sort(),
  );
  // NER's column is med-eval's "F1 entity-level"; BLEU comes on 0–100.
  assert.equal(tasks.get('MRNER-Disease')!.score, 0.915);
  assert.equal(tasks.get('EJMMT-Ja')!.score, 0.574);
});
