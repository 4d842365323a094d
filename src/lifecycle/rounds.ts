import { PeerFailedError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { namedFailure, type Stop } from './outcome.js';

/**
 * One pod's view of the group's rounds: which round it runs, and a signal per round that aborts, with a
 * PeerFailedError naming the first failure, when index 0 stops that round (or index 0 itself vanishes).
 * `over` aborts when no round follows: the group is finished with failure.
 */
export class Rounds {
  private current = 0;
  private controller = new AbortController();
  private readonly ended = new AbortController();
  private verdict: Stop | undefined;
  private begun = false;
  private roundStartedAt = 0;
  private readonly clock: Clock;

  constructor(
    private readonly nameOf: (index: number) => string,
    /** Once per stopped round, and once more if the group ends while a restart was pending. */
    private readonly onStopped: (error: PeerFailedError) => void,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  /** When the current round started, on this pod's clock. */
  get startedAt(): number {
    return this.roundStartedAt;
  }

  get round(): number {
    return this.current;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get over(): AbortSignal {
    return this.ended.signal;
  }

  /** The restart round that follows the stopped one, if any. */
  get next(): number | undefined {
    return this.controller.signal.aborted ? this.verdict?.next : undefined;
  }

  /** `round` is running (its barrier released). A pod that joined late may already be past it. */
  begin(round: number): void {
    this.begun = true;
    this.roundStartedAt = this.clock.now();
    if (round <= this.current) return;
    this.current = round;
    this.controller = new AbortController();
    this.verdict = undefined;
  }

  /** Index 0's verdict. A pod that joined mid-run adopts the round it names; an old round's verdict is stale. */
  stopped(stop: Stop): void {
    if (stop.round < this.current) return;
    if (stop.round > this.current) this.begin(stop.round);
    if (this.controller.signal.aborted) return;
    this.verdict = stop;
    this.abort(new PeerFailedError(namedFailure(stop.failure, this.nameOf), stop.round, stop.next));
  }

  /** Index 0 was gone for the session timeout: nobody is left to judge, so the group is over for this pod. */
  coordinatorVanished(): void {
    if (!this.begun || this.ended.signal.aborted) return;
    const failure = { index: 0, name: this.nameOf(0), how: 'vanished' as const, exitCode: null, signal: null, afterMs: this.clock.now() - this.roundStartedAt };
    this.abort(new PeerFailedError(failure, this.current, undefined));
  }

  private abort(error: PeerFailedError): void {
    // Said first: whoever acts on the abort (stopping a workload) logs after the cause.
    this.onStopped(error);
    if (!this.controller.signal.aborted) this.controller.abort(error);
    if (error.next === undefined) this.ended.abort(error);
  }
}
