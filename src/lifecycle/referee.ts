import type { Clock } from '../time/clock.js';
import { restartsUsed, succeeded, verdictOf, type Failure, type Stop, type WorkloadOutcome } from './outcome.js';
import { StallWatch } from './stall-watch.js';
import { VanishTimers } from './vanish-timers.js';

export interface RefereeOptions {
  /** The most pods a round may run with. */
  size: number;
  /**
   * The fewest: below `size`, the group is elastic, and a pod that comes or leaves for good is a change
   * of membership, not a failure that uses a restart.
   */
  min: number;
  /** Gang restarts the group may use in all. */
  restarts: number;
  /** Exit codes that end the group at once, restarts left or not. */
  fatalExitCodes: ReadonlySet<number>;
  /** Nothing heard from a pod for this long after its session closed: it vanished. */
  vanishAfterMs: number;
  /** A running workload that reported progress once and then none for this long is stalled; 0: never. */
  stallTimeoutMs?: number;
  clock: Clock;
  /** The round is over; every pod (index 0 included) must hear it. */
  onStop(stop: Stop): void;
  /** Every member's workload succeeded in `round`: each member's outcome, by index, in order. */
  onAllFinished(round: number, outcomes: ReadonlyMap<number, WorkloadOutcome>): void;
}

export type RefereePhase = 'assembling' | 'running' | 'finished' | 'stopped' | 'closed';

/** What index 0 knows of the current round, as `rollcall status` shows it. */
export interface Standing {
  round: number;
  phase: RefereePhase;
  verdict: Stop | undefined;
  outcomes: ReadonlyMap<number, WorkloadOutcome>;
  /** When each pod's workload last reported progress this round, on the referee's clock. */
  progressAt: ReadonlyMap<number, number>;
}

/**
 * Index 0's judgement of the group's life. While a round runs it hears every pod's outcome and notices
 * pods that vanish or are replaced; the first failure ends the round for everyone, with a restart round
 * when restarts are left and the failure is not fatal. Only index 0 counts restarts, so every pod agrees
 * on the round it is in.
 */
export class Referee {
  private round = 0;
  private phase: RefereePhase = 'assembling';
  private verdict: Stop | undefined;
  private restartsUsed = 0;
  /** This index 0 has released a round itself: what members tell of earlier rounds is history. */
  private begun = false;
  private roundStartedAt = 0;
  /** The members the running round released with: in an elastic group, whoever was there. */
  private members: ReadonlySet<number> = new Set();
  private readonly outcomes = new Map<number, WorkloadOutcome>();
  private readonly progressAt = new Map<number, number>();
  /** Pods that succeeded and then left (no exit barrier): a restart could never assemble without them. */
  private readonly departed = new Set<number>();
  private readonly vanish: VanishTimers;
  private readonly stalls: StallWatch | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: RefereeOptions) {
    this.clock = options.clock;
    this.vanish = new VanishTimers(options.vanishAfterMs, this.clock, (index) => this.vanished(index));
    const stallTimeoutMs = options.stallTimeoutMs ?? 0;
    this.stalls = stallTimeoutMs > 0 ? new StallWatch(stallTimeoutMs, this.clock, (stalled) => this.stalled(stalled)) : undefined;
  }

  /** Restarts used so far (a change of membership uses none). */
  get used(): number {
    return this.restartsUsed;
  }

  /** The verdict a pod joining now must hear: the round is over, and what comes next. */
  get current(): Stop | undefined {
    return this.verdict;
  }

  /** A round's barrier released: each of its members (by default, every pod) is running its workload for `round`. */
  begin(round: number, members: readonly number[] = Array.from({ length: this.options.size }, (_, index) => index)): void {
    if (this.phase === 'closed' || (this.phase !== 'assembling' && round <= this.round)) return;
    this.round = round;
    this.members = new Set(members);
    this.begun = true;
    this.phase = 'running';
    this.verdict = undefined;
    this.outcomes.clear();
    this.progressAt.clear();
    this.vanish.clear();
    this.stalls?.begin();
    this.roundStartedAt = this.clock.now();
  }

  /**
   * A member tells of a round stopped before this index 0 could judge it: its predecessor's verdict, or
   * the member's own on losing index 0. A new index 0 takes the group's round and the restarts used from
   * it (round k has used k), so that every pod goes on into the same restart round with the same budget.
   * The latest round told wins; an index 0 that has judged rounds itself knows better than any member,
   * but for a later round than its own in an elastic group: a new index 0 may have released a round with
   * the first pods to come (MIN of them) before the group's survivors reached it, and they ran further.
   * Their round ends this one, and everyone goes on into theirs.
   */
  adopt(stop: Stop): void {
    if (this.phase === 'closed' || (this.begun && (!this.elastic || stop.round <= this.round)) || (this.verdict !== undefined && stop.round <= this.verdict.round)) return;
    this.round = stop.round;
    this.restartsUsed = restartsUsed(stop);
    this.settle(stop);
  }

  /** `index`'s workload reported progress in `round`. */
  progressed(index: number, round: number): void {
    if (this.phase !== 'running' || round !== this.round || this.outcomes.has(index)) return;
    this.progressAt.set(index, this.clock.now());
    this.stalls?.progressed(index);
  }

  get standing(): Standing {
    return { round: this.round, phase: this.phase, verdict: this.verdict, outcomes: this.outcomes, progressAt: this.progressAt };
  }

  reported(index: number, round: number, outcome: WorkloadOutcome): void {
    if (this.phase !== 'running' || round !== this.round || this.outcomes.has(index) || !this.members.has(index)) return;
    this.outcomes.set(index, outcome);
    this.stalls?.done(index);
    if (!succeeded(outcome)) {
      const failure = { index, how: outcome.signal === null ? ('exit' as const) : ('signal' as const), exitCode: outcome.exitCode, signal: outcome.signal, afterMs: outcome.runMs };
      this.fail(failure, outcome.exitCode !== null && this.options.fatalExitCodes.has(outcome.exitCode));
    } else if (this.outcomes.size === this.members.size) {
      this.phase = 'finished';
      this.options.onAllFinished(round, new Map([...this.members].sort((a, b) => a - b).map((member) => [member, this.outcomes.get(member) as WorkloadOutcome])));
    }
  }

  /**
   * `index` got a signal and is leaving (its pod deleted, its node drained) after its workload ended, or
   * at the exit barrier: the round cannot finish without it, so it is a failure, unless every workload
   * has finished already. Between rounds it changes nothing: its replacement joins the restart round.
   */
  signalled(index: number, round: number, signal: string): void {
    if (this.phase !== 'running' || round !== this.round || !this.members.has(index)) return;
    const outcome = this.outcomes.get(index);
    this.fail({ index, how: 'signal', exitCode: outcome?.exitCode ?? null, signal, afterMs: outcome?.runMs ?? this.noOutcome().afterMs }, false, true);
  }

  /** The running or finished round, unstopped, in which `index`'s workload succeeded already, if any. */
  doneBy(index: number): number | undefined {
    if ((this.phase !== 'running' && this.phase !== 'finished') || this.verdict !== undefined) return undefined;
    const outcome = this.outcomes.get(index);
    if (outcome !== undefined && succeeded(outcome)) return this.round;
    // A pod an elastic round did not count, come once its workloads are finishing: nothing is left for it to run.
    return this.elastic && !this.members.has(index) && this.finishing ? this.round : undefined;
  }

  /**
   * Some workload of the round has succeeded: the round is ending, and an elastic group no longer grows
   * (a restart would run again what finished, and one that went home could never rejoin).
   */
  private get finishing(): boolean {
    return this.phase === 'finished' || [...this.outcomes.values()].some(succeeded);
  }

  /**
   * A session with `index` is up: a pod back from a blip, or, when `replaced`, a newer pod in its place; in
   * an elastic group, a pod the running round did not count, and the group grows by it.
   */
  joined(index: number, replaced: boolean): void {
    this.vanish.back(index);
    this.departed.delete(index);
    this.stalls?.back(index);
    if (this.phase !== 'running') return;
    if (!this.members.has(index)) {
      // Once the round is finishing, the newcomer is told it is done (doneBy), and the round goes on.
      if (this.elastic && !this.finishing) this.fail({ index, how: 'joined', ...this.noOutcome() }, false);
      return;
    }
    if (replaced && !this.outcomes.has(index)) this.fail({ index, how: 'replaced', ...this.noOutcome() }, false);
  }

  /** A session with `index` closed; `lastHeardAt` on the referee's clock. */
  left(index: number, lastHeardAt: number): void {
    if (this.phase !== 'running' || !this.members.has(index)) return;
    const outcome = this.outcomes.get(index);
    // A pod whose end it reported has said all there is: success (it went home) or the failure already judged.
    if (outcome !== undefined) {
      if (succeeded(outcome)) this.departed.add(index);
      return;
    }
    // Its progress cannot be heard without a session: its silence is a vanish to time, not a stall. Back,
    // it is watched again from then.
    this.stalls?.lost(index);
    this.vanish.left(index, lastHeardAt);
  }

  /** Index 0 is leaving: nothing it hears from now on is judged. */
  close(): void {
    this.phase = 'closed';
    this.vanish.clear();
    this.stalls?.end();
  }

  private vanished(index: number): void {
    if (this.phase === 'running' && !this.outcomes.has(index)) this.fail({ index, how: 'vanished', ...this.noOutcome() }, false);
  }

  private stalled(stalled: { index: number; silentMs: number }[]): void {
    if (this.phase !== 'running') return;
    this.fail({ index: (stalled[0] as { index: number }).index, how: 'stalled', ...this.noOutcome(), stalled }, false);
  }

  private noOutcome() {
    return { exitCode: null, signal: null, afterMs: this.clock.now() - this.roundStartedAt };
  }

  private get elastic(): boolean {
    return this.options.min < this.options.size;
  }

  /**
   * Stops the round. A restart round follows while restarts are left (and nobody who succeeded has gone
   * home). In an elastic group a change of membership follows with none left, and uses none: a pod
   * joined; one left on a signal (its Job shrank, or its pod was deleted: a replacement joins the next
   * round); or one was lost, and enough remain.
   */
  private fail(failure: Failure, fatal: boolean, leaving = false): void {
    if (this.elastic && !fatal && this.departed.size === 0 && this.changesMembership(failure, leaving)) {
      return this.settle(verdictOf({ round: this.round, next: this.round + 1, failure: { ...failure, membership: true } }, this.restartsUsed));
    }
    const restart = !fatal && this.restartsUsed < this.options.restarts && this.departed.size === 0;
    if (restart) this.restartsUsed++;
    this.settle(verdictOf({ round: this.round, next: restart ? this.round + 1 : undefined, failure }, this.restartsUsed));
  }

  private changesMembership({ how }: Failure, leaving: boolean): boolean {
    if (how === 'joined') return true;
    const enoughLeft = this.members.size - 1 >= this.options.min;
    if (leaving) return enoughLeft;
    return (how === 'vanished' || how === 'replaced') && this.restartsUsed >= this.options.restarts && enoughLeft;
  }

  private settle(verdict: Stop): void {
    this.phase = 'stopped';
    this.vanish.clear();
    this.stalls?.end();
    this.verdict = verdict;
    this.options.onStop(verdict);
  }
}
