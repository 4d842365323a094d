import { normalizeOutcome, succeeded, type OutcomeReport, type WorkloadOutcome } from '../lifecycle/outcome.js';
import type { Rounds } from '../lifecycle/rounds.js';
import type { Clock } from '../time/clock.js';
import type { Config } from './options.js';
import type { BarrierRole } from './role.js';

export interface OutcomeReportsOptions {
  config: Pick<Config, 'identity' | 'sessionTimeoutMs' | 'log'>;
  rounds: Rounds;
  role: BarrierRole;
  clock: Clock;
  /** Aborts when this pod's run is over: no verdict of its own is due then. */
  stopped: AbortSignal;
}

/**
 * This pod's reports of how its workload ended, one a round, each judged by index 0; and the verdict the
 * pod makes itself on its failure when index 0 never will.
 */
export class OutcomeReports {
  /** The last round this pod reported an outcome for, and the outcome. */
  private round = -1;
  private last: WorkloadOutcome | undefined;

  constructor(private readonly options: OutcomeReportsOptions) {}

  /** What this pod reported for `round`, if it has. */
  own(round: number): WorkloadOutcome | undefined {
    return this.round === round ? this.last : undefined;
  }

  report(report: OutcomeReport = {}): void {
    const { rounds, role, clock } = this.options;
    const outcome = normalizeOutcome(report, clock.now() - rounds.startedAt);
    if (this.round >= rounds.round) return;
    this.round = rounds.round;
    this.last = outcome;
    role.report(rounds.round, outcome);
    if (succeeded(outcome)) return;
    // Index 0 finished and left: nobody will judge this failure, so it is this pod's own verdict.
    if (!role.refereed) return this.ownVerdict(outcome);
    this.awaitJudgement(rounds.round, outcome);
  }

  /**
   * Index 0 judges a failure as soon as it hears of it. One it has not judged a session timeout later,
   * while it has been heard from since, it never will: this pod joined after every workload of the round
   * had finished (it replaced one that finished and then went), and ran a round that was over. Its failure is
   * its own verdict then, rather than a wait with nothing to end it; so it is when index 0 said goodbye
   * meanwhile (it finished and left, with no exit barrier, as the report came). An index 0 not heard from
   * since may be cut off: losing it is judged as such (a restart round when one is left), not as this
   * failure alone; it is looked at again a session timeout later, since the cut may instead heal on index
   * 0's goodbye (it finished while cut off), which no loss follows.
   */
  private awaitJudgement(round: number, outcome: WorkloadOutcome): void {
    const { rounds, role, clock, config, stopped } = this.options;
    const reportedAt = clock.now();
    let cancel = () => {};
    const onStopped = () => cancel();
    stopped.addEventListener('abort', onStopped, { once: true });
    const look = () => {
      if (rounds.round !== round || rounds.signal.aborted) return stopped.removeEventListener('abort', onStopped);
      const link = role.link?.();
      if (role.refereed && link !== undefined && (!link.connected || (link.heardAt ?? Number.NEGATIVE_INFINITY) <= reportedAt)) {
        cancel = clock.after(config.sessionTimeoutMs, look);
        return;
      }
      stopped.removeEventListener('abort', onStopped);
      const why = role.refereed ? 'the round was over before this pod ran it' : 'it left first';
      config.log(`index 0 has not judged this failure: ${why}; the failure is this pod's own verdict`, { event: 'unjudged', round });
      this.ownVerdict(outcome);
    };
    cancel = clock.after(config.sessionTimeoutMs, look);
  }

  private ownVerdict({ exitCode, signal, runMs }: WorkloadOutcome): void {
    const { rounds, config } = this.options;
    rounds.stopped({ round: rounds.round, next: undefined, failure: { index: config.identity.index, how: signal === null ? 'exit' : 'signal', exitCode, signal, afterMs: runMs } });
  }
}
