import { constants } from 'node:os';
import type { Group } from '../barrier/group.js';
import { PeerFailedError } from '../errors.js';
import { succeeded, type WorkloadOutcome } from '../lifecycle/outcome.js';
import type { Logger } from './logger.js';
import { exitCodeOf, type WorkloadRun } from './workload.js';

/** A pod whose workload was stopped (or never started) because another pod failed exits with this (EX_TEMPFAIL). */
export const PEER_FAILED_EXIT = 75;
/** The pod whose stall stopped the round (no progress for the stall timeout) exits with this, as timeout(1) does. */
export const STALLED_EXIT = 124;

export interface SuperviseOptions {
  /** What runs in each round, for the log: the command, or what `rollcall serve` does. */
  describe: string;
  /** Runs this pod's part of `round` until it ends on its own or `stop` aborts (the group stopped it). */
  runRound(round: number, stop: AbortSignal): Promise<WorkloadRun>;
  /**
   * Aborts, with the signal's name as its reason, when this pod got a signal (its pod deleted, its node
   * drained): it starts nothing more, waits for nothing more, and leaves once its workload has ended.
   */
  leave: AbortSignal;
  logger: Logger;
  /** Where the first failure, or why this pod left, is written for `kubectl describe pod`. */
  onGroupFailed(message: string): void;
}

/**
 * Carries one pod through the group's rounds: runs the workload, reports how it ended, waits at the
 * exit barrier after a success, and on a failure anywhere stops it and joins the restart round index 0
 * calls, or ends. The pod whose failure came first exits with its workload's own code; every other with 75.
 * A pod that got a signal leaves as soon as its workload has ended (the workload got the signal too),
 * telling index 0, with the code its workload had.
 */
export async function superviseRounds(group: Group, options: SuperviseOptions): Promise<number> {
  const { logger, leave } = options;
  const orLeave = <T>(work: Promise<T>): Promise<T | undefined> => {
    // Abandoned when the pod leaves: however it ends then, nobody waits for it.
    work.catch(() => {});
    // Its listener goes with the wait: a group that runs round after round adds none that stay.
    let stopListening = () => {};
    const left = new Promise<undefined>((resolve) => {
      if (leave.aborted) return resolve(undefined);
      const onLeave = () => resolve(undefined);
      leave.addEventListener('abort', onLeave, { once: true });
      stopListening = () => leave.removeEventListener('abort', onLeave);
    });
    return Promise.race([work, left]).finally(stopListening);
  };
  // An elastic group's rounds may each run with a different number of pods: each change is said.
  let size = group.size;
  for (;;) {
    const { round, signal } = group;
    const membership = group.size === size ? '' : `; membership ${size} → ${group.size}`;
    size = group.size;
    let own: WorkloadOutcome | undefined;
    if (group.done) {
      const why =
        group.rank === undefined
          ? "the group's workloads are finishing without this pod (an elastic group no longer grows then): it runs nothing"
          : `this index finished ${round > 0 ? `restart round ${round}` : 'the workload'} before this pod joined (the pod it replaced ran it): it is not run again`;
      logger.line(why, { event: 'done-before', round });
      own = { exitCode: 0, signal: null, runMs: 0 };
    } else if (group.rank === undefined) {
      // An elastic round released without this pod: it runs nothing in it, and waits with the others at
      // its end, unless the group grows by it first.
      own = { exitCode: 0, signal: null, runMs: 0 };
    } else if (!signal.aborted && !leave.aborted) {
      logger.line(`${options.describe}${round > 0 ? ` (restart round ${round}${membership})` : ''}`, { event: 'running', round, size: group.size });
      const run = await options.runRound(round, signal);
      if (!run.stopped) {
        own = run.outcome;
        // A workload that failed as this pod got a signal (it got the signal too) is not the cause: the
        // pod's leaving is, which index 0 hears next. In an elastic group that is a change of membership.
        if (succeeded(own) || !leave.aborted) group.report(own);
      }
    }
    if (own !== undefined && succeeded(own)) {
      await orLeave(group.exitBarrier());
      if (!signal.aborted && !leave.aborted) return 0;
    } else if (own !== undefined) {
      // Index 0 judges at once; a member that lost index 0 learns of it within the session timeout.
      await orLeave(aborted(signal));
    }
    if (leave.aborted) return leaving(group, own, options);
    const stop = signal.reason as PeerFailedError;
    // Only the first failure keeps its own code: a workload that failed after it (its collective broke
    // when the first pod went) is a consequence, and exits 75 like the ones that were stopped.
    const failedHere = own !== undefined && !succeeded(own) && stop.failure.index === group.index;
    if (own !== undefined && !succeeded(own) && !failedHere) {
      const then = stop.next === undefined ? `exiting ${PEER_FAILED_EXIT}` : `restart round ${stop.next} follows`;
      logger.line(`this workload ended with ${exitCodeOf(own)} after ${stop.failure.name} had failed: ${then}`, { event: 'failed-after-peer', exitCode: exitCodeOf(own) });
    }
    if (stop.next !== undefined) {
      logger.line(`restart round ${stop.next}: this pod's workload is gone; waiting for every other pod's`, { event: 'restart-round', round: stop.next });
      try {
        await orLeave(group.nextRound());
        if (leave.aborted) return leaving(group, own, options);
        continue;
      } catch (error) {
        logger.line(`restart round ${stop.next} did not start: ${error instanceof Error ? error.message : String(error)}`, { event: 'restart-failed', round: stop.next }, 'error');
        options.onGroupFailed((error instanceof PeerFailedError ? error : stop).message);
        return groupEndCode(stop, own, group.index);
      }
    }
    options.onGroupFailed(stop.message);
    return groupEndCode(stop, own, group.index);
  }
}

/**
 * This pod leaves on a signal, with the code it would have had anyway: the group's verdict when the round
 * was stopped, else its workload's own (0 at the exit barrier), else the shell's 128 + the signal.
 */
async function leaving(group: Group, own: WorkloadOutcome | undefined, { leave, logger, onGroupFailed }: SuperviseOptions): Promise<number> {
  const signal = leave.reason as NodeJS.Signals;
  const stop = group.signal.aborted ? (group.signal.reason as PeerFailedError) : undefined;
  const code = stop !== undefined ? groupEndCode(stop, own, group.index) : own !== undefined ? exitCodeOf(own) : 128 + constants.signals[signal];
  const message = `received ${signal}: leaving the group${own === undefined ? '' : ` (this workload ended with ${exitCodeOf(own)})`}, exiting ${code}`;
  logger.line(message, { event: 'leaving', signal, exitCode: code });
  onGroupFailed(message);
  await group.leave(signal);
  return code;
}

/** The code a pod exits with when the group ends on `stop`: the first failure its own, a stall 124, the rest 75. */
function groupEndCode(stop: PeerFailedError, own: WorkloadOutcome | undefined, index: number): number {
  if (own !== undefined && !succeeded(own) && stop.failure.index === index) return exitCodeOf(own);
  return stalledHere(stop, index) ? STALLED_EXIT : PEER_FAILED_EXIT;
}

const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

/**
 * Whether this pod's stall stopped the round: the one silent longest. Others stalled with it are named
 * too, but a pod blocked in a collective that the first never joined is a consequence, and exits 75.
 */
const stalledHere = (stop: PeerFailedError, index: number) => stop.failure.how === 'stalled' && stop.failure.index === index;
