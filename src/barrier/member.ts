import type { MissingReason } from '../errors.js';
import type { Dialed } from '../transport/handshake.js';
import { PeerCheck, type Schedule } from '../discovery/peer-check.js';
import { type Limiter } from '../discovery/limiter.js';
import { keepSessionAlive } from '../transport/heartbeat.js';
import { ReleaseReceiver, type OnRelease } from '../transport/release-datagrams.js';
import { Deferred, type BarrierRole, type BarrierView, type Release } from './role.js';

const RESEND_MS = 1000;

/**
 * A non-zero index's side: one session to the coordinator, re-established for as long as the group is
 * open (the coordinator may be replaced), over which it reports arrivals and hears releases.
 */
export class MemberSession implements BarrierRole {
  /** The current (re)connection attempt; its reason is why index 0 is missing. */
  connecting: PeerCheck<Dialed>;
  private current: Dialed | undefined;
  private readonly arrivals = new Map<string, string[]>();
  private readonly releases = new Map<string, Deferred<Release>>();
  private readonly views = new Map<string, BarrierView>();
  private readonly closed = new AbortController();

  constructor(
    private readonly coordinatorName: string,
    /** The rollcall port, whose UDP twin this pod's datagram socket takes when it is free. */
    private readonly port: number,
    private readonly dial: (signal: AbortSignal, timeoutMs: number) => Promise<Dialed>,
    private readonly schedule: Schedule,
    private readonly sessionTimeoutMs: number,
    private readonly limiter: Limiter,
    /** The coordinator saw this index join or arrive (mesh only). */
    private readonly onSeen: (index: number) => void,
  ) {
    this.connecting = this.newConnection();
  }

  /** Runs until close(); failures to connect are retried, never thrown. */
  start(signal: AbortSignal): void {
    const stop = AbortSignal.any([signal, this.closed.signal]);
    void (async () => {
      while (!stop.aborted) {
        try {
          if (this.dormant) await this.woken(stop);
          this.attach(await this.connecting.run(this.schedule, this.limiter, stop));
          await new Promise((resolve) => this.current?.channel.socket.once('close', resolve));
        } catch {
          // Only an abort ends run() or woken(); the loop condition sees it.
        }
        if (this.current !== undefined) this.lost = true;
        this.current = undefined;
        this.connecting = this.newConnection();
      }
    })();
  }

  get connected(): boolean {
    return this.current !== undefined;
  }

  /** Why the coordinator is missing: once it was here, that it left says more than the reconnect's errors. */
  get missingReason(): { reason: MissingReason; detail: string | undefined } {
    return this.lost ? { reason: 'left the group', detail: undefined } : { reason: this.connecting.reason, detail: this.connecting.detail };
  }

  private lost = false;

  /** The coordinator just showed up (it dialled us): stop waiting out the backoff, or wake up. */
  kick(): void {
    this.dormant = false;
    this.wake?.();
    this.connecting.kick();
  }

  /**
   * After the coordinator said goodbye, polling its name for as long as this pod runs would load the
   * cluster DNS for nothing: a coordinator that comes back (a replaced index 0) dials us, and that wakes us.
   */
  private dormant = false;
  private wake: (() => void) | undefined;

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

  arrive(barrier: string, addrs: string[]): void {
    this.arrivals.set(barrier, addrs);
    this.current?.channel.send({ t: 'arrive', barrier, addrs });
  }

  released(barrier: string): Promise<Release> {
    return this.release(barrier).promise;
  }

  view(barrier: string): BarrierView | undefined {
    return this.views.get(barrier);
  }

  async close(): Promise<void> {
    this.closed.abort();
    this.current?.channel.socket.end();
  }

  private newConnection(): PeerCheck<Dialed> {
    return new PeerCheck(0, this.coordinatorName, this.dial, (dialed) => dialed.channel.socket.destroy());
  }

  private attach(dialed: Dialed): void {
    this.current = dialed;
    // An arrival lost on a lossy link is re-sent until the release comes (the coordinator ignores repeats).
    const resend = setInterval(() => {
      for (const [barrier, addrs] of this.arrivals) if (!this.release(barrier).settled) dialed.channel.send({ t: 'arrive', barrier, addrs });
    }, RESEND_MS);
    dialed.channel.socket.once('close', () => clearInterval(resend));
    keepSessionAlive(dialed.channel, this.sessionTimeoutMs);
    const released: OnRelease = (barrier, roster) => {
      this.release(barrier).resolve({ roster });
      dialed.channel.send({ t: 'ack', barrier });
    };
    dialed.channel.onFrame((frame) => {
      if (frame.t === 'release') {
        released(frame.barrier, frame.roster);
      } else if (frame.t === 'progress') {
        this.views.set(frame.barrier, { ready: frame.ready, missing: frame.missing });
      } else if (frame.t === 'seen') {
        for (const index of frame.indexes) this.onSeen(index);
      } else if (frame.t === 'bye') {
        this.dormant = true;
      } else if (frame.t !== 'beat') {
        dialed.channel.socket.destroy();
      }
    });
    // A new coordinator (or the old one after a blip) knows nothing: tell it everything again.
    for (const [barrier, addrs] of this.arrivals) dialed.channel.send({ t: 'arrive', barrier, addrs });
    void this.listenForDatagrams(dialed, released);
  }

  /** Opens this session's datagram ear beside its own address and tells the coordinator where it is. */
  private async listenForDatagrams(dialed: Dialed, released: OnRelease): Promise<void> {
    const socket = dialed.channel.socket;
    const receiver = await ReleaseReceiver.open(socket.localAddress ?? '', this.port, released);
    if (receiver === undefined) return;
    if (socket.destroyed) return receiver.close();
    socket.once('close', () => receiver.close());
    dialed.channel.send({ t: 'nudge', port: receiver.port, token: receiver.token });
  }

  private release(barrier: string): Deferred<Release> {
    let deferred = this.releases.get(barrier);
    if (deferred === undefined) {
      deferred = new Deferred();
      this.releases.set(barrier, deferred);
    }
    return deferred;
  }
}
