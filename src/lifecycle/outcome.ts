import type { GroupFailure, StalledPod } from '../group-failure.js';
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

/**
 * Index 0's verdict on a round: it is over because of `failure`; `next` is the restart round, if one
 * follows; `used` the restarts used so far, this one included, where a membership change made them
 * fewer than the rounds (see `restartsUsed`).
 */
export interface Stop {
  round: number;
  next: number | undefined;
  used?: number;
  failure: Failure;
}

/** Restarts a verdict says are used: as given, else one per round (no membership change came before). */
export const restartsUsed = (stop: Stop): number => stop.used ?? stop.next ?? stop.round;

/** A verdict, saying how many restarts are used only where a membership change made it other than one per round. */
export function verdictOf(stop: Omit<Stop, 'used'>, used: number): Stop {
  return used === (stop.next ?? stop.round) ? stop : { ...stop, used };
}

/** The failure with every pod named. */
export function namedFailure(failure: Failure, nameOf: (index: number) => string): GroupFailure {
  const { stalled, ...rest } = failure;
  return { ...rest, name: nameOf(failure.index), ...(stalled === undefined ? {} : { stalled: stalled.map((pod) => ({ ...pod, name: nameOf(pod.index) })) }) };
}

export const succeeded = (outcome: Pick<WorkloadOutcome, 'exitCode' | 'signal'>): boolean => outcome.exitCode === 0 && outcome.signal === null;

export function stopToFrame(stop: Stop): StopFrame {
  const { index, how, exitCode, signal, afterMs, stalled, membership } = stop.failure;
  const frame: StopFrame = { t: 'stop', round: stop.round, next: stop.next ?? null, index, how, exit: exitCode, signal, ms: Math.round(afterMs) };
  if (stop.used !== undefined) frame.used = stop.used;
  if (membership === true) frame.membership = true;
  if (stalled !== undefined) frame.stalled = stalled.slice(0, MAX_STALLED).map((pod) => [pod.index, Math.round(pod.silentMs)]);
  return frame;
}

export function stopFromFrame(frame: StopFrame): Stop {
  return {
    round: frame.round,
    next: frame.next ?? undefined,
    ...(frame.used === undefined ? {} : { used: frame.used }),
    failure: {
      index: frame.index,
      how: frame.how,
      exitCode: frame.exit,
      signal: frame.signal,
      afterMs: frame.ms,
      ...(frame.stalled === undefined ? {} : { stalled: frame.stalled.map(([index, silentMs]) => ({ index, silentMs })) }),
      ...(frame.membership === true ? { membership: true as const } : {}),
    },
  };
}

/** How this pod's workload ended, as a caller reports it: an exit code or a signal. */
export interface OutcomeReport {
  /** 0 for success (the default when neither is given). */
  exitCode?: number | null;
  signal?: string | null;
  /** How long it ran; by default, since its round started. */
  runMs?: number;
}

/** A caller's report, checked, as the wire carries it; neither code nor signal means success. */
export function normalizeOutcome(report: OutcomeReport, defaultRunMs: number): WorkloadOutcome {
  const { exitCode, signal = null, runMs = defaultRunMs } = report;
  if (exitCode !== undefined && exitCode !== null && (!Number.isSafeInteger(exitCode) || exitCode < 0 || exitCode > 255)) {
    throw new TypeError(`Expected \`exitCode\` to be an integer from 0 to 255 or null, got ${String(exitCode)}`);
  }
  if (signal !== null && (typeof signal !== 'string' || !/^SIG[A-Z0-9]{1,12}$/.test(signal))) {
    throw new TypeError(`Expected \`signal\` to be a signal name such as "SIGTERM", got ${JSON.stringify(signal)}`);
  }
  if (!Number.isFinite(runMs) || runMs < 0) throw new TypeError(`Expected \`runMs\` to be a non-negative number, got ${String(runMs)}`);
  return { exitCode: exitCode ?? (signal === null ? 0 : null), signal, runMs };
}
