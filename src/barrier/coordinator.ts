import type { MissingReasonCode } from '../errors.js';
import type { Topology } from './options.js';
import { systemClock, type Cancel, type Clock } from '../time/clock.js';
import { withDeadline } from '../time/deadline.js';
import { keepSessionAlive } from '../transport/heartbeat.js';
import { ReleaseSender, type DatagramSender, type OnDatagramAck } from '../transport/release-datagrams.js';
import type { Session } from '../transport/session.js';
import { MAX_SEEN, type Hello } from '../transport/wire-format.js';
import { Referee } from '../lifecycle/referee.js';
import { stopToFrame, type Stop, type WorkloadOutcome } from '../lifecycle/outcome.js';
import { isFinishBarrier, roundStartedBy } from '../lifecycle/round-names.js';
import { Deferred, entryOf, generationTime, type BarrierRole, type BarrierView, type MissingLink, type Release } from './role.js';

/** Above this size the release frame leaves the roster out: N frames of N addresses each would be O(N²) bytes. */
export const ROSTER_LIMIT = 256;
const MISSING_SHOWN = 32;
const ANNOUNCE_WINDOW_MS = 50;
/** A member that has not acked its release gets it again by datagram this often, at a fixed pace. */
const NUDGE_INTERVAL_MS = 100;

export interface CoordinatorOptions {
  size: number;
  topology: Topology;
  /** Silence after which a member's session counts as gone. */
  sessionTimeoutMs: number;
  /** How often progress goes out to the members while a barrier waits. */
  progressIntervalMs: number;
  /** Why an index has not arrived, as this pod's own check of it tells. */
  reasonFor(index: number): MissingReasonCode;
  /** A pod joined or arrived: it is running and its own record resolves for it. */
  onSeen(index: number): void;
  clock?: Clock;
  /** The datagram sockets that carry releases; acks come back through `onAck`. */
  openDatagrams?(onAck: OnDatagramAck): DatagramSender;
  /** Gang restarts the group may use in all (index 0 counts them for everyone). */
  restarts: number;
  /** Exit codes that end the group at once. */
  fatalExitCodes: ReadonlySet<number>;
  /** A round is over: index 0's own workload must stop too. Every member has been told. */
  onStop(stop: Stop): void;
  /** Every workload of `round` succeeded: each index's outcome. */
  onAllFinished(round: number, outcomes: WorkloadOutcome[]): void;
}

interface Member {
  gen: string;
  channel: Session;
  /** When anything was last heard from it, on the coordinator's clock. */
  heardAt: number;
  /** Where and how to reach the member by datagram, once it said. */
  nudge?: { address: string; port: number; token: string };
}

interface BarrierState {
  arrived: Map<number, string[]>;
  /** Who confirmed the release, by index, with the generation of the pod that did. */
  acked: Map<number, string>;
  release: Deferred<Release>;
  allAcked: Deferred<void>;
}

/**
 * Index 0's side of every barrier: counts arrivals over member sessions (and its own), and pushes the
 * release to everyone the moment the last one arrives. A member whose session drops before the release
 * no longer counts: it is not there.
 */
export class Coordinator implements BarrierRole {
  private readonly members = new Map<number, Member>();
  /** Pods whose session closed: they were here and went (gave up, crashed, were replaced). */
  private readonly left = new Set<number>();
  /** The generation last seen at each index: a different one joining is a replacement. */
  private readonly generations = new Map<number, string>();
  private readonly referee: Referee;
  private readonly barriers = new Map<string, BarrierState>();
  private readonly size: number;
  private readonly topology: Topology;
  private readonly sessionTimeoutMs: number;
  private readonly reasonFor: (index: number) => MissingReasonCode;
  private readonly onSeen: (index: number) => void;
  private readonly clock: Clock;
  private readonly stopProgress: Cancel;
  private dirty = new Set<string>();
  private readonly unannounced = new Set<number>();
  private cancelAnnounce: Cancel | undefined;
  private lastAnnounce = Number.NEGATIVE_INFINITY;
  /**
   * In a mesh every pod waits on its own check of a newcomer, so news of each join and arrival goes to
   * everyone at once: 2N² small frames in all, the order of the mesh's own probes. In a star only the
   * coordinator's count matters, and nothing is sent.
   */
  private readonly announce: boolean;
  private readonly datagrams: DatagramSender;
  private readonly tokens = new Map<string, number>();
  private cancelNudges: Cancel | undefined;
  private closing = false;

  constructor(options: CoordinatorOptions) {
    ({ size: this.size, topology: this.topology, sessionTimeoutMs: this.sessionTimeoutMs, reasonFor: this.reasonFor, onSeen: this.onSeen } = options);
    this.clock = options.clock ?? systemClock;
    const openDatagrams = options.openDatagrams ?? ((onAck) => new ReleaseSender(onAck));
    this.datagrams = openDatagrams((token, barrier) => this.datagramAck(token, barrier));
    this.announce = this.topology === 'mesh';
    this.stopProgress = this.clock.every(options.progressIntervalMs, () => this.tick());
    this.referee = new Referee({
      size: this.size,
      restarts: options.restarts,
      fatalExitCodes: options.fatalExitCodes,
      vanishAfterMs: this.sessionTimeoutMs,
      clock: this.clock,
      onStop: (stop) => {
        const frame = stopToFrame(stop);
        for (const member of this.members.values()) member.channel.send(frame);
        options.onStop(stop);
      },
      onAllFinished: options.onAllFinished,
    });
  }

  readonly refereed = true;

  speculatesAbout(index: number): boolean {
    return index !== 0;
  }

  waitsForNewsOf(): boolean {
    return false;
  }

  callsOutTo(): number[] {
    return this.topology === 'star' ? Array.from({ length: this.size - 1 }, (_, index) => index + 1) : [];
  }

  /** Index 0's own workload ended. */
  report(round: number, outcome: WorkloadOutcome): void {
    this.referee.reported(0, round, outcome);
  }

  /** Nothing runs on its own here: members call in, and the progress ticks from the constructor on. */
  start(): void {}

  /** Index 0 does not wait on any one peer's handshake: members come to it. */
  heardFrom(): void {}

  /** Index 0 needs no session of its own: it is the other end of everyone's. */
  missingLinks(): MissingLink[] {
    return [];
  }

  addMember(channel: Session, hello: Hello): void {
    // One session per index: a newer pod replaces an older one, and a new session from the same pod
    // replaces its previous one (which may be half-open after a network blip).
    const existing = this.members.get(hello.index);
    if (existing !== undefined) {
      if (existing.gen !== hello.gen && generationTime(existing.gen) > generationTime(hello.gen)) {
        channel.send({ t: 'refuse', reason: `superseded by a newer pod with index ${hello.index}` });
        channel.end();
        return;
      }
      this.members.delete(hello.index);
      existing.channel.destroy();
    }
    const member: Member = { gen: hello.gen, channel, heardAt: this.clock.now() };
    this.members.set(hello.index, member);
    this.left.delete(hello.index);
    const previous = this.generations.get(hello.index);
    this.generations.set(hello.index, hello.gen);
    // Told first, so that a replacement hears the verdict its own arrival may cause.
    const verdict = this.referee.current;
    if (verdict !== undefined) channel.send(stopToFrame(verdict));
    this.referee.joined(hello.index, previous !== undefined && previous !== hello.gen);
    channel.onActivity(() => (member.heardAt = this.clock.now()));
    channel.onFrame((frame) => {
      if (frame.t === 'arrive') this.arrive(frame.barrier, frame.addrs, hello.index);
      else if (frame.t === 'ack') this.ack(frame.barrier, hello.index);
      else if (frame.t === 'nudge') this.noteNudge(member, hello.index, frame.port, frame.token);
      // The session says whose outcome it is: a pod can report its own, and nobody else's.
      else if (frame.t === 'outcome') this.referee.reported(hello.index, frame.round, { exitCode: frame.exit, signal: frame.signal, runMs: frame.ms });
      else if (frame.t !== 'beat') channel.destroy();
    });
    keepSessionAlive(channel, this.sessionTimeoutMs, this.clock);
    channel.onClose(() => {
      if (member.nudge !== undefined) this.tokens.delete(member.nudge.token);
      if (this.members.get(hello.index) !== member) return;
      this.members.delete(hello.index);
      this.left.add(hello.index);
      this.referee.left(hello.index, member.heardAt);
      // Whether or not it had arrived, everyone waiting should hear that it went.
      for (const [name, state] of this.barriers) {
        if (state.release.settled) continue;
        state.arrived.delete(hello.index);
        this.dirty.add(name);
      }
    });
    for (const name of this.barriers.keys()) this.dirty.add(name);
    this.seen(hello.index);
    // A mesh member asks for a peer's name only once it hears the peer is up: one that joins late hears
    // at once of everyone who came before it.
    if (this.announce) {
      const before = [...this.members.keys()].filter((index) => index !== hello.index);
      for (let start = 0; start < before.length; start += MAX_SEEN) channel.send({ t: 'seen', indexes: before.slice(start, start + MAX_SEEN) });
    }
  }

  arrive(barrier: string, addrs: string[], index = 0): void {
    const state = this.state(barrier);
    state.arrived.set(index, addrs);
    if (state.release.settled) {
      // A late joiner or a replaced pod: the group has already gone, so it goes at once, and a replaced
      // pod's ack is awaited afresh (its predecessor's counted for the index), close() included. The same
      // pod's arrival re-sent while its release was on the way changes nothing: it has acked, and may be gone.
      const gen = this.members.get(index)?.gen;
      if (state.acked.has(index) && state.acked.get(index) !== gen) {
        state.acked.delete(index);
        if (state.allAcked.settled) state.allAcked = new Deferred();
      }
      this.sendRelease(barrier, index, state);
      this.scheduleNudges();
      return;
    }
    this.dirty.add(barrier);
    if (index !== 0 && barrier === 'start') this.seen(index);
    if (state.arrived.size < this.size) return;
    const round = roundStartedBy(barrier);
    // Before anyone hears the release, so that no outcome of the new round can come in ahead of it.
    if (round !== undefined) this.referee.begin(round);
    state.release.resolve({ roster: this.roster(barrier, state) });
    for (const member of this.members.keys()) this.sendRelease(barrier, member, state);
    this.noteAck(state);
    this.scheduleNudges();
  }

  released(barrier: string): Promise<Release> {
    return this.state(barrier).release.promise;
  }

  /**
   * For the start barrier, missing means not here (no session with the coordinator): a pod that is here
   * but still checking its peers is waiting on someone absent, who is listed in its place; only when
   * nobody is absent are those still checking listed. For a named barrier everyone not at it is missing.
   */
  view(barrier: string): BarrierView {
    const state = this.state(barrier);
    const absent: [number, MissingReasonCode][] = [];
    const waiting: [number, MissingReasonCode][] = [];
    for (let index = 0; index < this.size; index++) {
      if (state.arrived.has(index)) continue;
      const here = index === 0 || this.members.has(index);
      const gone = this.left.has(index) ? ('left' as const) : undefined;
      if (barrier === 'start') (here ? waiting : absent).push([index, here ? 'still-checking' : (gone ?? this.reasonFor(index))]);
      else (here ? waiting : absent).push([index, here ? 'not-at-barrier' : 'left']);
    }
    const missing = barrier === 'start' && absent.length > 0 ? absent : [...absent, ...waiting];
    return { ready: this.size - missing.length, missing: missing.slice(0, MISSING_SHOWN) };
  }

  /** Waits, bounded, until every member has confirmed every release: nobody is left talking to a closed port. */
  async close(timeoutMs: number): Promise<void> {
    this.stopProgress();
    this.cancelAnnounce?.();
    this.referee.close();
    const pending = [...this.barriers.values()].filter((state) => state.release.settled).map((state) => state.allAcked.promise);
    // Past the bound, whoever has not acked is on its own: it has the release or will time out.
    const deadline = this.clock.now() + timeoutMs;
    await withDeadline(Promise.all(pending), timeoutMs, () => new Error('acks timed out'), undefined, this.clock).catch(() => {});
    // Past an exit barrier everyone is leaving: index 0 goes last, once every member has hung up.
    const finished = [...this.barriers].some(([name, state]) => isFinishBarrier(name) && state.release.settled);
    if (finished) {
      const hungUp = [...this.members.values()].map((member) => new Promise<void>((resolve) => member.channel.onClose(resolve)));
      await withDeadline(Promise.all(hungUp), Math.max(0, deadline - this.clock.now()), () => new Error('members still connected'), undefined, this.clock).catch(() => {});
    }
    this.closing = true;
    this.cancelNudges?.();
    this.datagrams.close();
    // Members stop calling back until a coordinator calls them again (a replaced index 0 does).
    for (const member of this.members.values()) {
      member.channel.send({ t: 'bye' });
      member.channel.end();
    }
    this.members.clear();
  }

  /**
   * News of a join or an arrival goes out at once when none went out in the last window, and a burst is
   * gathered into one frame per member per window: O(N) frames per burst rather than one per pod.
   */
  private seen(index: number): void {
    this.onSeen(index);
    if (!this.announce) return;
    this.unannounced.add(index);
    if (this.cancelAnnounce !== undefined) return;
    const wait = Math.max(0, this.lastAnnounce + ANNOUNCE_WINDOW_MS - this.clock.now());
    this.cancelAnnounce = this.clock.after(wait, () => this.flushSeen());
  }

  private flushSeen(): void {
    this.cancelAnnounce = undefined;
    this.lastAnnounce = this.clock.now();
    const indexes = [...this.unannounced];
    this.unannounced.clear();
    // Only a member still checking its peers has anything to kick; one that has arrived is done with them.
    const arrived = this.state('start').arrived;
    const checking = [...this.members].filter(([index]) => !arrived.has(index)).map(([, member]) => member);
    for (let start = 0; start < indexes.length; start += MAX_SEEN) {
      const chunk = indexes.slice(start, start + MAX_SEEN);
      for (const member of checking) member.channel.send({ t: 'seen', indexes: chunk });
    }
  }

  private sendRelease(barrier: string, index: number, state: BarrierState): void {
    const roster = this.roster(barrier, state);
    this.members.get(index)?.channel.send({ t: 'release', barrier, ...(roster === undefined ? {} : { roster }) });
  }

  private ack(barrier: string, index: number): void {
    const state = this.barriers.get(barrier);
    if (state === undefined || !state.release.settled) return;
    state.acked.set(index, this.members.get(index)?.gen ?? '');
    this.noteAck(state);
  }

  private noteNudge(member: Member, index: number, port: number, token: string): void {
    if (member.nudge !== undefined) this.tokens.delete(member.nudge.token);
    member.nudge = { address: member.channel.remoteAddress, port, token };
    this.tokens.set(token, index);
  }

  private datagramAck(token: string, barrier: string): void {
    const index = this.tokens.get(token);
    if (index !== undefined) this.ack(barrier, index);
  }

  /**
   * While any member has not acked a release, it gets the release again by datagram each interval: a
   * lost datagram costs one interval, where a lost segment costs TCP a retransmission timeout that
   * doubles with each loss. Acks normally come first, and then nothing is sent at all.
   */
  private scheduleNudges(): void {
    if (this.cancelNudges !== undefined || this.closing) return;
    this.cancelNudges = this.clock.after(NUDGE_INTERVAL_MS, () => {
      this.cancelNudges = undefined;
      if (this.nudgeUnacked()) this.scheduleNudges();
    });
  }

  /** Whether anyone is still unacked (and worth another round). */
  private nudgeUnacked(): boolean {
    let unacked = false;
    for (const [barrier, state] of this.barriers) {
      if (!awaitingAcks(state, this.size)) continue;
      const roster = this.roster(barrier, state);
      for (const [index, { nudge }] of this.members) {
        if (state.acked.has(index) || nudge === undefined) continue;
        // Tokens are all one length: a release that does not fit for one member fits for none.
        if (!this.datagrams.send(nudge.address, nudge.port, { t: 'release', barrier, token: nudge.token, ...(roster === undefined ? {} : { roster }) })) break;
        unacked = true;
      }
    }
    return unacked;
  }

  private noteAck(state: BarrierState): void {
    if (state.release.settled && state.acked.size >= this.size - 1) state.allAcked.resolve();
  }

  /** Each index's own addresses, for a star's members (who checked nobody but index 0) in a group small enough. */
  private roster(barrier: string, state: BarrierState): string[][] | undefined {
    if (barrier !== 'start' || this.topology !== 'star' || this.size > ROSTER_LIMIT) return undefined;
    return Array.from({ length: this.size }, (_, index) => state.arrived.get(index) ?? []);
  }

  /**
   * Runs on the progress timer. A release or an ack lost on a lossy link would otherwise wait out TCP's
   * exponential retransmission backoff (tens of seconds); re-sending to whoever has not acked recovers
   * in a round trip, since later segments let TCP fast-retransmit the lost one.
   */
  private tick(): void {
    this.broadcastProgress();
    for (const [barrier, state] of this.barriers) {
      if (!awaitingAcks(state, this.size)) continue;
      for (const index of this.members.keys()) if (!state.acked.has(index)) this.sendRelease(barrier, index, state);
    }
  }

  private broadcastProgress(): void {
    for (const barrier of this.dirty) {
      const state = this.state(barrier);
      if (state.release.settled) continue;
      const { ready, missing } = this.view(barrier);
      for (const member of this.members.values()) member.channel.send({ t: 'progress', barrier, ready, missing });
    }
    this.dirty.clear();
  }

  private state(barrier: string): BarrierState {
    return entryOf(this.barriers, barrier, () => ({ arrived: new Map(), acked: new Map(), release: new Deferred(), allAcked: new Deferred() }));
  }
}

/** Released, and some member has not confirmed it (a group's barriers pile up; most need nothing more). */
function awaitingAcks(state: BarrierState, size: number): boolean {
  return state.release.settled && state.acked.size < size - 1;
}
