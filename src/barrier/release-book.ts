import type { Clock } from '../time/clock.js';
import type { DatagramSender, OnDatagramAck } from '../transport/release-datagrams.js';
import { encodeMembers } from '../transport/member-ranges.js';
import type { ReleaseFields } from '../transport/wire-format.js';
import type { Topology } from './options.js';
import { BarrierTally } from './barrier-tally.js';
import { KeyedTimers } from '../time/keyed-timers.js';
import type { MemberSessions } from './member-sessions.js';
import type { RoundMembership } from './round-membership.js';
import { ReleaseNudges, type Unacked } from './release-nudges.js';
import { entryOf } from './role.js';
import { withDeadline } from '../time/deadline.js';
import { isFinishBarrier, roundStartedBy } from '../lifecycle/round-names.js';

/** Above this size the release frame leaves the roster out: N frames of N addresses each would be O(N²) bytes. */
export const ROSTER_LIMIT = 256;

export interface ReleaseBookOptions {
  size: number;
  topology: Topology;
  /** Who each barrier waits for, and who each round runs with. */
  membership: RoundMembership;
  members: MemberSessions;
  /** An elastic round's last call. */
  lastCallMs: number;
  clock: Clock;
  openDatagrams(onAck: OnDatagramAck): DatagramSender;
  /** A barrier opens with these members; called before anyone hears it. */
  onOpen(barrier: string, members: readonly number[]): void;
  /** Restarts used so far: an elastic round's release says it, for a pod that has heard no verdict. */
  restartsUsed(): number;
}

/**
 * Index 0's barriers and the delivery of their releases: a tally per barrier, opened once enough have
 * arrived (an elastic round's quorum after its last call), the release sent down every member's session,
 * confirmed by an ack over the session or by datagram, and sent again to whoever has not confirmed: by
 * datagram between progress ticks, over the session at each.
 */
export class ReleaseBook {
  readonly tallies = new Map<string, BarrierTally>();
  private readonly nudges: ReleaseNudges;
  /**
   * An elastic round's last calls, one per barrier: once the fewest pods a round may run with are there
   * and every pod that is here has arrived, the barrier opens after the call with no newcomer. A newcomer
   * holds it (it is here and has not arrived: the call is cancelled), and its arrival calls again.
   */
  private readonly lastCalls: KeyedTimers<string>;
  private readonly size: number;
  private readonly topology: Topology;
  private readonly members: MemberSessions;
  /** An elastic group's releases name the members they released. */
  private readonly elastic: boolean;
  /** Index 0 is leaving: nothing opens any more, and no last call is called (sessions closing as it goes ask). */
  private closing = false;

  constructor(private readonly options: ReleaseBookOptions) {
    ({ size: this.size, topology: this.topology, members: this.members } = options);
    this.elastic = options.membership.elastic;
    this.lastCalls = new KeyedTimers(options.clock);
    this.nudges = new ReleaseNudges(options.clock, (onAck) => options.openDatagrams(onAck), (barrier, index) => this.ack(barrier, index), () => this.unacked());
  }

  tally(barrier: string): BarrierTally {
    return entryOf(this.tallies, barrier, () => new BarrierTally(barrier, this.options.membership.expected(barrier)));
  }

  /**
   * Opens `barrier` once enough have arrived: everyone at once, an elastic round's quorum once its last
   * call has passed (`change`: a pod came, arrived or went, and it is worth looking again).
   */
  settle(barrier: string, cause: 'change' | 'last-call'): void {
    if (this.closing) return;
    const tally = this.tally(barrier);
    const readiness = tally.readiness((index) => this.members.has(index));
    if (readiness === 'short') return this.lastCalls.cancel(barrier);
    if (readiness === 'quorum' && cause !== 'last-call') {
      if (!this.lastCalls.has(barrier)) this.lastCalls.set(barrier, this.options.lastCallMs, () => this.settle(barrier, 'last-call'));
      return;
    }
    this.lastCalls.cancel(barrier);
    this.open(barrier, tally);
  }

  /** Enough arrived: `barrier` opens, and every member hears it. */
  private open(barrier: string, tally: BarrierTally): void {
    tally.open(this.roster(barrier, tally), this.elastic);
    this.options.onOpen(barrier, tally.members);
    const fields = this.fields(barrier, tally);
    for (const member of this.members.indexes()) this.send(barrier, member, fields);
    this.nudges.schedule();
  }

  /**
   * A late joiner or a replaced pod arrived at a barrier the group has passed: it goes at once. Passed a
   * round's assembly, it hears the members of the round that runs now (`members`), which it joins.
   */
  late(barrier: string, tally: BarrierTally, index: number, members: readonly number[] | undefined): void {
    tally.arriveLate(index, this.members.get(index)?.gen);
    const fields = this.fields(barrier, tally);
    this.send(barrier, index, this.elastic && members !== undefined ? { ...fields, members: encodeMembers(members) } : fields);
    this.nudges.schedule();
  }

  ack(barrier: string, index: number): void {
    this.tallies.get(barrier)?.ack(index, this.members.get(index)?.gen ?? '');
  }

  /** A member's datagram ear, as it told over its session. */
  listen(index: number, address: string, port: number, token: string, previous: string | undefined): void {
    this.nudges.listen(index, address, port, token, previous);
  }

  forget(token: string): void {
    this.nudges.forget(token);
  }

  /**
   * On the progress tick. A release or an ack lost on a lossy link would otherwise wait out TCP's
   * exponential retransmission backoff (tens of seconds); re-sending to whoever has not acked recovers
   * in a round trip, since later segments let TCP fast-retransmit the lost one.
   */
  resend(): void {
    for (const { barrier, fields, indexes } of this.unacked()) for (const index of indexes) this.send(barrier, index, fields);
  }

  /**
   * Opens nothing more, and waits, bounded, until every member has confirmed every release: nobody is left
   * talking to a closed port. Past an exit barrier everyone is leaving: index 0 goes last, once every
   * member has hung up too.
   */
  async close(timeoutMs: number): Promise<void> {
    const { clock } = this.options;
    this.closing = true;
    this.lastCalls.clear();
    const pending = [...this.tallies.values()].filter((tally) => tally.released).map((tally) => tally.allAcked);
    // Past the bound, whoever has not acked is on its own: it has the release or will time out.
    const deadline = clock.now() + timeoutMs;
    await withDeadline(Promise.all(pending), timeoutMs, () => new Error('acks timed out'), undefined, clock).catch(() => {});
    const finished = [...this.tallies].some(([name, tally]) => isFinishBarrier(name) && tally.released);
    if (finished) await withDeadline(this.members.allHungUp(), Math.max(0, deadline - clock.now()), () => new Error('members still connected'), undefined, clock).catch(() => {});
    this.nudges.close();
  }

  private send(barrier: string, index: number, fields: ReleaseFields): void {
    this.members.get(index)?.channel.send({ t: 'release', barrier, ...fields });
  }

  /** What the release carries: the roster, and the members an elastic group's release counted. */
  private fields(barrier: string, tally: BarrierTally): ReleaseFields {
    const roster = this.roster(barrier, tally);
    const elastic = this.elastic ? { members: encodeMembers(tally.members), ...(roundStartedBy(barrier) === undefined ? {} : { used: this.options.restartsUsed() }) } : {};
    return { ...(roster === undefined ? {} : { roster }), ...elastic };
  }

  /** Releases some current member has not confirmed: what the datagram nudges send. */
  private unacked(): Unacked[] {
    return [...this.tallies]
      .filter(([, tally]) => tally.awaitingAcks)
      .map(([barrier, tally]) => ({ barrier, fields: this.fields(barrier, tally), indexes: this.members.indexes().filter((index) => !tally.hasAcked(index)) }));
  }

  /** Each index's own addresses, for a star's members (who checked nobody but index 0) in a group small enough. */
  private roster(barrier: string, tally: BarrierTally): string[][] | undefined {
    return barrier === 'start' && this.topology === 'star' && this.size <= ROSTER_LIMIT ? tally.roster() : undefined;
  }
}
