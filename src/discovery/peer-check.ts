import pRetry from 'p-retry';
import { AttemptError, type MissingReasonCode } from '../errors.js';
import type { Limiter } from './limiter.js';

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

class Kicked extends Error {
  override name = 'Kicked';
}

/**
 * One peer, retried with capped exponential backoff and jitter until it passes. A kick (news that the
 * peer just appeared) cuts the current backoff short, so an arrival is acted on in milliseconds rather
 * than at the next scheduled retry.
 */
export interface PeerCheckOptions<T> {
  index: number;
  name: string;
  /** One attempt: resolves with what the check yields, or throws an AttemptError saying why not yet. */
  attempt(signal: AbortSignal, timeoutMs: number): Promise<T>;
  schedule: Schedule;
  limiter: Limiter;
  /** Frees a result that arrived after a kick or abort made it moot (an open session, say). */
  dispose?(result: T): void;
}

export class PeerCheck<T> {
  readonly index: number;
  readonly name: string;
  reason: MissingReasonCode = 'not-checked';
  detail: string | undefined;
  result: T | undefined;
  private inFlight = false;
  private kickedInFlight = false;
  private current: AbortController | undefined;
  /** Attempts in a row that timed out. */
  private timeouts = 0;
  private readonly attempt: PeerCheckOptions<T>['attempt'];
  private readonly schedule: Schedule;
  private readonly limiter: Limiter;
  private readonly dispose: (result: T) => void;

  constructor(options: PeerCheckOptions<T>) {
    ({ index: this.index, name: this.name, attempt: this.attempt, schedule: this.schedule, limiter: this.limiter } = options);
    this.dispose = options.dispose ?? (() => {});
  }

  get passed(): boolean {
    return this.result !== undefined;
  }

  kick(): void {
    if (this.passed) return;
    if (this.inFlight) this.kickedInFlight = true;
    else this.current?.abort(new Kicked());
  }

  /** The deadline the next attempt gets. */
  private deadlineMs(): number {
    return this.schedule.attemptTimeoutMs * Math.min(2 ** this.timeouts, MAX_DEADLINE_FACTOR);
  }

  /** Retries until the check passes; rejects only on abort, or with an error that no retry can fix. */
  async run(signal: AbortSignal): Promise<T> {
    const { schedule, limiter } = this;
    for (;;) {
      signal.throwIfAborted();
      // One controller per round, for its attempts too, aborted by the caller's signal or a kick. A plain
      // listener on the caller's signal (one per check), removed with the round: AbortSignal.any costs
      // kilobytes a call, hundreds of megabytes over 100,000 checks.
      const round = new AbortController();
      this.current = round;
      const onAbort = () => round.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        this.result = await pRetry(() => limiter.run(() => this.once(round.signal, this.deadlineMs())), {
          retries: Number.POSITIVE_INFINITY,
          factor: 2,
          minTimeout: schedule.minDelayMs,
          maxTimeout: schedule.maxDelayMs,
          randomize: true,
          signal: round.signal,
          onFailedAttempt: ({ error }) => {
            if (error instanceof AttemptError) {
              this.reason = error.reason;
              this.detail = error.detail;
              this.timeouts = TIMEOUTS.includes(error.reason) ? this.timeouts + 1 : 0;
            }
            if (this.kickedInFlight) throw new Kicked();
          },
          // Only "not yet" is retried: a probe that can never run here must fail the wait at once.
          shouldRetry: ({ error }) => error instanceof AttemptError,
        });
        return this.result;
      } catch (error) {
        if (signal.aborted || !(error instanceof Kicked || round.signal.reason instanceof Kicked)) throw error;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
  }

  private async once(signal: AbortSignal, timeoutMs: number): Promise<T> {
    if (signal.aborted) throw signal.reason;
    this.inFlight = true;
    this.kickedInFlight = false;
    try {
      const result = await this.attempt(signal, timeoutMs);
      // p-retry drops a result that lands after its signal fired; it must not leak what it holds.
      if (signal.aborted) this.dispose(result);
      return result;
    } finally {
      this.inFlight = false;
    }
  }
}
