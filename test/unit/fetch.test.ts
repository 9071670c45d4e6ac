import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { hashFile, isInside, isPlainCsvName, localResultsDir } from '../../src/core/results/fetch';
import { tempDir } from './helpers';

test('only plain *.csv names from the cluster are fetched', () => {
  const names = [
    'mcqa.csv',
    'ner results.csv',
    '結果.csv',
    '-x.csv',
    '../escape.csv',
    '../../.bashrc.csv',
    'a/b.csv',
    '..\\win.csv',
    '.hidden.csv',
    '..csv',
    'x.csv\n',
    'a\u202egpj.csv',
    'bell\u0007.csv',
    'notes.txt',
    '.csv',
  ];
  assert.deepEqual(names.filter(isPlainCsvName), ['mcqa.csv', 'ner results.csv', '結果.csv', '-x.csv']);
});

test('a results directory lands in <model>/<shots>-shot inside the study folder, or is refused', () => {
  const local = '/ws/results/s1';
  const job = (resultsDir: string) => ({ name: 'eval-EnJa', resultsDir });
  assert.equal(localResultsDir(job('/home/u/corpus-lab/results/s1/EnJa/0-shot'), local), '/ws/results/s1/EnJa/0-shot');
  assert.throws(
    () => localResultsDir(job('/home/u/corpus-lab/results/s1/../..'), local),
    /^Error: eval-EnJa: results directory \/home\/u\/corpus-lab\/results\/s1\/\.\.\/\.\. does not end in <model>\/<shots>-shot$/,
  );
  assert.throws(
    () => localResultsDir(job('/home/u/corpus-lab/results/s1/../0-shot'), local),
    /does not end in <model>\/<shots>-shot/,
  );
  assert.throws(() => localResultsDir(job('/0-shot'), local), /does not end in/);
  assert.throws(
    () => localResultsDir(job('/r/s1/E\u001b[2Jx/0-shot'), local),
    /results directory \/r\/s1\/E\\u\{1b\}\[2Jx\/0-shot/,
  );
});

test('isInside: strictly below the folder, after resolving ".."', () => {
  assert.equal(isInside('/ws/results/s1', '/ws/results/s1/a/b.csv'), true);
  assert.equal(isInside('/ws/results/s1', '/ws/results/s1'), false);
  assert.equal(isInside('/ws/results/s1', '/ws/results/s1/../s2/x.csv'), false);
  assert.equal(isInside('/ws/results/s1', '/ws/results/s10/x.csv'), false);
  assert.equal(isInside('/ws/results/s1', '/ws/results/s1/..x/y.csv'), true);
});

test('files are hashed as streams (SHA-256 of the bytes)', async () => {
  const f = path.join(tempDir(), 'a.csv');
  writeFileSync(f, 'Task,Template,Accuracy\n');
  assert.equal(await hashFile(f), '8e439ca2cdfcb5c67f2a15fbe8ce380a52d746180ce41087a1b72ce2cd2682c7');
});
