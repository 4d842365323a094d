import { expect, test } from 'vitest';
import { RefusalLog } from '../../../src/transport/refusal-log.js';
import { FakeClock } from '../../support/fake-clock.js';

function setUp() {
  const clock = new FakeClock();
  const lines: string[] = [];
  return { clock, lines, log: new RefusalLog((line) => lines.push(line), 5000, clock) };
}

test('the first refusal of a kind is logged with where it came from; repeats are counted once an interval', () => {
  const { clock, lines, log } = setUp();
  log.note('job "other" is not "job"', '::ffff:10.0.0.7');
  for (let i = 0; i < 41; i++) log.note('job "other" is not "job"', '10.0.0.8');
  expect(lines).toEqual(['refused 10.0.0.7: job "other" is not "job"']);
  clock.advance(4999);
  expect(lines).toHaveLength(1);
  clock.advance(1);
  expect(lines).toEqual(['refused 10.0.0.7: job "other" is not "job"', 'refused 41 more connections: job "other" is not "job"']);
  // A new interval starts with a logged refusal again.
  log.note('job "other" is not "job"', '10.0.0.9');
  expect(lines.at(-1)).toBe('refused 10.0.0.9: job "other" is not "job"');
});

test('kinds are counted apart, and a lone refusal has no summary', () => {
  const { clock, lines, log } = setUp();
  log.note('group size 3 is not 4', '10.0.0.1');
  log.note('secret proof does not match (ROLLCALL_SECRET differs)', '10.0.0.2');
  log.note('secret proof does not match (ROLLCALL_SECRET differs)', '10.0.0.2');
  clock.advance(5000);
  expect(lines).toEqual([
    'refused 10.0.0.1: group size 3 is not 4',
    'refused 10.0.0.2: secret proof does not match (ROLLCALL_SECRET differs)',
    'refused 1 more connections: secret proof does not match (ROLLCALL_SECRET differs)',
  ]);
});

test('closed, it logs no summary and holds no timer', () => {
  const { clock, lines, log } = setUp();
  log.note('x', '10.0.0.1');
  log.note('x', '10.0.0.1');
  log.close();
  clock.advance(10_000);
  expect(lines).toEqual(['refused 10.0.0.1: x']);
  expect(clock.pending).toBe(0);
});
