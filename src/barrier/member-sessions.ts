import type { Session } from '../transport/session.js';
import type { Hello } from '../transport/wire-format.js';

/** A member as index 0 holds it: its pod's generation and its session. */
export interface MemberSession {
  gen: string;
  channel: Session;
  /** When anything was last heard from it, on the coordinator's clock. */
  heardAt: number;
  /** The token of its datagram ear, once it said where that is. */
  ear?: string;
}

/**
 * Index 0's member sessions, one per index: a newer pod replaces an older one, and a new session from the
 * same pod replaces its previous one (which may be half-open after a network blip). It remembers who was
 * here and went, and each index's last generation, so that a different one joining is a replacement.
 *
 * Newer means later in the order index 0 met them, not a clock: Kubernetes starts a pod at an index only
 * once its predecessor has failed or is terminating, so a pod never seen here is the newest, and a pod
 * once displaced stays displaced (a predecessor back from a cut-off node is refused). Nodes' clocks are
 * never compared.
 */
export class MemberSessions {
  private readonly members = new Map<number, MemberSession>();
  private readonly departed = new Set<number>();
  private readonly generations = new Map<number, string>();
  /** `index/gen` of each pod displaced by a newer one at its index. */
  private readonly superseded = new Set<string>();
  /** When a pod whose session closed was last heard from: what a status shows of a pod that went. */
  private readonly lastHeard = new Map<number, number>();

  /**
   * Takes the session of `hello`'s pod, or refuses it (undefined) when a newer pod has displaced it.
   * `replacing` says whether it is a different pod from the last one seen at the index.
   */
  admit(channel: Session, hello: Hello, now: number): { member: MemberSession; replacing: boolean } | undefined {
    if (this.superseded.has(`${hello.index}/${hello.gen}`)) {
      channel.send({ t: 'refuse', reason: `superseded by a newer pod with index ${hello.index}` });
      channel.end();
      return undefined;
    }
    const existing = this.members.get(hello.index);
    if (existing !== undefined) {
      this.members.delete(hello.index);
      existing.channel.destroy();
    }
    const member: MemberSession = { gen: hello.gen, channel, heardAt: now };
    this.members.set(hello.index, member);
    this.departed.delete(hello.index);
    const previous = this.generations.get(hello.index);
    this.generations.set(hello.index, hello.gen);
    const replacing = previous !== undefined && previous !== hello.gen;
    if (replacing) this.superseded.add(`${hello.index}/${previous}`);
    return { member, replacing };
  }

  /** The session of `member` closed; whether it was still the index's current one (then the pod has left). */
  closed(index: number, member: MemberSession): boolean {
    if (this.members.get(index) !== member) return false;
    this.members.delete(index);
    this.lastHeard.set(index, member.heardAt);
    this.departed.add(index);
    return true;
  }

  get(index: number): MemberSession | undefined {
    return this.members.get(index);
  }

  /** When anything was last heard from `index`'s pod, over its current session or its last one. */
  heardAt(index: number): number | undefined {
    return this.members.get(index)?.heardAt ?? this.lastHeard.get(index);
  }

  has(index: number): boolean {
    return this.members.has(index);
  }

  left(index: number): boolean {
    return this.departed.has(index);
  }

  indexes(): number[] {
    return [...this.members.keys()];
  }

  entries(): [number, MemberSession][] {
    return [...this.members];
  }

  /** Sends a frame down every member's session. */
  broadcast(frame: Parameters<Session['send']>[0]): void {
    for (const member of this.members.values()) member.channel.send(frame);
  }

  /** Resolves once every member has hung up. */
  allHungUp(): Promise<void> {
    return Promise.all([...this.members.values()].map((member) => new Promise<void>((resolve) => member.channel.onClose(resolve)))).then(() => {});
  }

  /** Index 0 is leaving: members stop calling back until a coordinator calls them again (a replaced index 0 does). */
  dismiss(): void {
    this.broadcast({ t: 'bye' });
    for (const member of this.members.values()) member.channel.end();
    this.members.clear();
  }
}
