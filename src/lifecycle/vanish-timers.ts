import type { Cancel, Clock } from '../time/clock.js';

/**
 * A pod whose session closed counts as vanished once nothing has been heard from it for `afterMs`,
 * unless a session with it is back first. Counting from the last thing heard, not from the close, makes
 * a silent cut (the heartbeat already waited out the silence) and a reset (a crash, a blip) one rule:
 * a dead node is known at once after the silence, and a blip has the whole window to reconnect.
 */
export class VanishTimers {
  private readonly timers = new Map<number, Cancel>();

  constructor(
    private readonly afterMs: number,
    private readonly clock: Clock,
    private readonly onVanished: (index: number) => void,
  ) {}

  left(index: number, lastHeardAt: number): void {
    this.back(index);
    const wait = Math.max(0, lastHeardAt + this.afterMs - this.clock.now());
    this.timers.set(
      index,
      this.clock.after(wait, () => {
        this.timers.delete(index);
        this.onVanished(index);
      }),
    );
  }

  back(index: number): void {
    this.timers.get(index)?.();
    this.timers.delete(index);
  }

  clear(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
