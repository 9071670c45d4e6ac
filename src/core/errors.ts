/**
 * The message of anything thrown. Libraries and user code may throw strings or plain objects, so a
 * cast to Error would print "undefined"; this keeps what was thrown readable.
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

/** The user called the work off: not a failure, and nothing is half-done. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

/** Whether `e` says the work was called off: ours, or a DOM AbortError (AbortController.abort() without a reason). */
export function isCancelled(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
}

/** Throws the signal's reason (a CancelledError unless it gave one) once it has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new CancelledError();
}
