import type { GroupFailure, StalledPod } from '../errors.js';
import { MAX_STALLED, type StopFrame } from '../transport/wire-format.js';

/** How one pod's workload ended in one round. */
export interface WorkloadOutcome {
  /** The exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL`), or null. */
  signal: string | null;
  /** How long it ran. */
  runMs: number;
}

/** A failure as index 0 judges it: by index alone (each pod names them itself). */
export type Failure = Omit<GroupFailure, 'name' | 'stalled'> & { stalled?: Omit<StalledPod, 'name'>[] };

/** Index 0's verdict on a round: it is over because of `failure`; `next` is the restart round, if one follows. */
export interface Stop {
  round: number;
  next: number | undefined;
  failure: Failure;
}

/** The failure with every pod named. */
export function namedFailure(failure: Failure, nameOf: (index: number) => string): GroupFailure {
  const { stalled, ...rest } = failure;
  return { ...rest, name: nameOf(failure.index), ...(stalled === undefined ? {} : { stalled: stalled.map((pod) => ({ ...pod, name: nameOf(pod.index) })) }) };
}

export const succeeded = (outcome: Pick<WorkloadOutcome, 'exitCode' | 'signal'>): boolean => outcome.exitCode === 0 && outcome.signal === null;

export function stopToFrame(stop: Stop): StopFrame {
  const { index, how, exitCode, signal, afterMs, stalled } = stop.failure;
  const frame: StopFrame = { t: 'stop', round: stop.round, next: stop.next ?? null, index, how, exit: exitCode, signal, ms: Math.round(afterMs) };
  if (stalled !== undefined) frame.stalled = stalled.slice(0, MAX_STALLED).map((pod) => [pod.index, Math.round(pod.silentMs)]);
  return frame;
}

export function stopFromFrame(frame: StopFrame): Stop {
  return {
    round: frame.round,
    next: frame.next ?? undefined,
    failure: {
      index: frame.index,
      how: frame.how,
      exitCode: frame.exit,
      signal: frame.signal,
      afterMs: frame.ms,
      ...(frame.stalled === undefined ? {} : { stalled: frame.stalled.map(([index, silentMs]) => ({ index, silentMs })) }),
    },
  };
}
