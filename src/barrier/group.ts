import type { PartPlace } from '../identity/membership.js';
import type { OutcomeReport } from '../lifecycle/outcome.js';

export type { OutcomeReport } from '../lifecycle/outcome.js';
import type { GroupStatus } from '../lifecycle/group-status.js';
import type { PeerConnection, Topology } from './options.js';

export interface Peer {
  index: number;
  /** `<hostname>.<subdomain>` (`<job>-<i>.<subdomain>`), as the task page names it. */
  name: string;
  /** In a group across the Jobs of a JobSet: the pod's part (replicatedJob) and its index within it. */
  part: PartPlace | undefined;
  /** `<job>-<i>.<subdomain>.<ns>.svc.<domain>` when namespace and domain are known. */
  fqdn: string | undefined;
  /** Every address the name resolved to (from this pod's check, or the coordinator's roster). */
  addresses: string[];
  /** The address that answered this pod's probe, when this pod probed the peer. */
  address: string | undefined;
  /** The last probe's round trip from this pod, when this pod probed the peer. */
  rttMs: number | undefined;
}

export interface BarrierOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}


export interface CloseOptions extends OutcomeReport {
  /** Overrides `exitTimeoutMs` for this close; 0 leaves without waiting for the others. */
  exitTimeoutMs?: number;
}

export interface Group {
  /** This pod's index in the group (its Job's completion index, or its rank across a JobSet's Jobs). */
  index: number;
  /** How many pods run this round: the group's size, or in an elastic group how many the round released with. */
  readonly size: number;
  /** The indexes of this round's pods, in rank order: every index, unless the group is elastic. */
  readonly members: readonly number[];
  /**
   * This pod's rank this round, its place in `members` (RANK, dense from 0): its index, unless the group is
   * elastic. Undefined when the round released without this pod (it came late; the group grows next round).
   */
  readonly rank: number | undefined;
  jobName: string;
  topology: Topology;
  self: Peer;
  peers: Peer[];
  /** Milliseconds from the call: until this pod's own checks passed, and until the group released. */
  timings: { checksMs: number; releaseMs: number };
  /** Synchronises the same group again (a checkpoint), with the same guarantees. */
  barrier(name: string, options?: BarrierOptions): Promise<void>;
  /** The round this pod runs: 0, and k after k gang restarts. Index 0 counts for everyone. */
  readonly round: number;
  /**
   * This pod's index finished this round before this pod joined: the pod it replaced ran its workload to
   * success and then went (its node lost, say). Run nothing; `close()` waits at the exit barrier with
   * everyone, and the index's success stands.
   */
  readonly done: boolean;
  /**
   * Aborts when the group stops this round, with a PeerFailedError naming the first failure (which
   * pod, how, after how long) and whether a restart round follows (`next`).
   */
  readonly signal: AbortSignal;
  /** Tells the group how this pod's workload ended this round; a failure stops every other pod's. Once a round. */
  report(outcome?: OutcomeReport): void;
  /**
   * This pod's workload is making progress (a training step done). With a stall timeout set, a pod that
   * has said so once in a round and then not for the timeout, while its workload runs, is stalled: a
   * failure that stops the round. Cheap enough to call every step.
   */
  progress(): void;
  /**
   * The exit barrier: after this pod's workload succeeded, resolves true once every pod's has (index 0,
   * and what it hosts, outlives them all), false when it timed out or the round was stopped first.
   */
  exitBarrier(timeoutMs?: number): Promise<boolean>;
  /**
   * After a stop with a restart to follow, waits until every pod's old workload is gone and releases the
   * next round together; resolves with its number. Rejects with the stop's PeerFailedError when no round
   * follows, and with PeersTimeoutError when the round does not assemble in time.
   */
  nextRound(): Promise<number>;
  /**
   * Reports success (unless an outcome was reported or is given), waits at the exit barrier, then closes
   * the listener once every peer has confirmed its releases (bounded by closeTimeoutMs).
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * This pod is leaving on a signal (the kubelet's SIGTERM when its pod is deleted or its node drained):
   * tells index 0, which stops the round naming this pod (`how: 'signal'`) unless every workload has
   * finished (between rounds nothing changes: its replacement joins the restart round), then closes
   * without waiting at the exit barrier. Report the workload's outcome first, if it has one.
   */
  leave(signal: string): Promise<void>;
  /**
   * An authenticated connection to `index`'s rollcall for a part beside the barrier (a remote launch):
   * its name resolved and dialed now, in one attempt (every pod of a released group is up), the lookup
   * and the handshake bounded by the connection-attempt deadline each. When the name does not resolve
   * (a DNS cache still holding "no such name" from before the pod started), the addresses in `peers`.
   */
  connect(index: number, role: 'launch', options?: { signal?: AbortSignal }): Promise<PeerConnection & { address: string }>;
  /**
   * The group as index 0 knows it (each pod's state, address, last heard from, last progress; the round
   * and any verdict), asked of index 0 over an authenticated session. When index 0 cannot be asked, this
   * pod's own view, with a note saying why; `healthy` is then false.
   */
  status(): Promise<GroupStatus>;
}
