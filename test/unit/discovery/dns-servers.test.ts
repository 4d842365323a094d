import { describe, expect, test } from 'vitest';
import { parseDnsServers } from '../../../src/discovery/resolve.js';
import { ConfigError } from '../../../src/errors.js';

describe('ROLLCALL_DNS_SERVERS', () => {
  test('host, host:port, a bare IPv6 address and [v6]:port, comma-separated, spaces and empty entries ignored', () => {
    expect(parseDnsServers('ROLLCALL_DNS_SERVERS', ' 10.96.0.10 , 127.0.0.1:5353,,fd00::a, [fd00::b]:53 ')).toEqual(['10.96.0.10', '127.0.0.1:5353', 'fd00::a', '[fd00::b]:53']);
    expect(parseDnsServers('ROLLCALL_DNS_SERVERS', '127.0.0.1:1,127.0.0.1:65535,[fd00::c]')).toEqual(['127.0.0.1:1', '127.0.0.1:65535', '[fd00::c]']);
  });

  test.each(['kube-dns', '10.96.0.10:0', '10.96.0.10:65536', '10.96.0.10:53x', '[fd00::a]:0', '[fd00::a]:65536', '[kube-dns]:53', 'x10.96.0.10', '10.96.0.10:53:53', 'x[fd00::a]:53', '[fd00::a]:53x', 'junk:10.0.0.1'])('"%s" is refused, naming it', (raw) => {
    let caught: unknown;
    try {
      parseDnsServers('ROLLCALL_DNS_SERVERS', raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain(`has "${raw}", which is not an IP address with an optional port`);
    expect((caught as ConfigError).hint).toBe('Write "10.96.0.10", "10.96.0.10:53" or "[fd00::a]:53", comma-separated.');
  });

  test('a list of nothing names no server', () => {
    expect(() => parseDnsServers('ROLLCALL_DNS_SERVERS', ' , ')).toThrow(/names no server\. Write "host\[:port\]"/);
  });
});
