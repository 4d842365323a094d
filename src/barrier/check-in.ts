import type { Topology } from './options.js';
import type { AbortFanout } from '../time/abort-fanout.js';
import type { Clock } from '../time/clock.js';
import { withDeadline } from '../time/deadline.js';
import type { PeerChecks } from './peer-checks.js';
import type { BarrierRole, Release } from './role.js';

export interface CheckIn {
  self: number;
  size: number;
  topology: Topology;
  checks: PeerChecks;
  role: BarrierRole;
  /** Every check runs under it, and stops with it. */
  fanout: AbortFanout;
  signal: AbortSignal;
  timeoutMs: number;
  clock: Clock;
}

/**
 * This pod's way to the start barrier: its own name first (nobody dials anyone before its own name
 * resolves, so a pod that has joined index 0 or sent a hello has a name that resolves, and the plain
 * question for it is safe to ask), then the role starts, index 0 calls out, the peers its topology asks
 * for are checked, and it arrives. Resolves with the release, and when its own checks had passed.
 */
export async function checkIn({ self, size, topology, checks, role, fanout, signal, timeoutMs, clock }: CheckIn): Promise<{ release: Release; checkedAt: number }> {
  // In a mesh a member asks for a peer's name only once that peer is known to be up (index 0 saw it
  // join): N² names on a blind schedule would be the cluster DNS's whole load.
  const peers = topology === 'mesh' ? Array.from({ length: size }, (_, index) => index).filter((index) => index !== self) : [];
  for (const index of peers.filter((peer) => role.waitsForNewsOf(peer))) checks.awaitNews(index);
  const own = await fanout.run((aborted) => checks.run(self, aborted));
  role.start?.(signal);
  checks.callOut(role.callsOutTo(), fanout);
  await Promise.all(
    peers.map((index) =>
      fanout.run(async (aborted) => {
        if (role.waitsForNewsOf(index)) await withDeadline(checks.up(index), timeoutMs, () => aborted.reason, aborted, clock);
        return checks.run(index, aborted);
      }),
    ),
  );
  const checkedAt = clock.now();
  role.arrive('start', own.addresses.slice(0, 8));
  return { release: await role.released('start'), checkedAt };
}
