import { expect, test } from 'vitest';
import { KeyedTimers } from '../../../src/time/keyed-timers.js';
import { FakeClock } from '../../support/fake-clock.js';

test('one timer per key: set again replaces it, a fired one is forgotten before it runs, cancel and clear leave none', () => {
  const clock = new FakeClock();
  const timers = new KeyedTimers<string>(clock);
  const fired: string[] = [];
  timers.set('a', 100, () => fired.push(`a ${String(timers.has('a'))}`));
  timers.set('a', 300, () => fired.push(`a again ${String(timers.has('a'))}`));
  timers.set('b', 200, () => fired.push('b'));
  clock.advance(200);
  expect(fired).toEqual(['b']);
  expect([timers.has('a'), timers.has('b')]).toEqual([true, false]);
  clock.advance(100);
  expect(fired).toEqual(['b', 'a again false']);
  timers.set('c', 100, () => fired.push('c'));
  timers.cancel('c');
  timers.set('d', 100, () => fired.push('d'));
  timers.clear();
  clock.advance(1000);
  expect(fired).toEqual(['b', 'a again false']);
  expect(clock.pending).toBe(0);
});
