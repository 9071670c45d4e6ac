import { CancelledError } from '../core/cancellation';

/**
 * What the bridge needs of a vscode.CancellationToken. Structural, with no 'vscode' import, so the
 * bridge runs in the unit tests too.
 */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

/**
 * The editor's cancellation (a progress notification's Cancel button) as the core's AbortSignal:
 * aborted with a CancelledError when the token is cancelled, or at once if it already is. The
 * listener goes as soon as it has fired.
 */
export function abortSignalOf(token: CancellationTokenLike): AbortSignal {
  const controller = new AbortController();
  const cancel = () => controller.abort(new CancelledError());
  if (token.isCancellationRequested) {
    cancel();
    return controller.signal;
  }
  // A token that fires while being subscribed to has no subscription to dispose yet: it goes after.
  let fired = false;
  let subscription: { dispose(): unknown } | undefined;
  subscription = token.onCancellationRequested(() => {
    fired = true;
    cancel();
    subscription?.dispose();
  });
  if (fired) subscription.dispose();
  return controller.signal;
}
