import { AttemptError, type MissingReasonCode } from '../errors.js';
import type { Limiter } from './limiter.js';
import type { Clock } from '../time/clock.js';
import { Deadline } from '../time/deadline.js';

export interface Backoff {
  minDelayMs: number;
  maxDelayMs: number;
}

/** How a check is retried: the backoff between attempts, and the deadline of each. */
export interface Schedule extends Backoff {
  attemptTimeoutMs: number;
}

/**
 * An attempt that timed out doubles the next one's deadline, up to this many times the base: on a lossy
 * path a TCP handshake whose SYN was lost has used half of a 2 s deadline before it starts, and a
 * nameserver slower than the deadline would otherwise never get to answer. Any other outcome resets it.
 */
export const MAX_DEADLINE_FACTOR = 4;
const TIMEOUTS: readonly MissingReasonCode[] = ['timeout', 'dns-timeout'];

export interface PeerCheckOptions<T> {
  index: number;
  name: string;
  /** One attempt, by `deadline`: resolves with what the check yields, or throws an AttemptError saying why not yet. */
  attempt(signal: AbortSignal, deadline: Deadline): Promise<T>;
  schedule: Schedule;
  limiter: Limiter;
  /** Frees a result that arrived after an abort made it moot (an open session, say). */
  dispose?(result: T): void;
  clock: Clock;
  /** A draw in [0, 1) for the backoff's jitter (Math.random at the edges; a seeded one in the simulator). */
  random(): number;
}

/**
 * One peer, retried with capped exponential backoff and jitter until it passes, or, when an attempt
 * says when asking again is worth it (a cache's negative answer runs out), at that moment instead. A kick
 * (news that the peer just appeared) cuts the wait short, so an arrival is acted on in milliseconds
 * rather than at the next scheduled retry.
 */
export class PeerCheck<T> {
  readonly index: number;
  readonly name: string;
  reason: MissingReasonCode = 'not-checked';
  detail: string | undefined;
  result: T | undefined;
  /** A kick that came while an attempt was out: the wait after it is skipped. */
  private kicked = false;
  /** Failed attempts since the last kick: the backoff grows with them. */
  private failures = 0;
  private wake: (() => void) | undefined;
  /** Attempts in a row that timed out. */
  private timeouts = 0;
  private readonly attempt: PeerCheckOptions<T>['attempt'];
  private readonly schedule: Schedule;
  private readonly limiter: Limiter;
  private readonly dispose: (result: T) => void;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(options: PeerCheckOptions<T>) {
    ({ index: this.index, name: this.name, attempt: this.attempt, schedule: this.schedule, limiter: this.limiter } = options);
    this.dispose = options.dispose ?? (() => {});
    this.clock = options.clock;
    this.random = options.random;
  }

  get passed(): boolean {
    return this.result !== undefined;
  }

  kick(): void {
    if (this.passed) return;
    this.kicked = true;
    this.failures = 0;
    this.wake?.();
  }

  /** The deadline the next attempt gets. */
  private deadlineMs(): number {
    return this.schedule.attemptTimeoutMs * Math.min(2 ** this.timeouts, MAX_DEADLINE_FACTOR);
  }

  /** Retries until the check passes; rejects only on abort, or with an error that no retry can fix. */
  async run(signal: AbortSignal): Promise<T> {
    for (;;) {
      signal.throwIfAborted();
      this.kicked = false;
      try {
        const result = await this.limiter.run(() => {
          signal.throwIfAborted();
          return this.attempt(signal, Deadline.in(this.deadlineMs(), this.clock));
        });
        // An attempt that lands after the abort must not leak what it holds.
        if (signal.aborted) {
          this.dispose(result);
          signal.throwIfAborted();
        }
        this.result = result;
        return result;
      } catch (error) {
        // Only "not yet" is retried: a probe that can never run here must fail the wait at once.
        if (signal.aborted || !(error instanceof AttemptError)) throw error;
        this.reason = error.reason;
        this.detail = error.detail;
        this.timeouts = TIMEOUTS.includes(error.reason) ? this.timeouts + 1 : 0;
        if (this.kicked) continue;
        await this.pause(error.retryAfterMs > 0 ? error.retryAfterMs : this.backoffMs(this.failures++), signal);
      }
    }
  }

  /** Capped exponential backoff with jitter (1–2×), as p-retry's `randomize` draws it. */
  private backoffMs(failures: number): number {
    const { minDelayMs, maxDelayMs } = this.schedule;
    return Math.min(maxDelayMs, Math.round((1 + this.random()) * minDelayMs * 2 ** Math.min(failures, 30)));
  }

  /** Waits `ms`, less if kicked; rejects on abort. */
  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        cancel();
        signal.removeEventListener('abort', onAbort);
        this.wake = undefined;
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const cancel = this.clock.after(ms, () => {
        done();
        resolve();
      });
      this.wake = () => {
        done();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
