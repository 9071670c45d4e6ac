export interface AcquireOptions {
  /** Aborting while queued takes the request out of the queue: it never gets a slot. */
  readonly signal?: AbortSignal;
  /** Give up after waiting this long in the queue; the error comes from `timeoutError`. */
  readonly timeoutMs?: number;
  readonly timeoutError?: () => Error;
}

interface Waiter {
  grant(): void;
}

/** At most `limit` holders at once; the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async acquire(options: AcquireOptions = {}): Promise<() => void> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    if (this.active < this.limit) this.active++;
    else {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const leave = (e: Error) => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        };
        const onAbort = () => leave(abortError(signal!));
        const waiter: Waiter = {
          grant: () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        this.waiting.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (options.timeoutMs !== undefined)
          timer = setTimeout(
            () => leave(options.timeoutError?.() ?? new Error(`no slot came free within ${options.timeoutMs} ms`)),
            options.timeoutMs,
          );
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next.grant(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }

  async with<T>(fn: () => Promise<T>, options?: AcquireOptions): Promise<T> {
    const release = await this.acquire(options);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
