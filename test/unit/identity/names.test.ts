import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { assertDnsLabel, assertDomain, isDnsLabel, peerFqdn, peerShortName, podHostname } from '../../../src/identity/names.js';

describe('peer names', () => {
  test('follow the Indexed Job pattern', () => {
    expect(podHostname('example-job', 2)).toBe('example-job-2');
    expect(peerShortName('example-job', 0, 'headless-svc')).toBe('example-job-0.headless-svc');
    expect(peerFqdn('example-job', 11, 'headless-svc', 'default', 'cluster.local')).toBe('example-job-11.headless-svc.default.svc.cluster.local');
  });
});

describe('DNS-1123 labels', () => {
  test.each(['a', 'job-1', '0abc', 'a'.repeat(63)])('%s is a label', (label) => expect(isDnsLabel(label)).toBe(true));
  test.each(['', 'A', '-a', 'a-', 'a_b', 'a.b', 'a'.repeat(64), 'é'])('%j is not a label', (label) => expect(isDnsLabel(label)).toBe(false));

  test('a bad label names the variable and the value', () => {
    expect(() => assertDnsLabel('ROLLCALL_SUBDOMAIN', 'Bad_Name')).toThrowError(ConfigError);
    try {
      assertDnsLabel('ROLLCALL_SUBDOMAIN', 'Bad_Name');
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_ROLLCALL_CONFIG', variable: 'ROLLCALL_SUBDOMAIN', value: 'Bad_Name' });
      expect((error as Error).message).toContain('"Bad_Name"');
    }
  });

  test('an over-long label says how long it is', () => {
    expect(() => assertDnsLabel('ROLLCALL_JOB_NAME', 'a'.repeat(64))).toThrowError(/64 characters, over the DNS label limit of 63/);
  });

  test('domains are dot-separated labels; a trailing dot is dropped', () => {
    expect(assertDomain('D', 'cluster.local.')).toBe('cluster.local');
    expect(() => assertDomain('D', 'cluster..local')).toThrowError(ConfigError);
    expect(() => assertDomain('D', '')).toThrowError(ConfigError);
  });
});
