import type { GroupFailure } from '../group-failure.js';

/**
 * One pod as index 0 knows it: `missing` (not here yet) or `waiting` (here, the round not released),
 * `running`, `finished` (its workload succeeded), `failed` (its workload did not), `stalled`, `vanished`,
 * `replaced`, `stopped` (the round was stopped for someone else), `disconnected` (its session is gone, for
 * less than the session timeout so far); `outside` the round an elastic group runs without it; `unknown`
 * in a pod's own view, which knows little of the others.
 */
export type PodState = 'missing' | 'waiting' | 'running' | 'finished' | 'failed' | 'stalled' | 'vanished' | 'replaced' | 'stopped' | 'disconnected' | 'outside' | 'unknown';

export interface PodStatus {
  index: number;
  name: string;
  /** The address its session (or the check of it) came from, when known. */
  address: string | undefined;
  state: PodState;
  /** The round it is in: the group's, or the restart round it waits at; undefined where unknown. */
  round: number | undefined;
  /** How its workload ended this round, once it did (finished or failed). */
  exitCode: number | null | undefined;
  signal: string | null | undefined;
  /** Milliseconds since anything was last heard from it; undefined for the pod that answers, or never. */
  lastHeardMs: number | undefined;
  /** Milliseconds since its workload last reported progress this round; undefined when it has not. */
  lastProgressMs: number | undefined;
}

export interface GroupStatus {
  job: string;
  /** How many pods the group runs with: its size, or an elastic group's round's. */
  size: number;
  /** An elastic group's: its fewest and most pods, the round's members, and every round's size so far. */
  membership?: { min: number; max: number; members: number[]; rounds: { round: number; size: number }[] };
  /** Whose view this is: index 0's (it judges the group), or the asking pod's own when index 0 could not be asked. */
  view: 'index 0' | 'local';
  /** The index of the pod whose rollcall answered. */
  from: number;
  round: number;
  /** `waiting` for the group, a round `running`, every workload `finished`, or the round `stopped` by a failure. */
  phase: 'waiting' | 'running' | 'finished' | 'stopped';
  /** Why the round was stopped, and the restart round that follows (null: none). */
  verdict: { failure: GroupFailure; next: number | null } | undefined;
  pods: PodStatus[];
  /** Why this is not index 0's view. */
  note: string | undefined;
  /** Index 0's view of a round running or finished with no failure, every pod running or finished. */
  healthy: boolean;
}

/** A group is healthy only as index 0 sees it: a round with no failure, every pod of it running or finished. */
export function isHealthy(status: Pick<GroupStatus, 'view' | 'phase' | 'verdict' | 'pods'>): boolean {
  return (
    status.view === 'index 0' &&
    (status.phase === 'running' || status.phase === 'finished') &&
    status.verdict === undefined &&
    status.pods.every((pod) => pod.state === 'running' || pod.state === 'finished' || pod.state === 'outside')
  );
}
