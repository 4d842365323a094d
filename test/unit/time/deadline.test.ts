import { describe, expect, test } from 'vitest';
import { Deadline, withDeadline } from '../../../src/time/deadline.js';
import { FakeClock } from '../../support/fake-clock.js';

const never = new Promise<never>(() => {});
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('withDeadline', () => {
  test('the work settling first wins, and its timer is cancelled', async () => {
    const clock = new FakeClock();
    await expect(withDeadline(Promise.resolve('done'), 1000, () => new Error('late'), undefined, clock)).resolves.toBe('done');
    expect(clock.pending).toBe(0);
  });

  test('at the deadline, and not a millisecond before, it rejects with onTimeout()', async () => {
    const clock = new FakeClock();
    let outcome: unknown;
    withDeadline(never, 1000, () => new Error('late'), undefined, clock).catch((error: unknown) => (outcome = error));
    clock.advance(999);
    await flush();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(outcome).toEqual(new Error('late'));
  });

  test('an abort rejects with the reason of the signal at once; a signal aborted before it starts, too', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const waiting = withDeadline(never, 1000, () => new Error('late'), controller.signal, clock);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(clock.pending).toBe(0);
    await expect(withDeadline(Promise.resolve(1), 1000, () => new Error('late'), controller.signal, clock)).rejects.toBe(reason);
  });
});

describe('Deadline, a point on the clock handed down', () => {
  test('each layer gets what is left of it, and the work is cut off at the point, not before', async () => {
    const clock = new FakeClock();
    const deadline = Deadline.in(1000, clock);
    expect(deadline.remainingMs).toBe(1000);
    clock.advance(600);
    expect(deadline.remainingMs).toBe(400);
    let outcome: unknown;
    const bounded = deadline.bound(new Promise<never>(() => {}), () => new Error('late')).catch((error: unknown) => (outcome = error));
    clock.advance(399);
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await bounded;
    expect(outcome).toEqual(new Error('late'));
    clock.advance(5000);
    expect(deadline.remainingMs).toBe(0);
  });
});
