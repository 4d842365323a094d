import { formatDuration } from '../time/duration.js';
import type { FailureHow, StopFrame } from '../transport/wire-format.js';

export type { FailureHow };

/** How one pod's workload ended in one round. */
export interface WorkloadOutcome {
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL`), or null. */
  signal: string | null;
  /** How long it ran. */
  runMs: number;
}

/** The first failure of a round: which pod, how, and how long into the round. */
export interface GroupFailure {
  index: number;
  /** The pod's name, `<job>-<i>.<subdomain>`. */
  name: string;
  how: FailureHow;
  exitCode: number | null;
  signal: string | null;
  /** For an exit or a signal, how long the workload ran; for a vanished or replaced pod, how long into the round it went. */
  afterMs: number;
}

/** Index 0's verdict on a round: it is over because of `failure`; `next` is the restart round, if one follows. */
export interface Stop {
  round: number;
  next: number | undefined;
  failure: Omit<GroupFailure, 'name'>;
}

export const succeeded = (outcome: Pick<WorkloadOutcome, 'exitCode' | 'signal'>): boolean => outcome.exitCode === 0 && outcome.signal === null;

/** "exit 1", "SIGKILL", "vanished", "replaced by a newer pod". */
export function describeHow(failure: Pick<GroupFailure, 'how' | 'exitCode' | 'signal'>): string {
  switch (failure.how) {
    case 'exit':
      return `exit ${failure.exitCode ?? '?'}`;
    case 'signal':
      return failure.signal ?? 'a signal';
    case 'vanished':
      return 'vanished';
    case 'replaced':
      return 'replaced by a newer pod';
  }
}

export function describeFailure(failure: GroupFailure): string {
  return `${failure.name} failed (${describeHow(failure)}) after ${formatDuration(failure.afterMs)}`;
}

export function stopToFrame(stop: Stop): StopFrame {
  const { index, how, exitCode, signal, afterMs } = stop.failure;
  return { t: 'stop', round: stop.round, next: stop.next ?? null, index, how, exit: exitCode, signal, ms: Math.round(afterMs) };
}

export function stopFromFrame(frame: StopFrame): Stop {
  return {
    round: frame.round,
    next: frame.next ?? undefined,
    failure: { index: frame.index, how: frame.how, exitCode: frame.exit, signal: frame.signal, afterMs: frame.ms },
  };
}
