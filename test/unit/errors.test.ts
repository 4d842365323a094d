import { describe, expect, test } from 'vitest';
import { AttemptError, ConfigError, PeerFailedError, PeersTimeoutError, ProbeUnavailableError, RollcallError, describeCount, describeMissing, isMissingReasonCode, mostTelling, type MissingReasonCode } from '../../src/errors.js';

describe('errors carry a fixed name, a stable code and the facts', () => {
  test('PeersTimeoutError lists who is missing and why', () => {
    const missing = [
      { index: 5, name: 'example-job-5.headless-svc', code: 'no-such-name' as const, reason: 'no such name' as const },
      { index: 7, name: 'example-job-7.headless-svc', code: 'connection-refused' as const, reason: 'connection refused' as const },
    ];
    const error = new PeersTimeoutError(90_000, { ready: 6, size: 8, missing });
    expect(error).toBeInstanceOf(RollcallError);
    expect(error).toMatchObject({ name: 'PeersTimeoutError', code: 'ERR_ROLLCALL_TIMEOUT', arrived: 6, notChecked: 0, size: 8, missing });
    expect(error.message).toBe(
      'start barrier timed out after 90s: 6/8 confirmed; missing example-job-5.headless-svc (no such name), example-job-7.headless-svc (connection refused)',
    );
  });

  test('a member that never reached index 0 counts the peers it did not check apart, not as ready', () => {
    const missing = [{ index: 0, name: 'job-0.svc', code: 'connection-refused' as const, reason: 'connection refused' as const }];
    const error = new PeersTimeoutError(5000, { ready: 1, size: 5, missing }, 'start');
    expect(error).toMatchObject({ arrived: 1, notChecked: 3, size: 5 });
    expect(error.message).toBe('start barrier timed out after 5s: 1/5 confirmed; missing job-0.svc (connection refused); 3 not checked by this pod (index 0 checks them)');
    expect(describeCount({ ready: 4, size: 4, missing: [] })).toBe('4/4 confirmed');
  });

  test('a long missing list is cut, with a count of the rest', () => {
    const missing = Array.from({ length: 20 }, (_, index) => ({ index, name: `j-${index}.s`, code: 'no-such-name' as const, reason: 'no such name' as const }));
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

describe('reasons', () => {
  test('an attempt says its reason in words, with the detail', () => {
    expect(new AttemptError('not-this-pod', '10.0.0.9 answers as index 3').message).toBe('address is not this pod: 10.0.0.9 answers as index 3');
    expect(new AttemptError('dns-timeout').message).toBe('DNS timed out');
  });

  test('only the codes are codes: their words, or anything else, are not', () => {
    expect(isMissingReasonCode('no-such-name')).toBe(true);
    for (const value of ['no such name', 'toString', '', 7, undefined]) expect(isMissingReasonCode(value), String(value)).toBe(false);
  });
});

describe('mostTelling', () => {
  const failure = (reason: MissingReasonCode) => new AttemptError(reason, reason);

  test('the first of the ranking that occurs, whatever the order of the failures', () => {
    const ranking: MissingReasonCode[] = ['refused-by-peer', 'connection-refused', 'timeout'];
    expect(mostTelling([failure('timeout'), failure('connection-refused')], ranking)?.reason).toBe('connection-refused');
    expect(mostTelling([failure('refused-by-peer'), failure('timeout')], ranking)?.reason).toBe('refused-by-peer');
  });

  test('reasons off the ranking come last, the first of them kept; nothing failed, nothing to tell', () => {
    const [first, second] = [failure('unreachable'), failure('probe-failed')];
    expect(mostTelling([first, second, failure('timeout')], ['timeout'])?.reason).toBe('timeout');
    expect(mostTelling([first, second], ['timeout'])).toBe(first);
    expect(mostTelling([], ['timeout'])).toBeUndefined();
  });
});

describe('a stalled failure, in words', () => {
  const stalled = (pods: { index: number; silentMs: number }[]) =>
    new PeerFailedError({ index: pods[0]?.index ?? 0, name: `job-${pods[0]?.index ?? 0}.svc`, how: 'stalled', exitCode: null, signal: null, afterMs: 40_000, stalled: pods.map((pod) => ({ ...pod, name: `job-${pod.index}.svc` })) }, 0, undefined);

  test('names the pod and how long it has been silent, then every other stalled pod, in order', () => {
    expect(stalled([{ index: 2, silentMs: 12_000 }]).message).toBe('job-2.svc failed (stalled: no progress for 12s) after 40s; the group stops');
    expect(stalled([{ index: 2, silentMs: 12_000 }, { index: 5, silentMs: 11_500 }]).message).toBe('job-2.svc failed (stalled: no progress for 12s; also stalled: job-5.svc for 11.5s) after 40s; the group stops');
  });
});
