import type { MissingReasonCode } from '../errors.js';
import type { Stop, WorkloadOutcome } from '../lifecycle/outcome.js';
import type { Clock } from '../time/clock.js';
import type { DatagramSender, OnDatagramAck } from '../transport/release-datagrams.js';
import type { Topology } from './options.js';

// What index 0's coordinator is wired to: the group's settings, its clock and datagram socket, and where
// what it decides goes.

export interface CoordinatorOptions {
  size: number;
  /** The fewest pods a round may run with: below `size`, the group is elastic. */
  min: number;
  /** An elastic round's last call: how long it waits for a newcomer once `min` are there. */
  lastCallMs: number;
  topology: Topology;
  /** Silence after which a member's session counts as gone. */
  sessionTimeoutMs: number;
  /** How often progress goes out to the members while a barrier waits. */
  progressIntervalMs: number;
  /** Why an index has not arrived, as this pod's own check of it tells. */
  reasonFor(index: number): MissingReasonCode;
  /** A pod joined or arrived: it is running and its own record resolves for it. */
  onSeen(index: number): void;
  clock: Clock;
  /** The datagram sockets that carry releases; acks come back through `onAck`. */
  openDatagrams(onAck: OnDatagramAck): DatagramSender;
  /** Gang restarts the group may use in all (index 0 counts them for everyone). */
  restarts: number;
  /** Exit codes that end the group at once. */
  fatalExitCodes: ReadonlySet<number>;
  /** A workload silent this long after reporting progress is stalled (index 0's setting counts); 0: off. */
  stallTimeoutMs: number;
  /** A round is over: index 0's own workload must stop too. Every member has been told. */
  onStop(stop: Stop): void;
  /** Every member's workload of `round` succeeded: each member's outcome, by index. */
  onAllFinished(round: number, outcomes: ReadonlyMap<number, WorkloadOutcome>): void;
}
