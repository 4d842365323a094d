import { formatDuration } from './time/duration.js';

// A round's first failure as every pod names it: in verdicts, status, logs and PeerFailedError.

/**
 * How a pod failed: its workload exited non-zero or on a signal, the pod vanished or was replaced, or its
 * workload still ran but reported no progress for the stall timeout. In an elastic group, `joined`: a pod
 * the running round did not count came, and the group grows.
 */
export type FailureHow = 'exit' | 'signal' | 'vanished' | 'replaced' | 'stalled' | 'joined';

/** A pod whose workload has reported no progress for `silentMs`. */
export interface StalledPod {
  index: number;
  name: string;
  silentMs: number;
}

/** The first failure of a round: which pod, how, and how long into the round. */
export interface GroupFailure {
  index: number;
  /** The pod's name, `<job>-<i>.<subdomain>`. */
  name: string;
  how: FailureHow;
  exitCode: number | null;
  signal: string | null;
  /** For an exit or a signal, how long the workload ran; for a vanished, replaced or stalled pod, how long into the round it went. */
  afterMs: number;
  /** For a stall: every pod stalled at that moment, the longest silent first (this failure's own pod). */
  stalled?: StalledPod[];
  /**
   * An elastic group's membership changes: the restart round that follows runs in place at the new size
   * and uses none of the restarts.
   */
  membership?: true;
}

/** "exit 1", "SIGKILL", "vanished", "replaced by a newer pod", "stalled: no progress for 12s; also …". */
export function describeHow(failure: Pick<GroupFailure, 'how' | 'exitCode' | 'signal' | 'stalled'>): string {
  switch (failure.how) {
    case 'exit':
      return `exit ${failure.exitCode ?? '?'}`;
    case 'signal':
      return failure.signal ?? 'a signal';
    case 'vanished':
      return 'vanished';
    case 'replaced':
      return 'replaced by a newer pod';
    case 'joined':
      return 'joined';
    case 'stalled': {
      const [first, ...others] = failure.stalled ?? [];
      const also = others.length === 0 ? '' : `; also stalled: ${others.map((pod) => `${pod.name} for ${formatDuration(pod.silentMs)}`).join(', ')}`;
      return `stalled: no progress for ${first === undefined ? 'the stall timeout' : formatDuration(first.silentMs)}${also}`;
    }
  }
}

export function describeFailure(failure: GroupFailure): string {
  if (failure.how === 'joined') return `${failure.name} joined after ${formatDuration(failure.afterMs)}`;
  return `${failure.name} failed (${describeHow(failure)}) after ${formatDuration(failure.afterMs)}`;
}
