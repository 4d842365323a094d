import type { NameResolver } from '../discovery/resolve.js';
import type { Deadline } from '../time/deadline.js';
import type { WireIdentity } from '../transport/authentication.js';
import { dialPeer } from '../transport/handshake.js';
import { MAX_FRAME_BYTES, type Role } from '../transport/wire-format.js';
import { ROSTER_LIMIT } from './release-book.js';
import type { PeerNames } from './peer-names.js';

export interface DialerOptions {
  port: number;
  own: WireIdentity;
  secret: string | undefined;
  resolver: NameResolver;
  names: PeerNames;
}

/**
 * Handshakes with a peer's rollcall: a probe that proves it is there, a member session with index 0, or
 * a session for another part (a remote launch).
 * Resolving the name and dialing share the attempt's one deadline.
 */
export class Dialer {
  constructor(private readonly options: DialerOptions) {}

  /**
   * A session goes to one address only: racing a session to each address of a
   * dual-stack or replaced pod would leave the coordinator holding the loser. With several addresses, a
   * probe handshake picks the live one first.
   */
  async session(index: number, signal: AbortSignal, deadline: Deadline, role: Exclude<Role, 'probe'> = 'member', known: readonly string[] = []) {
    let addresses = await this.options.resolver.resolve(this.options.names.lookup(index), signal, deadline).catch((error: unknown) => {
      // A cluster DNS replica can still hold "no such name" for a pod that has since arrived (a cache that
      // keeps it per name, planted by index 0's call-out before the pod started): the addresses the group
      // knows the pod by stand in, since the handshake proves who answers there.
      if (known.length === 0 || signal.aborted) throw error;
      return [...known];
    });
    if (addresses.length > 1) {
      const probe = await this.dial(index, addresses, 'probe', signal, deadline);
      probe.channel.end();
      addresses = [probe.address];
    }
    return this.dial(index, addresses, role, signal, deadline);
  }

  /** A probe handshake on all of `addresses` at once: the first that answers as `index` wins. */
  async probe(index: number, addresses: string[], signal: AbortSignal, deadline: Deadline): Promise<{ address: string; rttMs: number }> {
    const dialed = await this.dial(index, addresses, 'probe', signal, deadline);
    dialed.channel.end();
    return { address: dialed.address, rttMs: dialed.rttMs };
  }

  private dial(index: number, addresses: string[], role: Role, signal: AbortSignal, deadline: Deadline) {
    const { port, own, secret } = this.options;
    return dialPeer({
      addresses,
      port,
      own,
      secret,
      role,
      expectIndex: index,
      ...(index === own.index ? { expectGen: own.gen } : {}),
      deadline,
      signal,
      // Only the coordinator's release may carry the roster, and an elastic group's members (index ranges,
      // at worst every other index: 8 bytes a pod); every other frame stays small.
      maxFrameBytes: role === 'member' ? MAX_FRAME_BYTES + 64 * Math.min(own.size, ROSTER_LIMIT) * 8 + 8 * own.size : MAX_FRAME_BYTES,
    });
  }
}
