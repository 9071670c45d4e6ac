import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import type { ClusterTransport } from '../../src/core/cluster/transport';
import type { JobRecord } from '../../src/core/jobs/registry';
import { fetchStudyResults } from '../../src/core/results/fetch';
import { type LoopbackCluster, loopbackCluster, type TestHost, testHost } from './cluster';
import { finishedJob } from './jobRecords';

const run = `f${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let c: LoopbackCluster;
let host: TestHost;
let conn: ClusterTransport;
let local: string;
let outside: string;

function evalJob(model: string, patch: Partial<JobRecord> = {}): JobRecord {
  const root = `${host.home}/corpus-lab-${run}`;
  return finishedJob(run, root, 'eval', model, { resultsDir: `${root}/results/${run}/${model}/0-shot`, ...patch });
}

before(async () => {
  c = loopbackCluster();
  host = testHost(c);
  conn = host.transport;
  local = mkdtempSync(path.join(tmpdir(), 'corpus-lab-fetch-'));
  outside = mkdtempSync(path.join(tmpdir(), 'corpus-lab-outside-'));
  const sftp = await conn.files();
  for (const model of ['EnJa', 'Evil']) {
    for (const name of ['mcqa.csv', '-dash.csv', '.hidden.csv', 'new\nline.csv', 'notes.txt']) {
      await uploadAtomic(
        sftp,
        `Task,Template,Accuracy\n${model},${name.length},0.5\n`,
        `${host.home}/corpus-lab-${run}/results/${run}/${model}/0-shot/${name}`,
      );
    }
  }
});

after(async () => {
  await conn.exec(['rm', '-rf', '--', `${host.home}/corpus-lab-${run}`]);
  host.dispose();
  rmSync(local, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

test('Fetch Results takes only plain CSV names, never follows a workspace symlink out, and keeps what differs', async () => {
  const dir = path.join(local, 'results', run);
  mkdirSync(dir, { recursive: true });
  symlinkSync(outside, path.join(dir, 'Evil')); // a shipped workspace pointing results/<study>/Evil elsewhere
  const dotdot = evalJob('EnJa', { study: '..' });
  const report = await fetchStudyResults(conn, [evalJob('EnJa'), evalJob('Evil'), dotdot], dir);
  assert.deepEqual(report.fetched, [
    path.join(dir, 'EnJa', '0-shot', '-dash.csv'),
    path.join(dir, 'EnJa', '0-shot', 'mcqa.csv'),
  ]);
  assert.deepEqual(report.problems, [
    `${run}/eval/EnJa: skipped ".hidden.csv": not a plain file name`,
    `${run}/eval/EnJa: skipped "new\\u{a}line.csv": not a plain file name`,
    `${run}/eval/Evil: skipped ".hidden.csv": not a plain file name`,
    `${run}/eval/Evil: skipped "new\\u{a}line.csv": not a plain file name`,
    `${run}/eval/Evil: ${path.join(dir, 'Evil')} is a symbolic link or not a directory; no results fetched through it`,
    `${run}/eval/EnJa: study ".." starts with "."; a label starts with a letter or digit (a safe label: "label-${labelHash('..')}"); no results fetched`,
  ]);
  assert.deepEqual(readdirSync(outside), []);
  assert.deepEqual(readdirSync(path.join(dir, 'EnJa', '0-shot')).sort(), ['-dash.csv', 'mcqa.csv']);
  assert.equal(
    readFileSync(path.join(dir, 'EnJa', '0-shot', 'mcqa.csv'), 'utf8'),
    'Task,Template,Accuracy\nEnJa,8,0.5\n',
  );

  // Again: the same bytes are "unchanged"; a local file that differs is kept, not overwritten.
  writeFileSync(path.join(dir, 'EnJa', '0-shot', 'mcqa.csv'), 'edited by hand\n');
  const again = await fetchStudyResults(conn, [evalJob('EnJa')], dir);
  assert.deepEqual(again.unchanged, [path.join(dir, 'EnJa', '0-shot', '-dash.csv')]);
  assert.deepEqual(again.fetched, [path.join(dir, 'EnJa', '0-shot', 'mcqa.csv')]);
  assert.equal(again.kept.length, 1);
  assert.equal(readFileSync(again.kept[0], 'utf8'), 'edited by hand\n');
});

function labelHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 6);
}
