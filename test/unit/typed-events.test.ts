import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterConnection } from '../../src/core/cluster/connection';
import type { ConnectionState } from '../../src/core/cluster/transport';
import { type FollowState, LogFollower } from '../../src/core/logs/logFollower';

/**
 * The event maps are checked by the compiler: each `@ts-expect-error` below fails the build
 * (`tsc -p tsconfig.test.json`, run before the tests) if the emitters ever go back to string events.
 */
function misuses(c: ClusterConnection, f: LogFollower) {
  // @ts-expect-error no such event
  c.on('stat', () => undefined);
  // @ts-expect-error a state is a ConnectionState
  c.emit('state', 3);
  // @ts-expect-error lines are strings
  f.on('lines', (lines: number[]) => lines);
  // @ts-expect-error no such event
  f.emit('line', 'x');
}

test('connection and follower events arrive with their typed arguments', () => {
  // Never connected: only its events are exercised.
  const connection = new ClusterConnection(
    'typed',
    {
      host: '127.0.0.1',
      port: 1,
      username: 'nobody',
      identityFiles: [],
      jumps: [],
      keepaliveIntervalMs: 1000,
      keepaliveCountMax: 1,
      readyTimeoutMs: 1000,
    },
    { knownHostsFiles: [], confirmUnknownHost: async () => false },
  );
  const states: ConnectionState[] = [];
  connection.on('state', (s) => states.push(s));
  connection.emit('state', 'connecting');
  const follower = new LogFollower(connection, '/nonexistent.log');
  const got: { lines: string[]; state?: FollowState } = { lines: [] };
  follower.on('lines', (lines) => got.lines.push(...lines));
  follower.on('state', (s) => (got.state = s));
  follower.emit('lines', ['a', 'b']);
  follower.emit('state', 'waiting');
  assert.deepEqual(states, ['connecting']);
  assert.deepEqual(got, { lines: ['a', 'b'], state: 'waiting' });
  assert.equal(typeof misuses, 'function');
  connection.dispose();
});
