import type { Cancel, Clock } from './clock.js';

/** One timer per key on a clock: setting a key again replaces its timer, and one that fires is forgotten first. */
export class KeyedTimers<K> {
  private readonly timers = new Map<K, Cancel>();

  constructor(private readonly clock: Clock) {}

  has(key: K): boolean {
    return this.timers.has(key);
  }

  set(key: K, ms: number, fn: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      this.clock.after(ms, () => {
        this.timers.delete(key);
        fn();
      }),
    );
  }

  cancel(key: K): void {
    this.timers.get(key)?.();
    this.timers.delete(key);
  }

  clear(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
