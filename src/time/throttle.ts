import type { Cancel, Clock } from './clock.js';

/**
 * Calls `fn` at most once every `ms`: the first call at once, and one made inside the window when the
 * window ends, with the latest argument. Nothing is dropped for good, so whoever hears of it learns of
 * the latest call within `ms` (a stall is never judged on a progress report that was thrown away).
 */
export function throttle<T>(clock: Clock, ms: number, fn: (value: T) => void): { call(value: T): void; cancel: Cancel } {
  let lastAt = Number.NEGATIVE_INFINITY;
  let pending: { value: T } | undefined;
  let cancelTimer: Cancel | undefined;
  const fire = (value: T) => {
    lastAt = clock.now();
    fn(value);
  };
  return {
    call(value) {
      const wait = lastAt + ms - clock.now();
      if (wait <= 0 && cancelTimer === undefined) return fire(value);
      pending = { value };
      cancelTimer ??= clock.after(Math.max(wait, 0), () => {
        cancelTimer = undefined;
        const latest = pending as { value: T };
        pending = undefined;
        fire(latest.value);
      });
    },
    cancel() {
      cancelTimer?.();
      cancelTimer = undefined;
      pending = undefined;
    },
  };
}
