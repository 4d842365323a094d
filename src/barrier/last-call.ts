import type { Cancel, Clock } from '../time/clock.js';

/**
 * An elastic round's last calls, one per barrier: once the fewest pods a round may run with are there,
 * and every pod that is here has arrived, the barrier opens after `ms` with no newcomer. A newcomer holds
 * it (it is here and has not arrived: the call is cancelled), and its arrival calls again from then.
 */
export class LastCalls {
  private readonly timers = new Map<string, Cancel>();

  constructor(
    private readonly ms: number,
    private readonly clock: Clock,
    private readonly due: (barrier: string) => void,
  ) {}

  /** The barrier may open after the last call: from now, unless a call is running already. */
  call(barrier: string): void {
    if (this.timers.has(barrier)) return;
    this.timers.set(
      barrier,
      this.clock.after(this.ms, () => {
        this.timers.delete(barrier);
        this.due(barrier);
      }),
    );
  }

  cancel(barrier: string): void {
    this.timers.get(barrier)?.();
    this.timers.delete(barrier);
  }

  close(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
