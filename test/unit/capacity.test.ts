import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  capacityCommand,
  gpusInGres,
  parseCapacity,
  parseSinfo,
  sinfoArgv,
  squeueStartArgv,
} from '../../src/core/cluster/capacity';
import { FIXTURES } from './helpers';

const captured = (name: string) => readFileSync(path.join(FIXTURES, 'capacity', `${name}.txt`), 'utf8');
const US = '\x1f';

test('one command: id, sinfo and squeue --start, chained, each argument quoted', () => {
  assert.deepEqual(sinfoArgv(), [
    'sinfo',
    '--noheader',
    '--Node',
    `--Format=PartitionName:0${US},Available:0${US},NodeList:0${US},StateLong:0${US},Gres:0${US},GresUsed:0${US},Reason:0`,
  ]);
  assert.deepEqual(squeueStartArgv(), [
    'squeue',
    '--noheader',
    '--start',
    `--format=%i${US}%u${US}%P${US}%T${US}%r${US}%S${US}%b${US}%D${US}%V${US}%j`,
  ]);
  assert.equal(
    capacityCommand(),
    `id -un && echo --corpus-lab-capacity-- && sinfo --noheader --Node '--Format=PartitionName:0${US},Available:0${US},NodeList:0${US},StateLong:0${US},Gres:0${US},GresUsed:0${US},Reason:0' && echo --corpus-lab-capacity-- && squeue --noheader --start '--format=%i${US}%u${US}%P${US}%T${US}%r${US}%S${US}%b${US}%D${US}%V${US}%j'`,
  );
});

test('an idle node: all 8 GPUs idle, nothing pending (captured)', () => {
  assert.deepEqual(parseCapacity(captured('idle')), {
    user: 'corpuslab',
    partitions: [
      {
        name: 'gpu',
        available: 'up',
        nodes: { idle: 1, mixed: 0, allocated: 0, down: 0, total: 1 },
        gpus: { idle: 8, allocated: 0, down: 0, total: 8 },
        unavailable: [],
      },
    ],
    pending: [],
    problems: [],
  });
});

test('3 GPUs allocated; pending jobs with reasons, the estimated start and whose they are (captured)', () => {
  const c = parseCapacity(captured('running'));
  assert.deepEqual(c.partitions[0].nodes, { idle: 0, mixed: 1, allocated: 0, down: 0, total: 1 });
  assert.deepEqual(c.partitions[0].gpus, { idle: 5, allocated: 3, down: 0, total: 8 });
  assert.deepEqual(c.pending, [
    {
      jobId: '2',
      user: 'corpuslab',
      mine: true,
      partition: 'gpu',
      reason: 'Resources',
      estimatedStart: '2026-11-26T23:30:08',
      gpus: 8,
      nodes: 1,
      submitted: '2026-11-26T23:25:11',
      name: 'big8',
    },
    {
      jobId: '4',
      user: 'root',
      mine: false,
      partition: 'gpu',
      reason: 'Priority',
      estimatedStart: '2026-11-26T23:40:00',
      gpus: 8,
      nodes: 1,
      submitted: '2026-11-26T23:25:11',
      name: 'rootbig',
    },
    {
      jobId: '3',
      user: 'corpuslab',
      mine: true,
      partition: 'gpu',
      reason: 'Dependency',
      estimatedStart: undefined,
      gpus: 1,
      nodes: 1,
      submitted: '2026-11-26T23:25:11',
      name: 'dep',
    },
    {
      jobId: '5',
      user: 'corpuslab',
      mine: true,
      partition: 'gpu',
      reason: 'JobHeldUser',
      estimatedStart: undefined,
      gpus: 0,
      nodes: 1,
      submitted: '2026-11-26T23:25:11',
      name: 'held',
    },
  ]);
  assert.deepEqual(c.problems, []);
});

test('a draining node: its running job keeps 3 GPUs allocated, the other 5 are down (captured)', () => {
  const c = parseCapacity(captured('draining'));
  assert.deepEqual(c.partitions[0].nodes, { idle: 0, mixed: 0, allocated: 0, down: 1, total: 1 });
  assert.deepEqual(c.partitions[0].gpus, { idle: 0, allocated: 3, down: 5, total: 8 });
  assert.deepEqual(c.partitions[0].unavailable, [
    { node: 'vm', state: 'draining', reason: 'disk check 日本', gpusAllocated: 3, gpus: 8 },
  ]);
  assert.equal(
    c.pending[0].reason,
    'Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions',
  );
  assert.equal(c.pending[0].estimatedStart, undefined);
});

test('a drained node: all 8 GPUs down, with the reason (captured)', () => {
  const c = parseCapacity(captured('drained'));
  assert.deepEqual(c.partitions[0].gpus, { idle: 0, allocated: 0, down: 8, total: 8 });
  assert.deepEqual(c.partitions[0].unavailable, [
    { node: 'vm', state: 'drained', reason: 'disk check 日本', gpusAllocated: 0, gpus: 8 },
  ]);
  assert.equal(c.pending.filter((j) => j.mine).length, 3);
});

test('GPUs in GRES strings: plain, typed, with indices, squeue prefixes, none', () => {
  const cases: [string, number | undefined][] = [
    ['gpu:8', 8],
    ['gpu:0', 0],
    ['gpu:a100:4(S:0-1)', 4],
    ['gpu:a100:2(IDX:0,3)', 2],
    ['gpu:a100:2(IDX:0-1),gpu:v100:2(IDX:2-3)', 4],
    ['gpu:4,mps:400', 4],
    ['mps:400', 0],
    ['gres:gpu:8', 8],
    ['gres/gpu:2', 2],
    ['gres/gpu', 1],
    ['(null)', 0],
    ['N/A', 0],
    ['', 0],
    ['gpu:a100:x', undefined],
  ];
  for (const [s, n] of cases) assert.equal(gpusInGres(s), n, s);
});

test('several nodes and partitions: each node state counted where it belongs', () => {
  const line = (...f: string[]) => f.join(US);
  const text = [
    line('a100', 'up', 'n1', 'idle', 'gpu:a100:4(S:0-1)', 'gpu:a100:0(IDX:N/A)', 'none'),
    line('a100', 'up', 'n2', 'mixed', 'gpu:a100:4(S:0-1)', 'gpu:a100:3(IDX:0-2)', 'none'),
    line('a100', 'up', 'n3', 'allocated', 'gpu:a100:4(S:0-1)', 'gpu:a100:4(IDX:0-3)', 'none'),
    line('a100', 'up', 'n4', 'down*', 'gpu:a100:4(S:0-1)', 'gpu:a100:0(IDX:N/A)', 'Not responding'),
    line('a100', 'up', 'n5', 'idle~', 'gpu:a100:4(S:0-1)', 'gpu:a100:0(IDX:N/A)', 'none'),
    line('a100', 'up', 'n6', 'idle*', 'gpu:a100:4(S:0-1)', 'gpu:a100:0(IDX:N/A)', 'none'),
    line('cpu', 'up', 'c1', 'completing', '(null)', 'gpu:0', 'none'),
    line('old', 'down', 'o1', 'idle', 'gpu:2', 'gpu:0', 'none'),
    line('x', 'up', 'x1', 'sleeping', 'gpu:2', 'gpu:0', 'none'),
  ].join('\n');
  const { partitions, problems } = parseSinfo(text);
  assert.deepEqual(
    partitions.map((p) => [p.name, p.nodes, p.gpus]),
    [
      ['a100', { idle: 2, mixed: 1, allocated: 1, down: 2, total: 6 }, { idle: 9, allocated: 7, down: 8, total: 24 }],
      ['cpu', { idle: 0, mixed: 0, allocated: 1, down: 0, total: 1 }, { idle: 0, allocated: 0, down: 0, total: 0 }],
      ['old', { idle: 0, mixed: 0, allocated: 0, down: 1, total: 1 }, { idle: 0, allocated: 0, down: 2, total: 2 }],
      ['x', { idle: 0, mixed: 0, allocated: 0, down: 1, total: 1 }, { idle: 0, allocated: 0, down: 2, total: 2 }],
    ],
  );
  assert.deepEqual(
    partitions[0].unavailable.map((u) => [u.node, u.state, u.reason]),
    [
      ['n4', 'down*', 'Not responding'],
      ['n6', 'idle*', ''],
    ],
  );
  assert.deepEqual(problems, ['sinfo line 9: node x1: unknown state "sleeping", counted as down']);
});

test('bad lines are named with their command, line and field; the rest still counts', () => {
  const good = captured('running').split('\n');
  // Line 3 is the sinfo line; line 6 the second squeue line.
  good[2] = good[2].replace('mixed', 'MIXED');
  good[5] = good[5].replace(`${US}1${US}2026`, `${US}one${US}2026`);
  const c = parseCapacity(good.join('\n'));
  assert.deepEqual(c.problems, [
    `sinfo line 3: state: not a node state: ${JSON.stringify(good[2])}`,
    `squeue line 6: nodes: not a node count: ${JSON.stringify(good[5])}`,
  ]);
  assert.deepEqual(c.partitions, []);
  assert.deepEqual(
    c.pending.map((j) => j.jobId),
    ['2', '3', '5'],
  );
});

test('a job name with the delimiter or spaces stays whole; a missing section is an error', () => {
  const text = `me\n--corpus-lab-capacity--\n--corpus-lab-capacity--\n7${US}me${US}gpu${US}PENDING${US}Priority${US}N/A${US}gres/gpu:2${US}2${US}2026-01-01T00:00:00${US}a b${US}c\n`;
  const c = parseCapacity(text);
  assert.equal(c.pending[0].name, `a b${US}c`);
  assert.equal(c.pending[0].gpus, 4);
  assert.throws(
    () => parseCapacity('me\n--corpus-lab-capacity--\n'),
    /the capacity command printed 1 of its 2 section markers/,
  );
});
