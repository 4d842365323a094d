import { PeersTimeoutError } from '../errors.js';
import { normalizeOutcome, succeeded, type WorkloadOutcome } from '../lifecycle/outcome.js';
import { OutcomeReports } from './outcome-reports.js';
import { assertCallerBarrierName, finishBarrier, roundBarrier } from '../lifecycle/round-names.js';
import type { Rounds } from '../lifecycle/rounds.js';
import type { Clock } from '../time/clock.js';
import { withDeadline } from '../time/deadline.js';
import { formatDuration } from '../time/duration.js';
import type { BarrierOptions, CloseOptions, Group, Peer } from './group.js';
import type { GroupStatus } from '../lifecycle/group-status.js';
import { localStatus } from './status-report.js';
import type { Config } from './options.js';
import type { PeerChecks } from './peer-checks.js';
import type { PeerNames } from './peer-names.js';
import type { ProgressReport } from './progress.js';
import type { BarrierRole, Release } from './role.js';

/** The longest a timer can wait: an exit barrier given this waits for as long as the round runs (`rollcall serve`). */
export const WHOLE_ROUND_MS = 2 ** 31 - 1;

export interface GroupHandleOptions {
  config: Pick<Config, 'identity' | 'topology' | 'timeoutMs' | 'exitTimeoutMs' | 'closeTimeoutMs' | 'sessionTimeoutMs' | 'log'>;
  role: BarrierRole;
  rounds: Rounds;
  progress: Pick<ProgressReport, 'watch' | 'progress'>;
  names: PeerNames;
  checks: Pick<PeerChecks, 'result'>;
  clock: Clock;
  /** Aborts when this pod's run is over (closed, or failed to start). */
  stopped: AbortSignal;
  /** Closes everything the run opened, waiting at most this long for release acks. */
  shutdown(closeTimeoutMs: number): Promise<void>;
  /** `known`: the pod's addresses as the group knows them, for when its name does not resolve. */
  connect(index: number, role: 'launch', signal: AbortSignal, known: readonly string[]): ReturnType<Group['connect']>;
  /** Index 0's view of the group: its own at index 0, asked of it over a session elsewhere. */
  askStatus(): Promise<GroupStatus>;
}

/**
 * The Group a caller holds after the release: more barriers, and the group's life through it (reports,
 * the exit barrier, restart rounds, close), each a call on the role and this pod's rounds.
 */
export class GroupHandle {
  private readonly reports: OutcomeReports;
  /** The last round whose exit barrier this pod passed: passing it again is at once. */
  private passedExit = -1;
  /** Closing happens once: a pod that leaves on a signal and then closes as usual is closed already. */
  private closing: Promise<void> | undefined;
  /** The members of the round this pod runs, as its barrier's release named them (everyone, unless elastic). */
  private members: readonly number[] = [];

  constructor(private readonly options: GroupHandleOptions) {
    this.reports = new OutcomeReports(options);
  }

  /** The Group at the release: each pod as this pod checked it, else as index 0's roster gave it. */
  build(release: Release, timings: Group['timings']): Group {
    const { roster, members } = release;
    const { identity, topology, exitTimeoutMs } = this.options.config;
    const { names, checks } = this.options;
    this.members = membersOf(members, identity.membership.size);
    if (release.used !== undefined) this.options.rounds.restartsUsedBefore(release.used);
    const current = () => this.members;
    const peers: Peer[] = Array.from({ length: identity.membership.size }, (_, index) => {
      const checked = checks.result(index);
      return { index, name: names.short(index), part: identity.membership.part(index), fqdn: names.fqdn(index), addresses: checked?.addresses ?? roster?.[index] ?? [], address: checked?.address, rttMs: checked?.rttMs };
    });
    const rounds = this.options.rounds;
    return {
      index: identity.index,
      get size() {
        return current().length;
      },
      get members() {
        return current();
      },
      get rank() {
        const rank = current().indexOf(identity.index);
        return rank === -1 ? undefined : rank;
      },
      jobName: identity.membership.name,
      topology,
      self: peers[identity.index] as Peer,
      peers,
      timings,
      barrier: (name, options) => {
        assertCallerBarrierName(name);
        return this.barrier(name, options).then(() => {});
      },
      get round() {
        return rounds.round;
      },
      get done() {
        return rounds.done;
      },
      get signal() {
        return rounds.signal;
      },
      report: (outcome) => this.reports.report(outcome),
      progress: () => {
        if (!rounds.signal.aborted && this.reports.own(rounds.round) === undefined) this.options.role.progressed(rounds.round);
      },
      exitBarrier: (timeoutMs) => this.exitBarrier(timeoutMs ?? exitTimeoutMs),
      nextRound: () => this.nextRound(),
      close: (options) => (this.closing ??= this.close(options)),
      leave: (signal) => {
        if (typeof signal !== 'string' || !/^SIG[A-Z0-9]{1,12}$/.test(signal)) throw new TypeError(`Expected \`signal\` to be a signal name such as "SIGTERM", got ${JSON.stringify(signal)}`);
        if (this.closing === undefined && !this.options.stopped.aborted) this.options.role.leaving(rounds.round, signal);
        // No report and no exit barrier: what this pod's workload did, it reported; it is gone now.
        return (this.closing ??= this.options.shutdown(this.options.config.closeTimeoutMs));
      },
      status: () => this.status(peers),
      connect: (index, role, { signal } = {}) => {
        if (!Number.isSafeInteger(index) || index < 0 || index >= identity.membership.size) return Promise.reject(new RangeError(`Expected \`index\` to be an index of the group (0 to ${identity.membership.size - 1}), got ${String(index)}`));
        return this.options.connect(index, role, AbortSignal.any([this.options.stopped, ...(signal === undefined ? [] : [signal])]), peers[index]?.addresses ?? []);
      },
    };
  }

  /** Index 0's view, or, when it cannot be asked, what this pod knows itself, with why. */
  private async status(peers: Peer[]): Promise<GroupStatus> {
    try {
      return await this.options.askStatus();
    } catch (error) {
      const { identity } = this.options.config;
      const { rounds, role, clock } = this.options;
      const link = role.link?.();
      return localStatus({
        job: identity.membership.name,
        self: identity.index,
        peers,
        round: rounds.round,
        verdict: rounds.verdict,
        own: this.reports.own(rounds.round),
        coordinator: { connected: link?.connected ?? false, lastHeardMs: link?.heardAt === undefined ? undefined : clock.now() - link.heardAt },
        note: `index 0 could not be asked: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /** The last round's outcomes at index 0, once every member has finished: each index's code and time. */
  logAllFinished(round: number, outcomes: ReadonlyMap<number, WorkloadOutcome>): void {
    const each = [...outcomes].map(([index, outcome]) => `${index}: exit ${outcome.exitCode} (${formatDuration(outcome.runMs)})`);
    const shown = each.length > 16 ? [...each.slice(0, 16), `and ${each.length - 16} more`] : each;
    this.options.config.log(`all ${outcomes.size} workloads finished${round > 0 ? ` in restart round ${round}` : ''}: ${shown.join(', ')}`, {
      event: 'all-finished',
      round,
      outcomes: [...outcomes].map(([index, outcome]) => ({ index, exitCode: outcome.exitCode, runMs: Math.round(outcome.runMs) })),
    });
  }

  private async exitBarrier(timeoutMs: number): Promise<boolean> {
    const { rounds, role, config } = this.options;
    if (timeoutMs === 0 || rounds.signal.aborted || !role.refereed) return false;
    if (this.passedExit === rounds.round) return true;
    // A pod that waits there for the whole round (`rollcall serve`) has said so already.
    if (timeoutMs < WHOLE_ROUND_MS) config.log(`workload finished; waiting up to ${formatDuration(timeoutMs)} until every pod's has (exit barrier)`, { event: 'exit-barrier', round: rounds.round });
    try {
      await this.barrier(finishBarrier(rounds.round), { timeoutMs, signal: rounds.signal, quiet: timeoutMs >= WHOLE_ROUND_MS });
      this.passedExit = rounds.round;
      return true;
    } catch (error) {
      if (error instanceof PeersTimeoutError) config.log(`exit barrier: ${error.message}; leaving without them`, { event: 'exit-barrier-timeout', missing: error.missing });
      return false;
    }
  }

  private async nextRound(): Promise<number> {
    const { rounds, config } = this.options;
    for (;;) {
      const next = rounds.next;
      if (next === undefined) {
        throw rounds.signal.aborted ? rounds.signal.reason : new Error('nextRound() follows a round the group stopped; this one is still running');
      }
      // A later round's verdict while waiting (this pod missed a release its old index 0 never finished
      // sending, and the new index 0 took a later round from the others) moves the wait to that round.
      const moved = rounds.moved;
      let release: Release;
      try {
        release = await this.barrier(roundBarrier(next), { timeoutMs: config.timeoutMs, signal: AbortSignal.any([rounds.over, moved]) });
      } catch (error) {
        if (rounds.over.aborted) throw rounds.over.reason;
        if (moved.aborted) continue;
        throw error;
      }
      this.members = membersOf(release.members, config.identity.membership.size);
      rounds.begin(next);
      if (release.used !== undefined) rounds.restartsUsedBefore(release.used);
      return next;
    }
  }

  private async close(options: CloseOptions = {}): Promise<void> {
    const { config, rounds, stopped } = this.options;
    const { exitTimeoutMs = config.exitTimeoutMs, ...outcome } = options;
    if (!stopped.aborted && !rounds.signal.aborted) {
      const first = this.reports.own(rounds.round) === undefined;
      this.reports.report(outcome);
      if (first && succeeded(normalizeOutcome(outcome, 0))) await this.exitBarrier(exitTimeoutMs);
    }
    await this.options.shutdown(config.closeTimeoutMs);
  }

  /** `quiet`: no "k/N confirmed" lines while waiting (a pod that waits there for the whole round, by design). */
  private async barrier(name: string, options: BarrierOptions & { quiet?: boolean } = {}): Promise<Release> {
    const { config, role, progress, clock, stopped } = this.options;
    const timeoutMs = options.timeoutMs ?? config.timeoutMs;
    const signal = AbortSignal.any([stopped, ...(options.signal === undefined ? [] : [options.signal])]);
    signal.throwIfAborted();
    role.arrive(name, []);
    const stopLogging = options.quiet === true ? () => {} : progress.watch(name, { report: false });
    try {
      return await withDeadline(role.released(name), timeoutMs, () => new PeersTimeoutError(timeoutMs, progress.progress(name), name), signal, clock);
    } finally {
      stopLogging();
    }
  }
}

/** The members a release named (an elastic group's round), else every index of the group. */
function membersOf(members: readonly number[] | undefined, size: number): readonly number[] {
  return members?.filter((index) => index < size) ?? Array.from({ length: size }, (_, index) => index);
}
