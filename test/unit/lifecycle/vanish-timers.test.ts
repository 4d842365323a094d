import { expect, test } from 'vitest';
import { VanishTimers } from '../../../src/lifecycle/vanish-timers.js';
import { FakeClock } from '../../support/fake-clock.js';

function setUp() {
  const clock = new FakeClock();
  const vanished: number[] = [];
  return { clock, vanished, timers: new VanishTimers(1000, clock, (index) => vanished.push(index)) };
}

test('gone once nothing was heard for the window, counted from the last thing heard', () => {
  const { clock, vanished, timers } = setUp();
  clock.advance(5000);
  timers.left(3, 4600);
  clock.advance(599);
  expect(vanished).toEqual([]);
  clock.advance(1);
  expect(vanished).toEqual([3]);
});

test('silence longer than the window already: gone at once (on the next tick)', () => {
  const { clock, vanished, timers } = setUp();
  clock.advance(5000);
  timers.left(1, 2000);
  clock.advance(0);
  expect(vanished).toEqual([1]);
});

test('back in time: never; a second close restarts the count; clear cancels all', () => {
  const { clock, vanished, timers } = setUp();
  timers.left(1, 0);
  clock.advance(900);
  timers.back(1);
  timers.left(2, clock.now());
  timers.left(2, clock.now() + 500);
  clock.advance(1200);
  expect(vanished).toEqual([]);
  clock.advance(300);
  expect(vanished).toEqual([2]);
  timers.left(4, clock.now());
  timers.clear();
  clock.advance(5000);
  expect(vanished).toEqual([2]);
});
