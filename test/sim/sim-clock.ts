import type { Cancel, Clock } from '../../src/time/clock.js';

interface Timer {
  at: number;
  /** Order of arming: timers due at the same moment fire in the order they were set, on every run. */
  seq: number;
  every: number | undefined;
  fn: () => void;
  cancelled: boolean;
  owner: string;
}

const earlier = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * The one clock of a simulated group: every timer of every pod and every message in flight is a timer
 * here, and time moves only from one to the next. Nothing else orders events, so a seed replays exactly.
 */
export class SimClock {
  private time = 0;
  private seq = 0;
  /** A binary heap by (at, seq); a cancelled timer stays in it until it comes up. */
  private readonly heap: Timer[] = [];
  private readonly armed = new Map<string, Set<Timer>>();

  now(): number {
    return this.time;
  }

  /** A pod's view of this clock: its timers are its own, and die with it. */
  for(owner: string, alive: () => boolean): Clock {
    return {
      now: () => this.time,
      after: (ms, fn) => this.add(owner, ms, undefined, () => alive() && fn()),
      every: (ms, fn) => this.add(owner, ms, Math.max(ms, 1), () => alive() && fn()),
    };
  }

  /** A timer of the simulation itself (a message's delivery, a fault). */
  at(ms: number, fn: () => void, owner = 'sim'): Cancel {
    return this.add(owner, ms, undefined, fn);
  }

  /** Fires the next timer due, if any is due by `until`; false when none is. */
  step(until: number): boolean {
    let next = this.heap[0];
    while (next !== undefined && next.cancelled) {
      this.pop();
      next = this.heap[0];
    }
    if (next === undefined || next.at > until) return false;
    this.pop();
    this.time = Math.max(this.time, next.at);
    if (next.every === undefined) this.disarm(next);
    else {
      next.at += next.every;
      next.seq = this.seq++;
      this.push(next);
    }
    next.fn();
    return true;
  }

  /** Timers still armed, by whose they are. */
  pending(owner?: string): number {
    if (owner !== undefined) return this.armed.get(owner)?.size ?? 0;
    let count = 0;
    for (const timers of this.armed.values()) count += timers.size;
    return count;
  }

  /** Cancels every timer of `owner`: its process is gone. */
  cancelAll(owner: string): void {
    for (const timer of this.armed.get(owner) ?? []) timer.cancelled = true;
    this.armed.delete(owner);
  }

  private add(owner: string, ms: number, every: number | undefined, fn: () => void): Cancel {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, every, fn, cancelled: false, owner };
    let timers = this.armed.get(owner);
    if (timers === undefined) {
      timers = new Set();
      this.armed.set(owner, timers);
    }
    timers.add(timer);
    this.push(timer);
    return () => this.disarm(timer);
  }

  private disarm(timer: Timer): void {
    timer.cancelled = true;
    this.armed.get(timer.owner)?.delete(timer);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Timer;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && earlier(heap[left] as Timer, heap[smallest] as Timer)) smallest = left;
      if (right < heap.length && earlier(heap[right] as Timer, heap[smallest] as Timer)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Timer, heap[i] as Timer];
      i = smallest;
    }
  }
}

/** A seeded generator (mulberry32): the same seed, the same draws. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}
