import { systemClock, type Clock } from './clock.js';

/**
 * Settles with `work`, or rejects with `onTimeout()` after `ms`, or with the signal's reason: whichever
 * comes first. The one deadline helper of the code base: every bounded wait goes through it.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error, signal?: AbortSignal, clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const cancel = clock.after(ms, () => finish(() => reject(onTimeout())));
    const onAbort = () => finish(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    function finish(settle: () => void) {
      if (settled) return;
      settled = true;
      cancel();
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/**
 * A point on a clock by which something must be done, handed down as a value: each layer (a DNS query, a
 * connection, a handshake) takes what is left of it, so that their sum never outlasts the whole.
 */
export class Deadline {
  private constructor(
    readonly at: number,
    readonly clock: Clock,
  ) {}

  static in(ms: number, clock: Clock = systemClock): Deadline {
    return new Deadline(clock.now() + ms, clock);
  }

  /** What is left of it, in milliseconds; 0 once it has passed. */
  get remainingMs(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  /** `work`, bounded by what is left (see withDeadline). */
  bound<T>(work: Promise<T>, onTimeout: () => Error, signal?: AbortSignal): Promise<T> {
    return withDeadline(work, this.remainingMs, onTimeout, signal, this.clock);
  }
}
