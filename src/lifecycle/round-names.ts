import { isValidBarrierName } from '../transport/wire-format.js';

/**
 * Rounds are barriers with fixed names: round 0 starts at the start barrier, restart round k at
 * `round-<k>` (every pod arrives only once its previous workload is gone), and a round's exit barrier is
 * `finish-<k>` (every pod arrives once its workload succeeded).
 */
export const roundBarrier = (round: number): string => (round === 0 ? 'start' : `round-${round}`);

export const finishBarrier = (round: number): string => `finish-${round}`;

/** The round a barrier starts, or undefined for any other barrier. */
export function roundStartedBy(barrier: string): number | undefined {
  if (barrier === 'start') return 0;
  const match = /^round-(\d{1,6})$/.exec(barrier);
  return match === null ? undefined : Number(match[1]);
}

export const isFinishBarrier = (barrier: string): boolean => /^finish-\d{1,6}$/.test(barrier);

/** Names a caller may not use for a barrier of its own: the rounds' own. */
export const isReservedBarrier = (barrier: string): boolean => roundStartedBy(barrier) !== undefined || isFinishBarrier(barrier);

/** A caller's own barrier name is checked where it is given: a TypeError, as for any bad argument. */
export function assertCallerBarrierName(name: string): void {
  if (!isValidBarrierName(name) || isReservedBarrier(name)) {
    throw new TypeError(`Expected a barrier name of 1 to 64 letters, digits, "_", ".", ":" or "-", other than "start", "round-<k>" or "finish-<k>"; got ${JSON.stringify(name)}`);
  }
}
