import type { MissingReasonCode } from '../errors.js';
import type { Session } from '../transport/session.js';
import type { Hello } from '../transport/wire-format.js';
import type { WorkloadOutcome } from '../lifecycle/outcome.js';
import type { GroupStatus } from '../lifecycle/group-status.js';

/**
 * What a pod learns when a barrier opens: for the start barrier, each index's own addresses when the group
 * is small; in an elastic group, the members a round's barrier released, in order.
 */
export interface Release {
  roster: string[][] | undefined;
  members?: readonly number[] | undefined;
  /** An elastic round's: the restarts used before it. */
  used?: number | undefined;
}

/** The coordinator's view of one barrier, as every pod can report it. */
export interface BarrierView {
  ready: number;
  /** Missing indexes with the coordinator's reason (the first 32). */
  missing: [number, MissingReasonCode][];
}

/** A peer this pod has no session with, that it needs one with: a member's index 0. */
export interface MissingLink {
  index: number;
  reason: MissingReasonCode;
  detail: string | undefined;
}

/** Index 0 plays the coordinator; every other index a member. Both look the same to waitForPeers. */
export interface BarrierRole {
  /** Starts whatever runs on its own (a member's connection to index 0) until close() or the signal. */
  start?(signal: AbortSignal): void;
  /** A peer's handshake reached this pod's listener: it is up (a member waiting on index 0 retries at once). */
  heardFrom?(index: number, gen: string): void;
  /** The sessions this role takes from peers, by the role their hello names: index 0 takes members'. */
  readonly sessions: { member?: (session: Session, hello: Hello) => void };
  /** The peers this pod needs a session with and has none (a member's index 0). */
  missingLinks?(): MissingLink[];
  arrive(barrier: string, addrs: string[]): void;
  released(barrier: string): Promise<Release>;
  view(barrier: string): BarrierView | undefined;
  /** Whether a question about `index`'s name is speculative: index 0 asking for a member that has not shown up. */
  speculatesAbout(index: number): boolean;
  /** Whether this pod checks `index` only once index 0 has said it is up (a mesh member's peers). */
  waitsForNewsOf(index: number): boolean;
  /** The members this pod dials before they join, to say why they are missing (index 0 in a star). */
  callsOutTo(): number[];
  /** Whether index 0 is there to judge outcomes: not once it has said goodbye (it finished and left). */
  readonly refereed: boolean;
  /** This pod's workload ended in `round`: index 0 judges it. */
  report(round: number, outcome: WorkloadOutcome): void;
  /** This pod's workload reported progress in `round`: index 0 watches for stalls. */
  progressed(round: number): void;
  /** This pod got `signal` and is leaving the group while in `round`: index 0 judges it. */
  leaving(round: number, signal: string): void;
  close(timeoutMs: number): Promise<void>;
  /** The group as this role knows it: index 0's view, which only index 0 has. */
  status?(job: string, nameOf: (index: number) => string, ownAddress: string | undefined): GroupStatus;
  /** A member's session to index 0: whether it is up, and when index 0 was last heard from. */
  link?(): { connected: boolean; heardAt: number | undefined };
}


export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.resolve = (value) => {
        this.settled = true;
        resolve(value);
      };
    });
  }
}

/** The entry for `key`, made the first time it is asked for: a barrier's state, its release. */
export function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
