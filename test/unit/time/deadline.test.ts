import { describe, expect, test } from 'vitest';
import { withDeadline } from '../../../src/time/deadline.js';
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
