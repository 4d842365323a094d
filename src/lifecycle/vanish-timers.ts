import type { Clock } from '../time/clock.js';
import { KeyedTimers } from '../time/keyed-timers.js';

/**
 * A pod whose session closed counts as vanished once nothing has been heard from it for `afterMs`,
 * unless a session with it is back first. Counting from the last thing heard, not from the close, makes
 * a silent cut (the heartbeat already waited out the silence) and a reset (a crash, a blip) one rule:
 * a dead node is known at once after the silence, and a blip has the whole window to reconnect.
 */
export class VanishTimers {
  private readonly timers: KeyedTimers<number>;

  constructor(
    private readonly afterMs: number,
    private readonly clock: Clock,
    private readonly onVanished: (index: number) => void,
  ) {
    this.timers = new KeyedTimers(clock);
  }

  left(index: number, lastHeardAt: number): void {
    this.timers.set(index, Math.max(0, lastHeardAt + this.afterMs - this.clock.now()), () => this.onVanished(index));
  }

  back(index: number): void {
    this.timers.cancel(index);
  }

  clear(): void {
    this.timers.clear();
  }
}
