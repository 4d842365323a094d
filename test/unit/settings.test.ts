import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseChoice, parseDuration, parseInteger } from '../../src/settings.js';
import { parseDnsServers } from '../../src/discovery/resolve.js';

describe('durations as ROLLCALL_TIMEOUT takes them', () => {
  test.each([
    ['300', 300_000],
    ['1500ms', 1500],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2.5s', 2500],
  ])('%s is %i ms', (raw, ms) => expect(parseDuration('ROLLCALL_TIMEOUT', raw)).toBe(ms));

  test.each(['', '0', '-5', '5 minutes', '5d', 'abc', '1e3'])('%j is refused', (raw) => {
    expect(() => parseDuration('ROLLCALL_TIMEOUT', raw)).toThrowError(ConfigError);
  });
});

describe('integers', () => {
  test('bounds are enforced and named', () => {
    expect(parseInteger('ROLLCALL_PORT', '7420', { min: 1, max: 65535 })).toBe(7420);
    expect(() => parseInteger('ROLLCALL_PORT', '70000', { min: 1, max: 65535 })).toThrowError(/an integer from 1 to 65535/);
    expect(() => parseInteger('X', ' 1', { min: 0 })).toThrowError(ConfigError);
  });
});

describe('ROLLCALL_DNS_SERVERS', () => {
  test('takes IPv4, IPv6, with and without ports', () => {
    expect(parseDnsServers('V', '10.96.0.10, 127.0.0.1:5353,[fd00::a]:53,fd00::b')).toEqual(['10.96.0.10', '127.0.0.1:5353', '[fd00::a]:53', 'fd00::b']);
  });
  test.each(['kube-dns', '10.0.0.1:0', '10.0.0.1:99999', ',', '[zz]:53'])('refuses %j', (raw) => {
    expect(() => parseDnsServers('ROLLCALL_DNS_SERVERS', raw)).toThrowError(ConfigError);
  });
});

describe('parseChoice', () => {
  test('one of the words passes as it is', () => {
    expect(parseChoice('ROLLCALL_TOPOLOGY', 'star', ['mesh', 'star', 'auto'], { noun: 'a topology', fallback: 'auto' })).toBe('star');
  });

  test('anything else names the variable and lists every word, the default marked', () => {
    const error = (() => {
      try {
        parseChoice('ROLLCALL_TOPOLOGY', 'ring', ['mesh', 'star', 'auto'], { noun: 'a topology', fallback: 'auto' });
      } catch (caught) {
        return caught;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.variable).toBe('ROLLCALL_TOPOLOGY');
    expect(error.message).toContain('is not a topology');
    expect(error.message).toContain('Use "mesh", "star" or "auto" (default).');
  });
});
