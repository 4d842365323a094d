import { describe, expect, test } from 'vitest';
import { Limiter } from '../../../src/discovery/limiter.js';
import { MAX_DEADLINE_FACTOR, PeerCheck } from '../../../src/discovery/peer-check.js';
import { AttemptError, type MissingReasonCode } from '../../../src/errors.js';
import { FakeClock } from '../../support/fake-clock.js';

const schedule = { minDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 100 };

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A check on a fake clock whose attempts fail with the given reasons in turn, then pass; it records each
 * attempt's deadline. No time passes during an attempt, so what is left of a deadline is all of it.
 */
function scripted(reasons: MissingReasonCode[]) {
  const clock = new FakeClock();
  const deadlines: number[] = [];
  const check = new PeerCheck({
    clock,
    random: Math.random,
    index: 1,
    name: 'job-1.svc',
    schedule,
    limiter: new Limiter(1),
    attempt: async (_signal, deadline) => {
      deadlines.push(deadline.remainingMs);
      const reason = reasons[deadlines.length - 1];
      if (reason !== undefined) throw new AttemptError(reason, 'scripted');
      return 'ok';
    },
  });
  /** Runs the check to its end, the clock moving a millisecond (the backoff) a turn, 1,000 turns at most. */
  const run = async () => {
    let ended = false;
    const result = check.run(new AbortController().signal).finally(() => (ended = true));
    for (let turn = 0; turn < 1000 && !ended; turn++) {
      await settle();
      clock.advance(1);
    }
    return result;
  };
  return { run, deadlines };
}

describe('attempt deadlines', () => {
  test('timeouts in a row double the deadline up to the cap; any other outcome resets it', async () => {
    const { run, deadlines } = scripted(['timeout', 'dns-timeout', 'timeout', 'timeout', 'connection-refused', 'timeout']);
    await expect(run()).resolves.toBe('ok');
    expect(deadlines).toEqual([100, 200, 400, 100 * MAX_DEADLINE_FACTOR, 400, 100, 200]);
  });

  test('a peer that is simply not there yet keeps the base deadline', async () => {
    const { run, deadlines } = scripted(['no-such-name', 'no-such-name', 'connection-refused']);
    await expect(run()).resolves.toBe('ok');
    expect(deadlines).toEqual([100, 100, 100, 100]);
  });
});

describe('waiting between attempts', () => {
  test('an attempt that says when asking again is worth it is retried then, not at the backoff; a kick cuts the wait short', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const check = new PeerCheck({
      random: Math.random,
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

describe('a check on a fake clock', () => {
  function failing(clock: FakeClock, { minDelayMs = 100, maxDelayMs = 10_000, fail = (_n: number): Error | undefined => new AttemptError('no-such-name', 'not yet') } = {}) {
    const attempts: number[] = [];
    const check = new PeerCheck({
      random: Math.random,
      index: 1,
      name: 'job-1.svc',
      schedule: { minDelayMs, maxDelayMs, attemptTimeoutMs: 100 },
      limiter: new Limiter(1),
      clock,
      attempt: async () => {
        attempts.push(clock.now());
        const error = fail(attempts.length);
        if (error !== undefined) throw error;
        return 'ok';
      },
    });
    return { check, attempts };
  }

  test('the backoff doubles from the minimum with up to as much again of jitter, up to the maximum; the reason is kept', async () => {
    const clock = new FakeClock();
    const { check, attempts } = failing(clock, { maxDelayMs: 500, fail: (n) => (n < 6 ? new AttemptError('no-such-name', `try ${n}`) : undefined) });
    expect(check.passed).toBe(false);
    expect(check.reason).toBe('not-checked');
    const result = check.run(new AbortController().signal);
    for (let step = 0; step < 5000 && attempts.length < 6; step++) {
      await settle();
      clock.advance(1);
    }
    await expect(result).resolves.toBe('ok');
    expect(check.passed).toBe(true);
    const gaps = attempts.slice(1).map((at, index) => at - (attempts[index] as number));
    // 100–200, 200–400, 400–800 capped at 500, then the cap itself (the loop advances 1 ms a turn).
    const within = (gap: number | undefined, low: number, high: number) => expect(gap !== undefined && gap >= low && gap <= high + 1, `${gap} in ${low}–${high}`).toBe(true);
    within(gaps[0], 100, 200);
    within(gaps[1], 200, 400);
    within(gaps[2], 400, 500);
    for (const gap of gaps.slice(3)) within(gap, 500, 500);
    expect(check.reason).toBe('no-such-name');
    expect(check.detail).toBe('try 5');
  });

  test('an error no retry can fix fails the check at once; an abort stops it with its reason', async () => {
    const clock = new FakeClock();
    const broken = failing(clock, { fail: () => new TypeError('no probe here') });
    await expect(broken.check.run(new AbortController().signal)).rejects.toThrow('no probe here');
    expect(broken.attempts).toHaveLength(1);
    const waiting = failing(clock);
    const controller = new AbortController();
    const run = waiting.check.run(controller.signal);
    await settle();
    controller.abort(new Error('gave up'));
    await expect(run).rejects.toThrow('gave up');
    expect(waiting.attempts).toHaveLength(1);
  });

  test('a result that lands after the abort is disposed of, not kept', async () => {
    const disposed: string[] = [];
    const controller = new AbortController();
    const check = new PeerCheck({
      clock: new FakeClock(),
      random: Math.random,
      index: 1,
      name: 'job-1.svc',
      schedule,
      limiter: new Limiter(1),
      attempt: async () => {
        controller.abort(new Error('too late'));
        return 'session';
      },
      dispose: (result) => disposed.push(result),
    });
    await expect(check.run(controller.signal)).rejects.toThrow('too late');
    expect(disposed).toEqual(['session']);
    expect(check.passed).toBe(false);
  });

  test('a kick to a check that passed changes nothing; a kick during an attempt skips the wait after it', async () => {
    const clock = new FakeClock();
    let kickDuring = false;
    const { check, attempts } = failing(clock, {
      fail: (n) => {
        if (n === 1 && kickDuring) check.kick();
        return n < 2 ? new AttemptError('no-such-name') : undefined;
      },
    });
    kickDuring = true;
    await expect(check.run(new AbortController().signal)).resolves.toBe('ok');
    // The second attempt came at once, not after the 100 ms backoff.
    expect(attempts).toEqual([0, 0]);
    check.kick();
    expect(check.passed).toBe(true);
  });
});
