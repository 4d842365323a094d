import type { Session } from '../../src/transport/session.js';
import { parseFrame, type Frame } from '../../src/transport/wire-format.js';
import { SessionEnd } from '../support/session-end.js';
import type { Rng, SimClock } from './sim-clock.js';

/**
 * Lines already parsed: most frames repeat (beats, progress, acks), and the parser is the same function
 * on the same text, so its answer is kept, frozen (a role that changed a frame it was given would throw),
 * and shared. Bounded, so a long run cannot grow it without end.
 */
const parsed = new Map<string, Frame>();
const PARSED_KEPT = 4096;

function wire(frame: Frame): Frame {
  const line = JSON.stringify(frame);
  let known = parsed.get(line);
  if (known === undefined) {
    known = parseFrame(line);
    if (known === undefined) throw new Error(`the wire format refuses a frame a role sent: ${line}`);
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    parsed.set(line, deepFreeze(known));
  }
  return known;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** What the network needs to know of a pod: whether its process runs, and whether its link is cut. */
export interface Host {
  readonly id: string;
  readonly alive: boolean;
}

/**
 * The pod network of a simulated group. Sessions are TCP as the roles meet it: frames in order, each
 * after a latency the seed draws; a cut link holds what is sent (TCP retransmits) until it heals, and
 * tells neither end anything; a process that dies resets its sessions (the kernel's RST), which the peer
 * hears a latency later, if the link is up. Every frame goes through the wire format's own parser.
 */
export class SimNetwork {
  private readonly cut = new Set<string>();
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly clock: SimClock,
    private readonly rng: Rng,
  ) {}

  /** One way's delay: mostly under a millisecond, now and then a stall of tens. */
  latency(): number {
    return this.rng.chance(0.02) ? this.rng.int(5, 60) : 0.1 + this.rng.next();
  }

  up(a: Host, b: Host): boolean {
    return !this.cut.has(a.id) && !this.cut.has(b.id);
  }

  /** The pod's link is cut both ways: nothing in or out, and nobody is told. */
  partition(host: Host): void {
    this.cut.add(host.id);
  }

  heal(host: Host): void {
    this.cut.delete(host.id);
    for (const retry of [...this.waiting]) retry();
  }

  isCut(host: Host): boolean {
    return this.cut.has(host.id);
  }

  /** A connection between `a` (who dials) and `b`; both ends exist at once, as after a handshake. */
  connect(a: Host, b: Host): [SimSession, SimSession] {
    const ends = [new SimSession(this, a, '10.0.0.1'), new SimSession(this, b, '10.0.0.2')] as const;
    ends[0].peer = ends[1];
    ends[1].peer = ends[0];
    return [ends[0], ends[1]];
  }

  /**
   * Carries `deliver` from `from` to its peer in order behind what went before on the same way. What a
   * process wrote before it exited still arrives; what was in flight when it was killed is lost with the
   * reset, which itself (`reset`) gets through.
   */
  carry(from: SimSession, deliver: () => void, reset = false): void {
    const at = Math.max(from.lastDeliveryAt, this.clock.now() + this.latency());
    from.lastDeliveryAt = at;
    const attempt = () =>
      this.clock.at(Math.max(0, at - this.clock.now()), () => {
        const peer = from.peer as SimSession;
        if (from.resetting && !reset) return;
        if (!this.up(from.host, peer.host)) {
          // Held, as TCP holds it, until the link heals; in order, since later frames wait behind it.
          const retry = () => {
            this.waiting.delete(retry);
            from.lastDeliveryAt = Math.max(from.lastDeliveryAt, this.clock.now());
            this.carry(from, deliver, reset);
          };
          this.waiting.add(retry);
          return;
        }
        deliver();
      });
    attempt();
  }
}

export class SimSession extends SessionEnd implements Session {
  peer: SimSession | undefined;
  lastDeliveryAt = 0;
  /** Set while this end's reset is on its way to the peer, after its process died. */
  resetting = false;

  constructor(
    private readonly network: SimNetwork,
    readonly host: Host,
    readonly localAddress: string,
  ) {
    super();
  }

  get remoteAddress(): string {
    return this.peer?.localAddress ?? '';
  }

  send(frame: Frame): void {
    if (this.closed || !this.host.alive) return;
    const received = wire(frame);
    this.network.carry(this, () => this.peer?.receive(received));
  }

  /** After what was sent, the peer hears the end. */
  end(): void {
    if (this.closed) return;
    this.network.carry(this, () => this.peer?.drop());
    this.drop();
  }

  /** Dropped here now; the peer hears the reset a latency later, if its link lets it through. */
  destroy(): void {
    this.end();
  }

  /** The process died: the kernel resets the connection. */
  reset(): void {
    if (this.closed) return;
    this.resetting = true;
    this.network.carry(this, () => this.peer?.drop(), true);
    this.closed = true;
  }

  /** The node died with the process: nothing reaches the peer, whose end stays open (half-open). */
  vanish(): void {
    this.closed = true;
  }

  private receive(frame: Frame): void {
    if (this.host.alive) this.deliver(frame);
  }
}
