import { describe, expect, test } from 'vitest';
import { Limiter } from '../../../src/discovery/limiter.js';
import { MAX_DEADLINE_FACTOR, PeerCheck } from '../../../src/discovery/peer-check.js';
import { AttemptError, type MissingReasonCode } from '../../../src/errors.js';
import { FakeClock } from '../../support/fake-clock.js';

const schedule = { minDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 100 };

/** A check whose attempts fail with the given reasons in turn, then pass; it records each attempt's deadline. */
function scripted(reasons: MissingReasonCode[]) {
  const deadlines: number[] = [];
  const check = new PeerCheck({
    index: 1,
    name: 'job-1.svc',
    schedule,
    limiter: new Limiter(1),
    attempt: async (_signal, deadline) => {
      // Read at once: what is left is the whole of it, less the microseconds since it was made.
      deadlines.push(Math.round(deadline.remainingMs));
      const reason = reasons[deadlines.length - 1];
      if (reason !== undefined) throw new AttemptError(reason, 'scripted');
      return 'ok';
    },
  });
  return { check, deadlines };
}

describe('attempt deadlines', () => {
  test('timeouts in a row double the deadline up to the cap; any other outcome resets it', async () => {
    const { check, deadlines } = scripted(['timeout', 'dns-timeout', 'timeout', 'timeout', 'connection-refused', 'timeout']);
    await expect(check.run(new AbortController().signal)).resolves.toBe('ok');
    expect(deadlines).toEqual([100, 200, 400, 100 * MAX_DEADLINE_FACTOR, 400, 100, 200]);
  });

  test('a peer that is simply not there yet keeps the base deadline', async () => {
    const { check, deadlines } = scripted(['no-such-name', 'no-such-name', 'connection-refused']);
    await check.run(new AbortController().signal);
    expect(deadlines).toEqual([100, 100, 100, 100]);
  });
});

describe('waiting between attempts', () => {
  test('an attempt that says when asking again is worth it is retried then, not at the backoff; a kick cuts the wait short', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const check = new PeerCheck({
      index: 1,
      name: 'job-1.svc',
      schedule: { minDelayMs: 10, maxDelayMs: 10, attemptTimeoutMs: 100 },
      limiter: new Limiter(1),
      clock,
      attempt: async () => {
        attempts.push(clock.now());
        if (attempts.length < 4) throw new AttemptError('no-such-name', 'cached', { retryAfterMs: attempts.length === 3 ? 0 : 5000 });
        return 'ok';
      },
    });
    const result = check.run(new AbortController().signal);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    clock.advance(4999);
    await settle();
    expect(attempts).toEqual([0]);
    clock.advance(1);
    await settle();
    expect(attempts).toEqual([0, 5000]);
    // Told to wait 5 s again, but the peer just showed up.
    check.kick();
    await settle();
    expect(attempts).toEqual([0, 5000, 5000]);
    // No retry-after: the backoff (10 ms here).
    clock.advance(10);
    await settle();
    await expect(result).resolves.toBe('ok');
    expect(attempts).toEqual([0, 5000, 5000, 5010]);
  });
});
