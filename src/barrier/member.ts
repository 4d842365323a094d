import type { Clock } from '../time/clock.js';
import { throttle } from '../time/throttle.js';
import { keepSessionAlive } from '../transport/heartbeat.js';
import type { OnRelease } from '../transport/release-datagrams.js';
import { decodeMembers } from '../transport/member-ranges.js';
import { routeFrames, type FrameRoutes, type Session } from '../transport/session.js';
import { stopFromFrame, stopToFrame, type WorkloadOutcome } from '../lifecycle/outcome.js';
import { VanishTimers } from '../lifecycle/vanish-timers.js';
import type { Connection, MemberOptions } from './member-ports.js';
import { Deferred, entryOf, type BarrierRole, type BarrierView, type MissingLink, type Release } from './role.js';

const RESEND_MS = 1000;
/**
 * Progress goes to index 0 at most this often: a training loop may report every step, and a thousand pods
 * doing so must not flood index 0. Index 0's view lags the truth by at most this, and never runs ahead.
 */
export const PROGRESS_EVERY_MS = 250;

/**
 * A non-zero index's side: one session to the coordinator, re-established for as long as the group is
 * open (the coordinator may be replaced), over which it reports arrivals and hears releases.
 */
export class Member implements BarrierRole {
  private connecting: Connection;
  private current: Session | undefined;
  /** The generation of the index 0 pod of the last session: a different one is its replacement. */
  private coordinatorGen: string | undefined;
  /** Every index 0 pod heard of: only one never heard of before can be a replacement, whatever the nodes' clocks say. */
  private readonly coordinators = new Set<string>();
  /** When anything was last heard from index 0, on this pod's clock. */
  private heardAt: number | undefined;
  /** It was connected once and lost the session: that it left says more than the reconnect's errors. */
  private lost = false;
  /**
   * After the coordinator said goodbye, polling its name for as long as this pod runs would load the
   * cluster DNS for nothing: a coordinator that comes back (a replaced index 0) dials us, and that wakes us.
   */
  private dormant = false;
  private wake: (() => void) | undefined;
  private readonly arrivals = new Map<string, string[]>();
  private readonly releases = new Map<string, Deferred<Release>>();
  private readonly views = new Map<string, BarrierView>();
  private readonly closed = new AbortController();
  private readonly clock: Clock;
  /** This pod's latest outcome, told again to every new session until the coordinator has judged it. */
  private outcome: { round: number; outcome: WorkloadOutcome } | undefined;
  private readonly vanish: VanishTimers;
  /** Progress to index 0, at most every PROGRESS_EVERY_MS, the latest never dropped. */
  private readonly alive: ReturnType<typeof throttle<number>>;

  constructor(private readonly options: MemberOptions) {
    this.clock = options.clock;
    this.connecting = options.connection();
    this.vanish = new VanishTimers(options.sessionTimeoutMs, this.clock, () => options.onCoordinatorLost('vanished'));
    this.alive = throttle(this.clock, PROGRESS_EVERY_MS, (round: number) => this.current?.send({ t: 'alive', round }));
  }

  /** Runs until close(); failures to connect are retried, never thrown. */
  start(signal: AbortSignal): void {
    const stop = AbortSignal.any([signal, this.closed.signal]);
    void (async () => {
      while (!stop.aborted) {
        try {
          if (this.dormant) await this.woken(stop);
          const { session, gen } = await this.connecting.run(stop);
          this.attach(session, gen);
          await new Promise<void>((resolve) => session.onClose(resolve));
        } catch {
          // Only an abort ends run() or woken(); the loop condition sees it.
        }
        if (this.current !== undefined) this.lost = true;
        this.current = undefined;
        this.connecting = this.options.connection();
      }
    })();
  }

  /**
   * Index 0 dialled us: it just showed up. Stop waiting out the backoff, or wake up. An index 0 pod never
   * heard of before is a replacement: the session is with a dead pod (half-open), so drop it; the session
   * that follows goes to whichever pod index 0's name leads to, and the other is older from then on (a
   * predecessor back from a cut-off node dials in vain).
   */
  heardFrom(index: number, gen: string): void {
    if (index !== 0) return;
    if (!this.coordinators.has(gen)) {
      this.coordinators.add(gen);
      if (this.coordinatorGen !== undefined) this.current?.destroy();
    }
    this.dormant = false;
    this.wake?.();
    this.connecting.kick();
  }

  link(): { connected: boolean; heardAt: number | undefined } {
    return { connected: this.current !== undefined, heardAt: this.heardAt };
  }

  missingLinks(): MissingLink[] {
    if (this.current !== undefined) return [];
    return [this.lost ? { index: 0, reason: 'left', detail: undefined } : { index: 0, reason: this.connecting.reason, detail: this.connecting.detail }];
  }

  arrive(barrier: string, addrs: string[]): void {
    this.arrivals.set(barrier, addrs);
    this.current?.send({ t: 'arrive', barrier, addrs });
  }

  released(barrier: string): Promise<Release> {
    return this.release(barrier).promise;
  }

  view(barrier: string): BarrierView | undefined {
    return this.views.get(barrier);
  }

  /** What index 0 may send on the session; `released` is that session's release (it also acks). */
  private readonly routes: FrameRoutes<OnRelease> = {
    release: (frame, released) => released(frame.barrier, frame),
    progress: (frame) => this.views.set(frame.barrier, { ready: frame.ready, missing: frame.missing }),
    seen: (frame) => frame.indexes.forEach((index) => this.options.onSeen(index)),
    bye: () => (this.dormant = true),
    stop: (frame) => this.options.onStop(stopFromFrame(frame)),
    done: (frame) => this.options.onDone(frame.round),
    beat: () => {},
  };

  /** Members take no sessions: index 0 is the other end of everyone's. */
  readonly sessions = {};

  get refereed(): boolean {
    return !this.dormant;
  }

  speculatesAbout(): boolean {
    return false;
  }

  /** A member asks for a peer other than index 0 only once index 0 has seen it join. */
  waitsForNewsOf(index: number): boolean {
    return index !== 0;
  }

  callsOutTo(): number[] {
    return [];
  }

  report(round: number, outcome: WorkloadOutcome): void {
    this.outcome = { round, outcome };
    this.current?.send(outcomeFrame(round, outcome));
  }

  progressed(round: number): void {
    this.alive.call(round);
  }

  /** Said once, on the session there is: a pod that is leaving does not wait for a new one. */
  leaving(round: number, signal: string): void {
    this.current?.send({ t: 'leaving', round, signal });
  }

  async close(): Promise<void> {
    this.alive.cancel();
    this.closed.abort();
    this.vanish.clear();
    this.current?.end();
  }

  private woken(stop: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(stop.reason);
      stop.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        stop.removeEventListener('abort', onAbort);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private attach(session: Session, gen: string): void {
    const replaced = this.coordinatorGen !== undefined && gen !== this.coordinatorGen;
    this.coordinatorGen = gen;
    this.coordinators.add(gen);
    this.current = session;
    this.vanish.back(0);
    // Judged before anything is told: the new index 0 hears the verdict first, then the arrivals it explains.
    if (replaced) this.options.onCoordinatorLost('replaced');
    let heardAt = this.clock.now();
    this.heardAt = heardAt;
    session.onActivity(() => (this.heardAt = heardAt = this.clock.now()));
    // After a goodbye, or once this pod is closing, index 0's silence means nothing.
    session.onClose(() => {
      if (!this.dormant && !this.closed.signal.aborted) this.vanish.left(0, heardAt);
    });
    // An arrival lost on a lossy link is re-sent until the release comes (the coordinator ignores repeats).
    const stopResending = this.clock.every(RESEND_MS, () => {
      for (const [barrier, addrs] of this.arrivals) if (!this.release(barrier).settled) session.send({ t: 'arrive', barrier, addrs });
    });
    session.onClose(stopResending);
    keepSessionAlive(session, this.options.sessionTimeoutMs, this.clock);
    const released: OnRelease = (barrier, { roster, members, used }) => {
      this.release(barrier).resolve({ roster, members: members === undefined ? undefined : decodeMembers(members), used });
      session.send({ t: 'ack', barrier });
    };
    routeFrames(session, this.routes, released);
    // A new coordinator (or the old one after a blip) knows nothing: tell it everything again.
    const verdict = this.options.verdict();
    if (verdict !== undefined) session.send(stopToFrame(verdict));
    for (const [barrier, addrs] of this.arrivals) session.send({ t: 'arrive', barrier, addrs });
    if (this.outcome !== undefined) session.send(outcomeFrame(this.outcome.round, this.outcome.outcome));
    void this.listenForDatagrams(session, released);
  }

  /** Opens this session's datagram ear and tells the coordinator where it is and what token to carry. */
  private async listenForDatagrams(session: Session, released: OnRelease): Promise<void> {
    const ear = await this.options.openDatagramEar(session, released);
    if (ear === undefined) return;
    if (session.closed) return ear.close();
    session.onClose(() => ear.close());
    session.send({ t: 'nudge', port: ear.port, token: ear.token });
  }

  private release(barrier: string): Deferred<Release> {
    return entryOf(this.releases, barrier, () => new Deferred<Release>());
  }
}

function outcomeFrame(round: number, outcome: WorkloadOutcome) {
  return { t: 'outcome' as const, round, exit: outcome.exitCode, signal: outcome.signal, ms: Math.round(outcome.runMs) };
}
