import { systemClock, type Clock, type Cancel } from '../time/clock.js';
import { plainAddress } from './address.js';

/**
 * A flood of foreign connections must not flood the log: the first refusal of each kind is logged with
 * its reason and where it came from, repeats are only counted, and the count is logged once an interval.
 */
export class RefusalLog {
  private readonly repeats = new Map<string, { count: number; cancel: Cancel }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  note(reason: string, remote: string): void {
    const seen = this.repeats.get(reason);
    if (seen !== undefined) {
      seen.count += 1;
      return;
    }
    this.log(`refused ${plainAddress(remote)}: ${reason}`);
    const entry = {
      count: 0,
      cancel: this.clock.after(this.intervalMs, () => {
        this.repeats.delete(reason);
        if (entry.count > 0) this.log(`refused ${entry.count} more connections: ${reason}`);
      }),
    };
    this.repeats.set(reason, entry);
  }

  /** Stops the summaries: what was counted and not yet logged is dropped, and counting starts afresh. */
  close(): void {
    for (const { cancel } of this.repeats.values()) cancel();
    this.repeats.clear();
  }
}
