import type { Cancel, Clock } from '../../src/time/clock.js';

interface Timer {
  at: number;
  every: number | undefined;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told: `advance` runs every timer that falls due, in time order. */
export class FakeClock implements Clock {
  private time = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): Cancel {
    return this.add({ at: this.time + ms, every: undefined, fn, cancelled: false });
  }

  every(ms: number, fn: () => void): Cancel {
    return this.add({ at: this.time + ms, every: ms, fn, cancelled: false });
  }

  /** Timers still to fire. */
  get pending(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    // Bounded: a timer that keeps re-arming itself at zero delay cannot spin forever.
    for (let fired = 0; fired < 100_000; fired++) {
      const due = this.timers.filter((timer) => !timer.cancelled && timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.time = due.at;
      if (due.every === undefined) due.cancelled = true;
      else due.at += Math.max(due.every, 1);
      due.fn();
    }
    this.time = until;
    this.timers = this.timers.filter((timer) => !timer.cancelled);
  }

  private add(timer: Timer): Cancel {
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
}
