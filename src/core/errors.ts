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
