import { PeerFailedError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { namedFailure, restartsUsed, verdictOf, type Stop } from './outcome.js';

/**
 * One pod's view of the group's rounds: which round it runs, and a signal per round that aborts, with a
 * PeerFailedError naming the first failure, when index 0 stops that round (or index 0 itself is lost).
 * `over` aborts when no round follows: the group is finished with failure.
 */
export class Rounds {
  private current = 0;
  private controller = new AbortController();
  private readonly ended = new AbortController();
  private moving = new AbortController();
  private judged: Stop | undefined;
  /** The verdict on the current round is this pod's own, on losing index 0: index 0's, if it comes, wins. */
  private ownJudgement = false;
  private begun = false;
  private roundStartedAt = 0;
  /** The round this pod's index finished before this pod joined, as index 0 told it. */
  private finishedBefore: number | undefined;
  /** Restarts used, as the last verdict said: fewer than the rounds once an elastic group's membership changed. */
  private used: number | undefined;

  constructor(
    private readonly nameOf: (index: number) => string,
    /** Once per stopped round, and once more if the group ends while a restart was pending. */
    private readonly onStopped: (error: PeerFailedError) => void,
    /** This pod's own restart budget: what it goes by only when index 0 is lost and cannot judge. */
    private readonly restarts: number,
    private readonly clock: Clock,
  ) {}

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

  /** Aborts when this pod moves on from the round it is in now: to the next, or to a later verdict's round. */
  get moved(): AbortSignal {
    return this.moving.signal;
  }

  /** The verdict on the current round, once it is stopped: what a new index 0 learns from this pod. */
  get verdict(): Stop | undefined {
    return this.controller.signal.aborted ? this.judged : undefined;
  }

  /** The restart round that follows the stopped one, if any. */
  get next(): number | undefined {
    return this.verdict?.next;
  }

  /**
   * Index 0 says this index finished `round` already: the pod this one replaced ran its workload to success
   * (and then went, its node lost, say). Heard before this pod's start, it joins that round with nothing
   * left to run; once running, it knows its own round better.
   */
  doneBefore(round: number): void {
    if (this.begun || round < this.current) return;
    this.current = round;
    this.finishedBefore = round;
  }

  /** This pod's index finished the round it is in before this pod joined: nothing is left to run in it. */
  get done(): boolean {
    return this.finishedBefore === this.current;
  }

  /** An elastic round's release says how many restarts are used: what this pod goes by if index 0 is lost. */
  restartsUsedBefore(used: number): void {
    this.used = used;
  }

  /** `round` is running (its barrier released). A pod that joined late may already be past it. */
  begin(round: number): void {
    this.begun = true;
    this.roundStartedAt = this.clock.now();
    if (round <= this.current) return;
    this.moving.abort();
    this.moving = new AbortController();
    this.current = round;
    this.controller = new AbortController();
    this.judged = undefined;
    this.ownJudgement = false;
  }

  /** Index 0's verdict. A pod that joined mid-run adopts the round it names; an old round's verdict is stale. */
  stopped(stop: Stop): void {
    if (stop.round < this.current) return;
    // A later round's verdict while this pod still runs an earlier one (it joined as a replacement, or
    // missed the releases since): the group has moved on, and what this pod runs stops with that round.
    const outrun = stop.round > this.current && !this.controller.signal.aborted ? this.controller : undefined;
    if (stop.round > this.current) this.begin(stop.round);
    if (this.controller.signal.aborted) {
      if (this.ownJudgement) this.overruled(stop);
      return;
    }
    this.judged = stop;
    this.used = restartsUsed(stop);
    const error = new PeerFailedError(namedFailure(stop.failure, this.nameOf), stop.round, stop.next);
    this.abort(error);
    outrun?.abort(error);
  }

  /**
   * This pod judged the round itself, having lost index 0 (cut off, say), and then hears index 0's own
   * verdict on it after all: the group follows index 0's, so this pod does too, its wait moved to the round
   * index 0 names, or the group over if none follows.
   */
  private overruled(stop: Stop): void {
    this.ownJudgement = false;
    if (stop.next === this.judged?.next) return;
    this.judged = stop;
    this.used = restartsUsed(stop);
    const error = new PeerFailedError(namedFailure(stop.failure, this.nameOf), stop.round, stop.next);
    this.onStopped(error);
    if (stop.next === undefined) this.ended.abort(error);
    this.moving.abort();
    this.moving = new AbortController();
  }

  /**
   * Index 0 was silent for the session timeout, or a new pod took its place: nobody judged this round's
   * end, so this pod judges as index 0 would have. With restarts left (as the last verdict counted them) a
   * restart round follows, which a new index 0 learns from the members; without, the group is over here.
   */
  coordinatorLost(how: 'vanished' | 'replaced'): void {
    // Before the start release nothing runs; once a round is stopped, its verdict already says what follows.
    if (!this.begun || this.controller.signal.aborted) return;
    const used = this.used ?? this.current;
    const next = used < this.restarts ? this.current + 1 : undefined;
    this.stopped(verdictOf({ round: this.current, next, failure: { index: 0, how, exitCode: null, signal: null, afterMs: this.clock.now() - this.roundStartedAt } }, next === undefined ? used : used + 1));
    this.ownJudgement = true;
  }

  private abort(error: PeerFailedError): void {
    // Said first: whoever acts on the abort (stopping a workload) logs after the cause.
    this.onStopped(error);
    if (!this.controller.signal.aborted) this.controller.abort(error);
    if (error.next === undefined) this.ended.abort(error);
  }
}
