import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { followsTail, logDocumentPath } from '../../src/core/jobs/logView';

const job = {
  cluster: 'loopback',
  study: 'paper',
  stage: 'cpt' as const,
  model: 'Tiny-A',
  tag: 'cl-paper-cpt-Tiny-A-0a1b',
};

test('log tabs are named by study, stage, job id and model: two jobs’ logs never share a tab name', () => {
  assert.equal(logDocumentPath({ ...job, jobId: '12' }), '/loopback/paper · cpt · job 12 · Tiny-A.log');
  const names = [
    logDocumentPath({ ...job, jobId: '12' }),
    logDocumentPath({ ...job, jobId: '19' }), // the same job resubmitted
    logDocumentPath({ ...job, study: 'paper-2', jobId: '31' }),
    logDocumentPath({ ...job, stage: 'sft', jobId: '13' }),
  ].map((p) => path.posix.basename(p));
  assert.equal(new Set(names).size, names.length);
  // Never submitted: no id, so the tag stands in.
  assert.equal(path.posix.basename(logDocumentPath(job)), 'paper · cpt · cl-paper-cpt-Tiny-A-0a1b · Tiny-A.log');
});

test('a log view follows its tail only while its last line is in view', () => {
  assert.equal(followsTail([9], 10), true);
  assert.equal(followsTail([8], 10), false, 'scrolled up one line: left where it is');
  assert.equal(followsTail([3, 9], 10), true, 'a folded view with the end in its second range');
  assert.equal(followsTail([0], 1), true, 'an empty document');
  assert.equal(followsTail([], 10), false, 'not visible');
});
