/** Anything with a dispose(): VS Code's registrations, emitters, and the core's connections alike. */
export interface DisposableLike {
  dispose(): unknown;
}

/**
 * Disposes everything, last owned first (what was made later may use what was made before), and
 * empties the list. One that throws does not keep the others alive: the errors are thrown together
 * at the end.
 */
function disposeAll(items: DisposableLike[]): void {
  const errors: unknown[] = [];
  while (items.length) {
    try {
      items.pop()?.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
}

/** A dispose() for something that is not an object with one: a timer, a map to clear. */
export function toDisposable(dispose: () => unknown): DisposableLike {
  return { dispose };
}

/**
 * The base of every long-lived object of the extension: what it creates or subscribes to is
 * `own`ed once, at creation, and goes with it. Owning after disposal disposes at once, so a late
 * registration (a listener added when an awaited load finishes) cannot outlive its owner.
 */
export abstract class Disposable implements DisposableLike {
  private readonly owned: DisposableLike[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  protected own<T extends DisposableLike>(item: T): T {
    if (this.disposed) item.dispose();
    else this.owned.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
  }
}
