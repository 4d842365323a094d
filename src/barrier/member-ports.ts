import type { MissingReasonCode } from '../errors.js';
import type { Stop } from '../lifecycle/outcome.js';
import type { Clock } from '../time/clock.js';
import type { OnRelease } from '../transport/release-datagrams.js';
import type { Session } from '../transport/session.js';

// What a member is wired to: its way to index 0, its datagram socket, and where what index 0 says goes.

/** A session to index 0, and which pod of index 0 it is with. */
export interface CoordinatorSession {
  session: Session;
  gen: string;
}

/** One series of attempts to reach index 0 (a PeerCheck at the edge): retried until a session is made. */
export interface Connection {
  /** Resolves with a session to index 0; rejects only when `signal` aborts. */
  run(signal: AbortSignal): Promise<CoordinatorSession>;
  /** Index 0 just showed up: cut the backoff short. */
  kick(): void;
  /** Why there is no session yet. */
  readonly reason: MissingReasonCode;
  readonly detail: string | undefined;
}

/** A session's datagram socket: where releases by datagram reach this member, and the token they carry. */
export interface DatagramEar {
  readonly port: number;
  readonly token: string;
  close(): void;
}

export interface MemberOptions {
  /** A fresh series of attempts to reach index 0, each time the session is lost. */
  connection(): Connection;
  /** Silence after which the session counts as gone. */
  sessionTimeoutMs: number;
  /** Opens the datagram ear beside a new session; undefined where no socket can be bound. */
  openDatagramEar(session: Session, onRelease: OnRelease): Promise<DatagramEar | undefined>;
  /** The coordinator saw this index join or arrive (mesh only). */
  onSeen(index: number): void;
  /** Index 0's verdict: a round is over. */
  onStop(stop: Stop): void;
  /** Index 0 says this index finished `round` already: a pod this one replaced ran it. */
  onDone(round: number): void;
  /** Nothing heard from index 0 for the session timeout and no session back, or a new pod in its place. */
  onCoordinatorLost(how: 'vanished' | 'replaced'): void;
  /** The verdict this pod holds on its current round, if it is stopped: a new index 0 learns the round from it. */
  verdict(): Stop | undefined;
  clock: Clock;
}
