import type { Clock } from '../time/clock.js';
import type { DatagramSender, OnDatagramAck } from '../transport/release-datagrams.js';
import { encodeMembers } from '../transport/member-ranges.js';
import type { ReleaseFields } from '../transport/wire-format.js';
import type { Topology } from './options.js';
import { BarrierTally, type Expected } from './barrier-tally.js';
import type { MemberSessions } from './member-sessions.js';
import { ReleaseNudges, type Unacked } from './release-nudges.js';
import { entryOf } from './role.js';

/** Above this size the release frame leaves the roster out: N frames of N addresses each would be O(N²) bytes. */
export const ROSTER_LIMIT = 256;

/**
 * Index 0's barriers and the delivery of their releases: a tally per barrier, the release sent down every
 * member's session, confirmed by an ack over the session or by datagram, and sent again to whoever has not
 * confirmed: by datagram between progress ticks, over the session at each.
 */
export class ReleaseBook {
  readonly tallies = new Map<string, BarrierTally>();
  private readonly nudges: ReleaseNudges;

  constructor(
    private readonly size: number,
    /** An elastic group's releases of a round's assembly name the members they released. */
    private readonly elastic: boolean,
    /** Who each barrier waits for, asked when it is first arrived at. */
    private readonly expectedFor: (barrier: string) => Expected,
    private readonly topology: Topology,
    private readonly members: MemberSessions,
    clock: Clock,
    openDatagrams: (onAck: OnDatagramAck) => DatagramSender,
  ) {
    this.nudges = new ReleaseNudges(clock, openDatagrams, (barrier, index) => this.ack(barrier, index), () => this.unacked());
  }

  tally(barrier: string): BarrierTally {
    return entryOf(this.tallies, barrier, () => new BarrierTally(barrier, this.expectedFor(barrier)));
  }

  /** Enough arrived: `barrier` opens, and every member hears it. */
  open(barrier: string, tally: BarrierTally, beforeSending: (members: readonly number[]) => void): void {
    tally.open(this.roster(barrier, tally), this.elastic);
    beforeSending(tally.members);
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

  close(): void {
    this.nudges.close();
  }

  private send(barrier: string, index: number, fields: ReleaseFields): void {
    this.members.get(index)?.channel.send({ t: 'release', barrier, ...fields });
  }

  /** What the release carries: the roster, and the members an elastic group's release counted. */
  private fields(barrier: string, tally: BarrierTally): ReleaseFields {
    const roster = this.roster(barrier, tally);
    return { ...(roster === undefined ? {} : { roster }), ...(this.elastic ? { members: encodeMembers(tally.members) } : {}) };
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
