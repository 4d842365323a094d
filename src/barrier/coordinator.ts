import type { MissingReasonCode } from '../errors.js';
import type { CoordinatorOptions } from './coordinator-ports.js';
import type { Topology } from './options.js';
import type { Cancel, Clock } from '../time/clock.js';
import { keepSessionAlive } from '../transport/heartbeat.js';
import { MeshNews } from './mesh-news.js';
import { ReleaseBook } from './release-book.js';
import { routeFrames, type FrameRoutes, type Session } from '../transport/session.js';
import type { Hello } from '../transport/wire-format.js';
import { Referee } from '../lifecycle/referee.js';
import { stopFromFrame, stopToFrame, type WorkloadOutcome } from '../lifecycle/outcome.js';
import { roundBarrier, roundStartedBy } from '../lifecycle/round-names.js';
import type { GroupStatus } from '../lifecycle/group-status.js';
import { coordinatorStatus } from './status-report.js';
import type { BarrierTally } from './barrier-tally.js';
import { RoundMembership } from './round-membership.js';
import { MemberSessions, type MemberSession } from './member-sessions.js';
import type { BarrierRole, BarrierView, Release } from './role.js';

/**
 * Index 0's side of every barrier: counts arrivals over member sessions (and its own), and pushes the
 * release to everyone the moment the last one arrives. A member whose session drops before the release
 * no longer counts: it is not there.
 */
export class Coordinator implements BarrierRole {
  private readonly members = new MemberSessions();
  private readonly referee: Referee;
  private readonly releases: ReleaseBook;
  private readonly size: number;
  private readonly membership: RoundMembership;
  private readonly topology: Topology;
  private readonly sessionTimeoutMs: number;
  private readonly reasonFor: (index: number) => MissingReasonCode;
  private readonly onSeen: (index: number) => void;
  private readonly clock: Clock;
  private readonly stopProgress: Cancel;
  private dirty = new Set<string>();
  /** News of joins, in a mesh only: in a star only the coordinator's count matters, and nothing is sent. */
  private readonly news: MeshNews | undefined;

  constructor(options: CoordinatorOptions) {
    ({ size: this.size, topology: this.topology, sessionTimeoutMs: this.sessionTimeoutMs, reasonFor: this.reasonFor, onSeen: this.onSeen } = options);
    this.clock = options.clock;
    this.membership = new RoundMembership(options.min, this.size);
    this.releases = new ReleaseBook({
      size: this.size,
      topology: this.topology,
      membership: this.membership,
      members: this.members,
      lastCallMs: options.lastCallMs,
      clock: this.clock,
      openDatagrams: options.openDatagrams,
      restartsUsed: () => this.referee.used,
      onOpen: (barrier, members) => {
        this.membership.opened(barrier, members);
        const round = roundStartedBy(barrier);
        // Before anyone hears the release, so that no outcome of the new round can come in ahead of it.
        if (round !== undefined) this.referee.begin(round, members);
      },
    });
    this.news = this.topology === 'mesh' ? new MeshNews(this.clock, (indexes) => this.tellChecking(indexes)) : undefined;
    this.stopProgress = this.clock.every(options.progressIntervalMs, () => this.tick());
    this.referee = new Referee({
      size: this.size,
      min: options.min,
      restarts: options.restarts,
      fatalExitCodes: options.fatalExitCodes,
      vanishAfterMs: this.sessionTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs,
      clock: this.clock,
      onStop: (stop) => {
        this.members.broadcast(stopToFrame(stop));
        options.onStop(stop);
      },
      onAllFinished: options.onAllFinished,
    });
  }

  readonly refereed = true;

  readonly sessions = { member: (session: Session, hello: Hello) => this.addMember(session, hello) };

  /** What a member may send on its session; the session says who sent it. */
  private readonly routes: FrameRoutes<{ index: number; member: MemberSession }> = {
    arrive: (frame, { index }) => this.arrive(frame.barrier, frame.addrs, index),
    ack: (frame, { index }) => this.releases.ack(frame.barrier, index),
    nudge: (frame, { index, member }) => {
      this.releases.listen(index, member.channel.remoteAddress, frame.port, frame.token, member.ear);
      member.ear = frame.token;
    },
    // A pod can report its own outcome, and nobody else's.
    outcome: (frame, { index }) => this.referee.reported(index, frame.round, { exitCode: frame.exit, signal: frame.signal, runMs: frame.ms }),
    alive: (frame, { index }) => this.referee.progressed(index, frame.round),
    leaving: (frame, { index }) => this.referee.signalled(index, frame.round, frame.signal),
    // The verdict a member holds from before this index 0 was up: a new index 0 learns the round from it.
    stop: (frame) => this.referee.adopt(stopFromFrame(frame)),
    beat: () => {},
  };

  /** Index 0 asks for members' names before they show up, to say why they are missing. */
  speculatesAbout = (index: number): boolean => index !== 0;
  waitsForNewsOf = (): boolean => false;
  callsOutTo = (): number[] => (this.topology === 'star' ? Array.from({ length: this.size - 1 }, (_, index) => index + 1) : []);

  /** Index 0's own workload ended. */
  report(round: number, outcome: WorkloadOutcome): void {
    this.referee.reported(0, round, outcome);
  }

  /** Index 0's own workload reported progress. */
  progressed(round: number): void {
    this.referee.progressed(0, round);
  }

  /** Index 0 itself is leaving on a signal: everyone hears the verdict now, not after the session timeout. */
  leaving(round: number, signal: string): void {
    this.referee.signalled(0, round, signal);
  }

  addMember(channel: Session, hello: Hello): void {
    const admitted = this.members.admit(channel, hello, this.clock.now());
    if (admitted === undefined) return;
    const { member, replacing } = admitted;
    // Told first, so that a replacement hears the verdict its own arrival may cause; or, in a round its
    // index finished already, that nothing is left for it to run.
    const verdict = this.referee.current;
    if (verdict !== undefined) channel.send(stopToFrame(verdict));
    const done = this.referee.doneBy(hello.index);
    if (done !== undefined) channel.send({ t: 'done', round: done });
    this.referee.joined(hello.index, replacing);
    channel.onActivity(() => (member.heardAt = this.clock.now()));
    routeFrames(channel, this.routes, { index: hello.index, member });
    keepSessionAlive(channel, this.sessionTimeoutMs, this.clock);
    channel.onClose(() => {
      if (member.ear !== undefined) this.releases.forget(member.ear);
      if (!this.members.closed(hello.index, member)) return;
      this.referee.left(hello.index, member.heardAt);
      // Whether or not it had arrived, everyone waiting should hear that it went.
      for (const [name, tally] of this.releases.tallies) {
        if (tally.released) continue;
        tally.leave(hello.index);
        this.dirty.add(name);
        // An elastic round need not wait for a pod that went.
        this.releases.settle(name, 'change');
      }
    });
    for (const [name, tally] of this.releases.tallies) {
      this.dirty.add(name);
      // A pod that came holds an elastic round's last call until it arrives.
      if (!tally.released) this.releases.settle(name, 'change');
    }
    this.seen(hello.index);
    // A mesh member asks for a peer's name only once it hears the peer is up.
    this.news?.greet(channel, this.members.indexes().filter((index) => index !== hello.index));
  }

  arrive(barrier: string, addrs: string[], index = 0): void {
    const tally = this.tally(barrier);
    tally.arrive(index, addrs);
    if (tally.released) return this.releases.late(barrier, tally, index, this.membership.lateMembers(barrier));
    this.dirty.add(barrier);
    if (index !== 0 && barrier === 'start') this.seen(index);
    this.releases.settle(barrier, 'change');
  }

  released(barrier: string): Promise<Release> {
    return this.tally(barrier).release.promise;
  }

  view(barrier: string): BarrierView {
    return this.tally(barrier).view({ here: (index) => this.members.has(index), left: (index) => this.members.left(index), reasonFor: this.reasonFor });
  }

  /** The group as index 0 knows it (`rollcall status`). */
  status(job: string, nameOf: (index: number) => string, ownAddress: string | undefined): GroupStatus {
    const { standing } = this.referee;
    const next = standing.verdict?.next;
    const arrived = (barrier: string | undefined) => new Set(barrier === undefined ? [] : this.releases.tallies.get(barrier)?.arrived.keys());
    return coordinatorStatus({
      job,
      size: this.size,
      nameOf,
      standing,
      started: this.tally('start').released,
      arrivedAt: (barrier) => arrived(barrier === 'start' ? 'start' : next === undefined ? undefined : roundBarrier(next)),
      sessionAddress: (index) => this.members.get(index)?.channel.remoteAddress,
      heardAt: (index) => this.members.heardAt(index),
      ownAddresses: (index) => this.releases.tallies.get('start')?.arrived.get(index),
      ownAddress,
      now: this.clock.now(),
      membership: this.membership.status(),
    });
  }

  /** Waits, bounded, until every member has confirmed every release: nobody is left talking to a closed port. */
  async close(timeoutMs: number): Promise<void> {
    this.stopProgress();
    this.news?.close();
    this.referee.close();
    await this.releases.close(timeoutMs);
    this.members.dismiss();
  }

  private seen(index: number): void {
    this.onSeen(index);
    this.news?.seen(index);
  }

  /** Only a member still checking its peers has anything to kick; one that has arrived is done with them. */
  private tellChecking(indexes: number[]): void {
    const arrived = this.tally('start').arrived;
    for (const [index, member] of this.members.entries()) if (!arrived.has(index)) member.channel.send({ t: 'seen', indexes });
  }

  /** Runs on the progress timer. */
  private tick(): void {
    this.broadcastProgress();
    this.releases.resend();
  }

  private broadcastProgress(): void {
    for (const barrier of this.dirty) {
      if (this.tally(barrier).released) continue;
      const { ready, missing } = this.view(barrier);
      this.members.broadcast({ t: 'progress', barrier, ready, missing });
    }
    this.dirty.clear();
  }

  private tally(barrier: string): BarrierTally {
    return this.releases.tally(barrier);
  }
}
