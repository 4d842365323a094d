import { describe, expect, test } from 'vitest';
import { Limiter } from '../../../src/discovery/limiter.js';
import { MAX_DEADLINE_FACTOR, PeerCheck } from '../../../src/discovery/peer-check.js';
import { AttemptError, type MissingReasonCode } from '../../../src/errors.js';

const schedule = { minDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 100 };

/** A check whose attempts fail with the given reasons in turn, then pass; it records each attempt's deadline. */
function scripted(reasons: MissingReasonCode[]) {
  const deadlines: number[] = [];
  const check = new PeerCheck({
    index: 1,
    name: 'job-1.svc',
    schedule,
    limiter: new Limiter(1),
    attempt: async (_signal, timeoutMs) => {
      deadlines.push(timeoutMs);
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
