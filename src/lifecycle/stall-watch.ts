import type { Cancel, Clock } from '../time/clock.js';

/**
 * How often index 0 looks. A member's progress reaches it at most 250 ms after rollcall found it in the
 * file, itself at most 250 ms late, and never early: a stall is named within the timeout and 750 ms,
 * never before the timeout.
 */
const LOOK_EVERY_MS = 250;

/**
 * Index 0's watch over the workloads' progress in the running round. A pod counts only once it has
 * reported progress in the round (a workload that never reports is never called stalled), and only while
 * its workload runs; one silent for longer than the timeout is stalled. All the stalled pods of that
 * moment are named together, the longest silent first, and the watch ends until the next round.
 */
export class StallWatch {
  private readonly last = new Map<number, number>();
  /** Watched pods whose session is down: not judged until it is back, then watched from then. */
  private readonly away = new Set<number>();
  private stopLooking: Cancel | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly onStalled: (stalled: { index: number; silentMs: number }[]) => void,
  ) {}

  /** A round runs: nobody has reported progress in it yet. */
  begin(): void {
    this.end();
    this.stopLooking = this.clock.every(Math.min(LOOK_EVERY_MS, this.timeoutMs / 4), () => this.look());
  }

  progressed(index: number): void {
    if (this.stopLooking !== undefined) this.last.set(index, this.clock.now());
  }

  /** `index`'s workload ended: whatever it did, it is not stalled. */
  done(index: number): void {
    this.last.delete(index);
    this.away.delete(index);
  }

  /**
   * `index`'s session closed: its progress cannot be heard, so its silence is not judged (whether it is
   * gone is the vanish timer's to say).
   */
  lost(index: number): void {
    if (this.last.delete(index)) this.away.add(index);
  }

  /**
   * `index` is back. A pod watched before it went is watched again from now: a workload that hung just
   * before its link blipped, and never reports again, is still named, a timeout after it came back.
   */
  back(index: number): void {
    if (this.away.delete(index) && this.stopLooking !== undefined) this.last.set(index, this.clock.now());
  }

  end(): void {
    this.stopLooking?.();
    this.stopLooking = undefined;
    this.last.clear();
    this.away.clear();
  }

  private look(): void {
    const now = this.clock.now();
    const stalled = [...this.last]
      .filter(([, at]) => now - at > this.timeoutMs)
      .sort(([, a], [, b]) => a - b)
      .map(([index, at]) => ({ index, silentMs: now - at }));
    if (stalled.length === 0) return;
    this.end();
    this.onStalled(stalled);
  }
}
