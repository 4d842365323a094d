import type { GroupFailure } from '../errors.js';
import type { StopFrame } from '../transport/wire-format.js';

/** How one pod's workload ended in one round. */
export interface WorkloadOutcome {
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL`), or null. */
  signal: string | null;
  /** How long it ran. */
  runMs: number;
}

/** Index 0's verdict on a round: it is over because of `failure`; `next` is the restart round, if one follows. */
export interface Stop {
  round: number;
  next: number | undefined;
  failure: Omit<GroupFailure, 'name'>;
}

export const succeeded = (outcome: Pick<WorkloadOutcome, 'exitCode' | 'signal'>): boolean => outcome.exitCode === 0 && outcome.signal === null;

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
