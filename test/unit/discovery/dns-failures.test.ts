import { describe, expect, test } from 'vitest';
import { DNS_FAILURE_RANK, dnsFailure, notYetError } from '../../../src/discovery/dns-failures.js';
import { AttemptError, mostTelling } from '../../../src/errors.js';

const errno = (code: string | undefined) => Object.assign(new Error(code ?? 'no code'), code === undefined ? {} : { code });

describe("a lookup's failure, as a reason", () => {
  test.each([
    ['ENOTFOUND', 'no-such-name'],
    ['ENODATA', 'no-address'],
    ['EAI_NODATA', 'no-address'],
    ['ETIMEOUT', 'dns-timeout'],
    ['EAI_AGAIN', 'dns-timeout'],
    ['ECANCELLED', 'dns-timeout'],
    ['ESERVFAIL', 'dns-failure'],
    ['EREFUSED', 'dns-refused'],
    ['ECONNREFUSED', 'dns-refused'],
    ['EWHATEVER', 'dns-failure'],
  ])('%s is %s, with the code as its detail and the error as its cause', (code, reason) => {
    const cause = errno(code);
    expect(dnsFailure(cause)).toMatchObject({ reason, detail: code, cause });
  });

  test('an error without a code is a DNS failure; one that is already a reason passes through', () => {
    expect(dnsFailure(errno(undefined))).toMatchObject({ reason: 'dns-failure', detail: 'unknown' });
    expect(dnsFailure(undefined)).toMatchObject({ reason: 'dns-failure', detail: 'unknown' });
    const already = new AttemptError('dns-timeout', 'x');
    expect(dnsFailure(already)).toBe(already);
  });

  test('of several, "no such name" says most, then "no address", refused, failure, timeout', () => {
    const reasons = ['dns-timeout', 'dns-failure', 'dns-refused', 'no-address', 'no-such-name'] as const;
    for (let cut = 0; cut < reasons.length; cut++) {
      const failures = reasons.slice(0, cut + 1).map((reason) => new AttemptError(reason));
      expect(mostTelling(failures, DNS_FAILURE_RANK)?.reason).toBe(reasons[cut]);
    }
  });
});

describe('a name with no address yet, in words', () => {
  test('soon enough to ask again: just the name', () => {
    expect(notYetError('job-1.svc', 999, false, true)).toMatchObject({ reason: 'no-such-name', detail: 'job-1.svc', retryAfterMs: 999 });
  });

  test("a cache that repeats it says how long; without one known, when it is asked again; a name that exists has no address", () => {
    expect(notYetError('job-1.svc', 4500, false, true)).toMatchObject({ reason: 'no-such-name', detail: "job-1.svc; the cluster DNS's cache repeats that for 4.5 s more", retryAfterMs: 4500 });
    expect(notYetError('job-1.svc', 1000, true, false)).toMatchObject({ reason: 'no-address', detail: 'job-1.svc; asked again in 1.0 s, when a cache would let it go', retryAfterMs: 1000 });
  });
});
