/** Cancels a timer; calling it again, or after the timer fired, does nothing. */
export type Cancel = () => void;

/**
 * Time as the roles see it: what time it is, and calls later. The system clock is used at the edges;
 * the roles take one, so that their transitions run on fake time in unit tests.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  after(ms: number, fn: () => void): Cancel;
  /** Calls `fn` every `ms` until cancelled. */
  every(ms: number, fn: () => void): Cancel;
}

/**
 * The process's monotonic clock, in milliseconds. Not `performance.now()`: its first call loads Node's
 * perf_hooks (eleven internal modules, milliseconds of a pod's start), and the clock is read before the
 * first question.
 */
function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}

/** Timers that never hold the process open by themselves: the sockets they serve do that. */
export const systemClock: Clock = {
  now: monotonicMs,
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
