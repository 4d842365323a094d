import { describe, expect, test } from 'vitest';
import { StallWatch } from '../../../src/lifecycle/stall-watch.js';
import { FakeClock } from '../../support/fake-clock.js';

function setUp(timeoutMs = 4000) {
  const clock = new FakeClock();
  const stalls: { index: number; silentMs: number }[][] = [];
  const watch = new StallWatch(timeoutMs, clock, (stalled) => stalls.push(stalled));
  return { clock, stalls, watch };
}

describe('StallWatch', () => {
  test('looks every 250 ms (a quarter of a short timeout), names the silent ones once, and stops looking', () => {
    const { clock, stalls, watch } = setUp();
    watch.begin();
    watch.progressed(4);
    clock.advance(4000);
    expect(stalls).toEqual([]);
    clock.advance(250);
    expect(stalls).toEqual([[{ index: 4, silentMs: 4250 }]]);
    expect(clock.pending).toBe(0);
    // A 300 ms timeout is looked at every 75 ms: named at 375 ms, not at the 500 ms of a 250 ms look.
    const short = setUp(300);
    short.watch.begin();
    short.watch.progressed(1);
    short.clock.advance(374);
    expect(short.stalls).toEqual([]);
    short.clock.advance(1);
    expect(short.stalls).toEqual([[{ index: 1, silentMs: 375 }]]);
  });

  test('the pods stalled at one look are named together, the longest silent first', () => {
    const { clock, stalls, watch } = setUp(1000);
    watch.begin();
    watch.progressed(1);
    watch.progressed(2);
    clock.advance(100);
    watch.progressed(1);
    clock.advance(1150);
    expect(stalls).toEqual([
      [
        { index: 2, silentMs: 1250 },
        { index: 1, silentMs: 1150 },
      ],
    ]);
  });

  test('a pod away as a round ends is forgotten: back in the next, it is watched only once it reports there', () => {
    const { clock, stalls, watch } = setUp();
    watch.begin();
    watch.progressed(1);
    watch.lost(1);
    watch.begin();
    watch.back(1);
    clock.advance(60_000);
    expect(stalls).toEqual([]);
    watch.progressed(1);
    clock.advance(4250);
    expect(stalls).toEqual([[{ index: 1, silentMs: 4250 }]]);
  });

  test('progress before the round begins, or from a pod that is done, is not watched', () => {
    const { clock, stalls, watch } = setUp();
    watch.progressed(1);
    watch.begin();
    watch.progressed(2);
    watch.done(2);
    clock.advance(60_000);
    expect(stalls).toEqual([]);
  });

  test('a new round forgets the last one; ending stops the timer', () => {
    const { clock, stalls, watch } = setUp();
    watch.begin();
    watch.progressed(1);
    clock.advance(3000);
    watch.begin();
    clock.advance(60_000);
    expect(stalls).toEqual([]);
    watch.end();
    expect(clock.pending).toBe(0);
  });

  test('a watched pod whose session closed is not judged while away, and is watched again from its return', () => {
    const { clock, stalls, watch } = setUp();
    watch.begin();
    watch.progressed(1);
    watch.progressed(2);
    clock.advance(1000);
    watch.lost(1);
    // Away far longer than the timeout: its silence is the vanish timer's, not a stall.
    clock.advance(10_000);
    expect(stalls).toEqual([[{ index: 2, silentMs: 4250 }]]);
    watch.begin();
    watch.progressed(1);
    watch.lost(1);
    clock.advance(10_000);
    watch.back(1);
    clock.advance(4000);
    expect(stalls).toHaveLength(1);
    clock.advance(250);
    expect(stalls.at(-1)).toEqual([{ index: 1, silentMs: 4250 }]);
  });

  test('a pod that was not watched, or whose workload ended while away, is not watched on its return', () => {
    const { clock, stalls, watch } = setUp();
    watch.begin();
    watch.lost(3);
    watch.back(3);
    watch.progressed(4);
    watch.lost(4);
    watch.done(4);
    watch.back(4);
    clock.advance(60_000);
    expect(stalls).toEqual([]);
  });
});
