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
  logger: Logger;
  /** Where the first failure is written for `kubectl describe pod`. */
  onGroupFailed(error: PeerFailedError): void;
}

/**
 * Carries one pod through the group's rounds: runs the workload, reports how it ended, waits at the
 * exit barrier after a success, and on a failure anywhere stops it and joins the restart round index 0
 * calls, or ends. The pod whose failure came first exits with its workload's own code; every other with 75.
 */
export async function superviseRounds(group: Group, options: SuperviseOptions): Promise<number> {
  const { logger } = options;
  for (;;) {
    const { round, signal } = group;
    let own: WorkloadOutcome | undefined;
    if (!signal.aborted) {
      logger.line(`${options.describe}${round > 0 ? ` (restart round ${round})` : ''}`, { event: 'running', round });
      const run = await options.runRound(round, signal);
      if (!run.stopped) {
        own = run.outcome;
        group.report(own);
      }
    }
    if (own !== undefined && succeeded(own)) {
      await group.exitBarrier();
      if (!signal.aborted) return 0;
    } else if (own !== undefined) {
      // Index 0 judges at once; a member that lost index 0 learns of it within the session timeout.
      await new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve, { once: true })));
    }
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
        await group.nextRound();
        continue;
      } catch (error) {
        logger.line(`restart round ${stop.next} did not start: ${error instanceof Error ? error.message : String(error)}`, { event: 'restart-failed', round: stop.next }, 'error');
        options.onGroupFailed(error instanceof PeerFailedError ? error : stop);
        return failedHere ? exitCodeOf(own as WorkloadOutcome) : stalledHere(stop, group.index) ? STALLED_EXIT : PEER_FAILED_EXIT;
      }
    }
    options.onGroupFailed(stop);
    return failedHere ? exitCodeOf(own as WorkloadOutcome) : stalledHere(stop, group.index) ? STALLED_EXIT : PEER_FAILED_EXIT;
  }
}

/**
 * Whether this pod's stall stopped the round: the one silent longest. Others stalled with it are named
 * too, but a pod blocked in a collective that the first never joined is a consequence, and exits 75.
 */
const stalledHere = (stop: PeerFailedError, index: number) => stop.failure.how === 'stalled' && stop.failure.index === index;
