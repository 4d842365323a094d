import { describe, expect, test } from 'vitest';
import { AttemptError, ConfigError, PeersTimeoutError, ProbeUnavailableError, RollcallError, describeMissing, mostTelling, type MissingReason } from '../../src/errors.js';

describe('errors carry a fixed name, a stable code and the facts', () => {
  test('PeersTimeoutError lists who is missing and why', () => {
    const missing = [
      { index: 5, name: 'example-job-5.headless-svc', reason: 'no such name' as const },
      { index: 7, name: 'example-job-7.headless-svc', reason: 'connection refused' as const },
    ];
    const error = new PeersTimeoutError(90_000, 8, missing);
    expect(error).toBeInstanceOf(RollcallError);
    expect(error).toMatchObject({ name: 'PeersTimeoutError', code: 'ERR_ROLLCALL_TIMEOUT', arrived: 6, size: 8, missing });
    expect(error.message).toBe(
      'start barrier timed out after 90s: 6/8 ready; missing example-job-5.headless-svc (no such name), example-job-7.headless-svc (connection refused)',
    );
  });

  test('a long missing list is cut, with a count of the rest', () => {
    const missing = Array.from({ length: 20 }, (_, index) => ({ index, name: `j-${index}.s`, reason: 'no such name' as const }));
    expect(describeMissing(missing)).toMatch(/j-7\.s \(no such name\), and 12 more$/);
  });

  test('ConfigError and ProbeUnavailableError keep their cause', () => {
    const cause = new Error('EPERM');
    expect(new ConfigError('ROLLCALL_PORT', '80', 'is in use', 'Pick another.', { cause })).toMatchObject({
      name: 'ConfigError',
      code: 'ERR_ROLLCALL_CONFIG',
      cause,
      message: 'ROLLCALL_PORT ("80"): is in use. Pick another.',
    });
    expect(new ProbeUnavailableError('icmp', 'no raw socket', { cause })).toMatchObject({ name: 'ProbeUnavailableError', code: 'ERR_ROLLCALL_PROBE_UNAVAILABLE', probe: 'icmp', cause });
  });
});

describe('mostTelling', () => {
  const failure = (reason: MissingReason) => new AttemptError(reason, reason);

  test('the first of the ranking that occurs, whatever the order of the failures', () => {
    const ranking: MissingReason[] = ['refused by peer', 'connection refused', 'timed out'];
    expect(mostTelling([failure('timed out'), failure('connection refused')], ranking)?.reason).toBe('connection refused');
    expect(mostTelling([failure('refused by peer'), failure('timed out')], ranking)?.reason).toBe('refused by peer');
  });

  test('reasons off the ranking come last, the first of them kept; nothing failed, nothing to tell', () => {
    const [first, second] = [failure('unreachable'), failure('probe failed')];
    expect(mostTelling([first, second, failure('timed out')], ['timed out'])?.reason).toBe('timed out');
    expect(mostTelling([first, second], ['timed out'])).toBe(first);
    expect(mostTelling([], ['timed out'])).toBeUndefined();
  });
});
