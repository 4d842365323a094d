import { succeeded, namedFailure, type Stop, type WorkloadOutcome } from '../lifecycle/outcome.js';
import { isHealthy, type GroupStatus, type PodState, type PodStatus } from '../lifecycle/group-status.js';
import type { Standing } from '../lifecycle/referee.js';
import type { FailureHow } from '../group-failure.js';
import type { Peer } from './group.js';
import type { MembershipStatus } from './round-membership.js';

/** What index 0 holds that `rollcall status` shows: the referee's standing, and each member's session. */
export interface StatusSources {
  job: string;
  size: number;
  nameOf(index: number): string;
  standing: Standing;
  /** Whether the group has been released at all (the start barrier). */
  started: boolean;
  /** Who is at the barrier the group waits at now: the start's before the release, the restart round's after a stop (none when no round follows). */
  arrivedAt(barrier: 'start' | 'next'): ReadonlySet<number>;
  /** The address of a member's current session, if it has one (index 0 has none). */
  sessionAddress(index: number): string | undefined;
  /** When a member was last heard from, on this session or its last one, on the referee's clock. */
  heardAt(index: number): number | undefined;
  /** The addresses a pod gave as its own when it arrived at the start barrier. */
  ownAddresses(index: number): readonly string[] | undefined;
  ownAddress: string | undefined;
  now: number;
  /** An elastic group's membership; undefined for a fixed group. */
  membership: MembershipStatus | undefined;
}

const FAILED_AS: Record<FailureHow, PodState> = { exit: 'failed', signal: 'failed', vanished: 'vanished', replaced: 'replaced', stalled: 'stalled', joined: 'waiting' };

/** The group as index 0 knows it. */
export function coordinatorStatus(sources: StatusSources): GroupStatus {
  const { standing, now } = sources;
  // The referee keeps a verdict only while its round stands stopped.
  const { verdict } = standing;
  const pods = Array.from({ length: sources.size }, (_, index): PodStatus => {
    const session = sources.sessionAddress(index);
    const heardAt = index === 0 ? undefined : sources.heardAt(index);
    const outcome = standing.outcomes.get(index);
    const progressAt = standing.progressAt.get(index);
    return {
      index,
      name: sources.nameOf(index),
      address: index === 0 ? sources.ownAddress : (sources.ownAddresses(index)?.[0] ?? session),
      state: stateOf(index, sources, verdict, session !== undefined),
      round: verdict?.next !== undefined && sources.arrivedAt('next').has(index) ? verdict.next : standing.round,
      exitCode: outcome?.exitCode,
      signal: outcome?.signal,
      lastHeardMs: heardAt === undefined ? undefined : Math.round(now - heardAt),
      lastProgressMs: progressAt === undefined ? undefined : Math.round(now - progressAt),
    };
  });
  const phase = !sources.started ? 'waiting' : verdict !== undefined ? 'stopped' : standing.phase === 'running' ? 'running' : 'finished';
  const { membership } = sources;
  const status = {
    job: sources.job,
    size: membership?.members.length ?? sources.size,
    ...(membership === undefined ? {} : { membership }),
    view: 'index 0' as const,
    from: 0,
    round: standing.round,
    phase,
    verdict: verdict === undefined ? undefined : { failure: namedFailure(verdict.failure, sources.nameOf), next: verdict.next ?? null },
    pods,
    note: undefined,
  } satisfies Omit<GroupStatus, 'healthy'>;
  return { ...status, healthy: isHealthy(status) };
}

function stateOf(index: number, sources: StatusSources, verdict: Stop | undefined, connected: boolean): PodState {
  const here = index === 0 || connected;
  if (!sources.started) return here || sources.arrivedAt('start').has(index) ? 'waiting' : 'missing';
  const outside = sources.membership !== undefined && !sources.membership.members.includes(index);
  if (outside && (verdict === undefined || verdict.failure.index !== index)) return here || sources.arrivedAt('next').has(index) ? 'waiting' : 'outside';
  if (verdict !== undefined) return judgedState(index, verdict) ?? (sources.arrivedAt('next').has(index) ? 'waiting' : 'stopped');
  const outcome = sources.standing.outcomes.get(index);
  if (outcome !== undefined) return succeeded(outcome) ? 'finished' : 'failed';
  return here ? 'running' : 'disconnected';
}

/** What a verdict says of `index`: the failure named, one stalled with it, or nothing. */
function judgedState(index: number, verdict: Stop): PodState | undefined {
  if (verdict.failure.index === index) return FAILED_AS[verdict.failure.how];
  return verdict.failure.stalled?.some((pod) => pod.index === index) === true ? 'stalled' : undefined;
}

/** What a member knows on its own when index 0 cannot be asked. */
export interface LocalSources {
  job: string;
  self: number;
  peers: readonly Pick<Peer, 'index' | 'name' | 'address' | 'addresses'>[];
  round: number;
  verdict: Stop | undefined;
  /** This pod's own workload's outcome this round, once reported. */
  own: WorkloadOutcome | undefined;
  coordinator: { connected: boolean; lastHeardMs: number | undefined };
  note: string;
}

/**
 * A member's own view: itself as it knows itself, index 0 as its session to it stands, the others by
 * name and address only. Never healthy: only index 0 can say the group is.
 */
export function localStatus(sources: LocalSources): GroupStatus {
  const { verdict, own } = sources;
  const stateOfSelf = (): PodState => (verdict !== undefined ? (judgedState(sources.self, verdict) ?? 'stopped') : own === undefined ? 'running' : succeeded(own) ? 'finished' : 'failed');
  const pods = sources.peers.map((peer): PodStatus => {
    const self = peer.index === sources.self;
    const zero = peer.index === 0;
    return {
      index: peer.index,
      name: peer.name,
      address: peer.address ?? peer.addresses[0],
      state: self ? stateOfSelf() : zero ? (sources.coordinator.connected ? 'unknown' : 'disconnected') : 'unknown',
      round: self ? sources.round : undefined,
      exitCode: self ? own?.exitCode : undefined,
      signal: self ? own?.signal : undefined,
      lastHeardMs: zero ? sources.coordinator.lastHeardMs : undefined,
      lastProgressMs: undefined,
    };
  });
  return {
    job: sources.job,
    size: pods.length,
    view: 'local',
    from: sources.self,
    round: sources.round,
    phase: verdict === undefined ? 'running' : 'stopped',
    verdict: verdict === undefined ? undefined : { failure: namedFailure(verdict.failure, (index) => sources.peers[index]?.name ?? `index ${index}`), next: verdict.next ?? null },
    pods,
    note: sources.note,
    healthy: false,
  };
}
