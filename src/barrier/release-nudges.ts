import type { Cancel, Clock } from '../time/clock.js';
import type { DatagramSender, OnDatagramAck } from '../transport/release-datagrams.js';
import type { ReleaseFields } from '../transport/wire-format.js';

/** A member that has not acked its release gets it again by datagram this often, at a fixed pace. */
const NUDGE_INTERVAL_MS = 100;

/** A release some members have not confirmed: what to send, and to whom. */
export interface Unacked {
  barrier: string;
  fields: ReleaseFields;
  indexes: number[];
}

/** Where a member's datagram ear is, and the token a datagram must carry to count there. */
interface Ear {
  index: number;
  address: string;
  port: number;
}

/**
 * Index 0's releases by datagram. While any member has not acked a release, it gets the release again
 * by datagram each interval: a lost datagram costs one interval, where a lost segment costs TCP a
 * retransmission timeout that doubles with each loss. Acks normally come first, and then nothing is sent.
 */
export class ReleaseNudges {
  /** Each member's ear, by the token it gave over its authenticated session. */
  private readonly ears = new Map<string, Ear>();
  private readonly datagrams: DatagramSender;
  private cancel: Cancel | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    openDatagrams: (onAck: OnDatagramAck) => DatagramSender,
    /** A datagram ack: `index` has the release of `barrier`. */
    onAck: (barrier: string, index: number) => void,
    private readonly unacked: () => Unacked[],
  ) {
    this.datagrams = openDatagrams((token, barrier) => {
      const ear = this.ears.get(token);
      if (ear !== undefined) onAck(barrier, ear.index);
    });
  }

  /** A member's session said where its ear is; an earlier one of the same session is forgotten. */
  listen(index: number, address: string, port: number, token: string, previous: string | undefined): void {
    if (previous !== undefined) this.forget(previous);
    this.ears.set(token, { index, address, port });
  }

  forget(token: string): void {
    this.ears.delete(token);
  }

  /** Starts nudging, unless it is already going: it stops by itself once nobody is unacked. */
  schedule(): void {
    if (this.cancel !== undefined || this.closed) return;
    this.cancel = this.clock.after(NUDGE_INTERVAL_MS, () => {
      this.cancel = undefined;
      if (this.nudge()) this.schedule();
    });
  }

  close(): void {
    this.closed = true;
    this.cancel?.();
    this.datagrams.close();
  }

  /** Sends each unacked release once; whether anyone was still unacked (and worth another round). */
  private nudge(): boolean {
    const byIndex = new Map([...this.ears].map(([token, ear]) => [ear.index, { ...ear, token }]));
    let unacked = false;
    for (const { barrier, fields, indexes } of this.unacked()) {
      for (const index of indexes) {
        const ear = byIndex.get(index);
        if (ear === undefined) continue;
        // Tokens are all one length: a release that does not fit for one member fits for none.
        if (!this.datagrams.send(ear.address, ear.port, { t: 'release', barrier, token: ear.token, ...fields })) break;
        unacked = true;
      }
    }
    return unacked;
  }
}
