import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { abortable, CancelledError, isCancelled, throwIfAborted } from '../../src/core/cancellation';
import { abortSignalOf, type CancellationTokenLike } from '../../src/extension/cancellation';

/**
 * A cancellation token source with VS Code's contract (isCancellationRequested turns true, then the
 * event fires once; a listener added later is never called), counting its listeners.
 */
class TokenSource {
  private readonly events = new EventEmitter();
  private cancelled = false;
  readonly token: CancellationTokenLike = {
    isCancellationRequested: false,
    onCancellationRequested: (listener) => {
      this.events.on('cancel', listener);
      return { dispose: () => this.events.off('cancel', listener) };
    },
  };

  get listeners(): number {
    return this.events.listenerCount('cancel');
  }

  cancel() {
    if (this.cancelled) return;
    this.cancelled = true;
    (this.token as { isCancellationRequested: boolean }).isCancellationRequested = true;
    this.events.emit('cancel');
  }
}

test('a token cancelled later aborts the signal once, with a CancelledError, and lets go of its listener', () => {
  const source = new TokenSource();
  const signal = abortSignalOf(source.token);
  let aborts = 0;
  signal.addEventListener('abort', () => aborts++);
  assert.equal(signal.aborted, false);
  assert.equal(source.listeners, 1);
  source.cancel();
  source.cancel();
  assert.equal(signal.aborted, true);
  assert.equal(aborts, 1);
  assert.ok(signal.reason instanceof CancelledError);
  assert.equal(signal.reason.message, 'cancelled');
  assert.equal(source.listeners, 0);
});

test('a token already cancelled gives a signal already aborted, and subscribes to nothing', () => {
  const source = new TokenSource();
  source.cancel();
  const signal = abortSignalOf(source.token);
  assert.equal(signal.aborted, true);
  assert.equal(source.listeners, 0);
  assert.throws(() => throwIfAborted(signal), CancelledError);
});

test('a token never cancelled leaves the signal alone', () => {
  const source = new TokenSource();
  const signal = abortSignalOf(source.token);
  assert.equal(signal.aborted, false);
  assert.doesNotThrow(() => throwIfAborted(signal));
});

test('work waited on through the bridge stops at the cancel, as cancelled', async () => {
  const source = new TokenSource();
  const never = new Promise<string>(() => undefined);
  const waiting = abortable(never, abortSignalOf(source.token));
  setTimeout(() => source.cancel(), 5);
  await assert.rejects(waiting, (e: unknown) => isCancelled(e) && e instanceof CancelledError);
});

test('abortable passes the work through when not aborted, its failure included', async () => {
  const controller = new AbortController();
  assert.equal(await abortable(Promise.resolve(42), controller.signal), 42);
  await assert.rejects(abortable(Promise.reject(new Error('boom')), controller.signal), /boom/);
  controller.abort();
  // AbortController.abort() without a reason: a DOM AbortError, which counts as cancelled too.
  await assert.rejects(abortable(Promise.resolve(1), controller.signal), (e: unknown) => isCancelled(e));
  assert.equal(isCancelled(new Error('other')), false);
});
