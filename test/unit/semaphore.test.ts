import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Semaphore } from '../../src/core/cluster/semaphore';

test('semaphore: waiters are served in order; an aborted waiter leaves the queue and never gets a slot', async () => {
  const s = new Semaphore(1);
  const first = await s.acquire();
  const order: string[] = [];
  const ac = new AbortController();
  const a = s.acquire({ signal: ac.signal }).then((r) => {
    order.push('a');
    return r;
  });
  const b = s.acquire().then((r) => {
    order.push('b');
    return r;
  });
  assert.equal(s.queued, 2);
  ac.abort();
  await assert.rejects(a, { name: 'AbortError' });
  assert.equal(s.queued, 1);
  first();
  const releaseB = await b;
  assert.deepEqual(order, ['b']);
  assert.equal(s.inUse, 1);
  releaseB();
  releaseB(); // twice is once
  assert.equal(s.inUse, 0);
  await assert.rejects(s.acquire({ signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal(s.inUse, 0);
});

test('semaphore: a queued request times out with its own message and frees its place', async () => {
  const s = new Semaphore(1);
  const held = await s.acquire();
  await assert.rejects(
    s.acquire({ timeoutMs: 20, timeoutError: () => new Error('no channel for "squeue" within 0.02 s') }),
    /no channel for "squeue" within 0\.02 s/,
  );
  assert.equal(s.queued, 0);
  held();
  assert.equal(s.inUse, 0);
});
