import { describe, expect, test } from 'vitest';
import { throttle } from '../../../src/time/throttle.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('throttle', () => {
  test('the first call at once; calls inside the window become one, the latest, as the window ends', () => {
    const clock = new FakeClock();
    const calls: [number, string][] = [];
    const throttled = throttle(clock, 500, (value: string) => calls.push([clock.now(), value]));
    throttled.call('a');
    clock.advance(100);
    throttled.call('b');
    throttled.call('c');
    expect(calls).toEqual([[0, 'a']]);
    clock.advance(400);
    expect(calls).toEqual([[0, 'a'], [500, 'c']]);
    // 300 ms after the last, still inside its window: held until 500 ms after it.
    clock.advance(300);
    throttled.call('d');
    expect(calls).toHaveLength(2);
    clock.advance(200);
    expect(calls.at(-1)).toEqual([1000, 'd']);
    clock.advance(600);
    throttled.call('e');
    expect(calls.at(-1)).toEqual([1600, 'e']);
    clock.advance(10_000);
    expect(calls).toHaveLength(4);
  });

  test('cancel drops what waits, and the next call is not held back by it', () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const throttled = throttle(clock, 500, (value: string) => calls.push(value));
    throttled.call('a');
    throttled.call('b');
    throttled.cancel();
    clock.advance(1000);
    expect(calls).toEqual(['a']);
    expect(clock.pending).toBe(0);
    throttled.call('c');
    expect(calls).toEqual(['a', 'c']);
  });
});
