import type { Limiter } from '../discovery/limiter.js';
import { PeerCheck, type Schedule } from '../discovery/peer-check.js';
import type { Stop, WorkloadOutcome } from '../lifecycle/outcome.js';
import type { DatagramSender, OnDatagramAck, OnRelease } from '../transport/release-datagrams.js';
import type { Session } from '../transport/session.js';
import type { Clock } from '../time/clock.js';
import { Coordinator } from './coordinator.js';
import type { Deadline } from '../time/deadline.js';
import type { CoordinatorSession, DatagramEar } from './member-ports.js';
import { Member } from './member.js';
import { DEFAULTS, type Config } from './options.js';
import type { PeerChecks } from './peer-checks.js';
import type { PeerNames } from './peer-names.js';
import type { BarrierRole } from './role.js';

/**
 * The datagram sockets beside the sessions (a port of the roles: real UDP sockets in a pod, none in the
 * simulator): index 0's sender of releases, and a member's ear for them beside each session.
 */
export interface DatagramPorts {
  sender(onAck: OnDatagramAck): DatagramSender;
  ear(session: Session, onRelease: OnRelease): Promise<DatagramEar | undefined>;
}

export interface RoleWiring {
  config: Pick<Config, 'identity' | 'topology' | 'sessionTimeoutMs' | 'restarts' | 'lastCallMs' | 'fatalExitCodes' | 'stallTimeoutMs'>;
  names: PeerNames;
  checks: Pick<PeerChecks, 'reasonFor' | 'seen' | 'present'>;
  /** A member's way to index 0 (the dialer's handshake in a pod): a session, and which pod answered. */
  dialer: { session(index: 0, signal: AbortSignal, deadline: Deadline): Promise<{ channel: Session; peerGen: string }> };
  datagrams: DatagramPorts;
  limiter: Limiter;
  schedule: Schedule;
  clock: Clock;
  /** The backoff's jitter: Math.random in a pod, a seeded draw in the simulator. */
  random(): number;
  onStop(stop: Stop): void;
  onDone(round: number): void;
  onCoordinatorLost(how: 'vanished' | 'replaced'): void;
  verdict(): Stop | undefined;
  onAllFinished(round: number, outcomes: ReadonlyMap<number, WorkloadOutcome>): void;
}

/** The one place index 0 and a member part ways: everything that differs afterwards is the role's. */
export function chooseRole(wiring: RoleWiring): BarrierRole {
  const { config, names, checks, dialer, datagrams, limiter, schedule, clock, random } = wiring;
  const { identity } = config;
  if (identity.index === 0) {
    return new Coordinator({
      size: identity.membership.size,
      min: identity.membership.min,
      lastCallMs: config.lastCallMs,
      topology: config.topology,
      sessionTimeoutMs: config.sessionTimeoutMs,
      progressIntervalMs: progressInterval(identity.membership.size),
      reasonFor: (index) => checks.reasonFor(index),
      onSeen: (index) => checks.seen(index),
      restarts: config.restarts,
      fatalExitCodes: config.fatalExitCodes,
      stallTimeoutMs: config.stallTimeoutMs,
      onStop: wiring.onStop,
      onAllFinished: wiring.onAllFinished,
      clock,
      openDatagrams: (onAck) => datagrams.sender(onAck),
    });
  }
  return new Member({
    connection: () =>
      new PeerCheck<CoordinatorSession>({
        index: 0,
        name: names.short(0),
        attempt: async (signal, deadline) => {
          const { channel, peerGen } = await dialer.session(0, signal, deadline);
          return { session: channel, gen: peerGen };
        },
        dispose: ({ session }) => session.destroy(),
        schedule,
        limiter,
        clock,
        random,
      }),
    sessionTimeoutMs: config.sessionTimeoutMs,
    openDatagramEar: (session, onRelease) => datagrams.ear(session, onRelease),
    onSeen: (index) => checks.present(index),
    onStop: wiring.onStop,
    onCoordinatorLost: wiring.onCoordinatorLost,
    onDone: wiring.onDone,
    verdict: wiring.verdict,
    clock,
  });
}

/** Progress goes to every member each interval: at thousands of pods, less often (2 s at 10,000). */
function progressInterval(size: number): number {
  return Math.max(DEFAULTS.progressIntervalMs, Math.round(size / 5));
}
