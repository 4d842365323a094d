import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AttemptError } from '../../src/errors.js';
import { createNameResolver } from '../../src/discovery/resolve.js';
import type { Dnsmasq } from '../../harness/cluster/dnsmasq.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import { describeWith } from '../../harness/requirements.js';
import { startLoopbackDns } from './loopback.js';

describeWith(['dnsmasq'], 'resolution through a real DNS server', () => {
  let dns: Dnsmasq;
  beforeAll(async () => {
    dns = await startLoopbackDns();
    dns.set('two', 'two.svc.ns.svc.cluster.local', ['127.1.0.1', '127.1.0.2']);
    dns.set('v6', 'v6.svc.ns.svc.cluster.local', ['::1', 'fd00::5']);
    dns.set('dual', 'dual.svc.ns.svc.cluster.local', ['127.1.0.3', 'fd00::3']);
  });
  afterAll(() => dns.stop());

  const resolver = (families: (4 | 6)[], servers = [dns.server]) => createNameResolver({ servers, families, attemptTimeoutMs: 1000, absolute: true }).resolve;
  const reasonOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (error instanceof AttemptError ? error.reason : `unexpected ${String(error)}`),
    );

  test('keeps every A address of a name', async () => {
    expect((await resolver([4])('two.svc.ns.svc.cluster.local')).sort()).toEqual(['127.1.0.1', '127.1.0.2']);
  });

  test('AAAA records for an IPv6 pod', async () => {
    expect((await resolver([6])('v6.svc.ns.svc.cluster.local')).sort()).toEqual(['::1', 'fd00::5']);
  });

  test('both families for a dual-stack pod', async () => {
    expect((await resolver([4, 6])('dual.svc.ns.svc.cluster.local')).sort()).toEqual(['127.1.0.3', 'fd00::3']);
  });

  test('a name that does not exist yet is no-such-name', async () => {
    expect(await reasonOf(resolver([4, 6])('nobody.svc.ns.svc.cluster.local'))).toBe('no-such-name');
  });

  test('a name without the family asked for is no-address', async () => {
    expect(await reasonOf(resolver([6])('two.svc.ns.svc.cluster.local'))).toBe('no-address');
  });

  test('a record published later resolves on the next attempt: "no such name" is not remembered', async () => {
    const resolve = resolver([4]);
    expect(await reasonOf(resolve('late.svc.ns.svc.cluster.local'))).toBe('no-such-name');
    dns.set('late', 'late.svc.ns.svc.cluster.local', ['127.1.0.9']);
    // dnsmasq re-reads its records on change: wait until a resolver that never asked serves the name.
    await waitUntil('dnsmasq to serve the new record', async () => (await resolver([4])('late.svc.ns.svc.cluster.local').catch(() => [])).length > 0, { timeoutMs: 5000 });
    expect(await resolve('late.svc.ns.svc.cluster.local')).toEqual(['127.1.0.9']);
  });

  test('a nameserver that never answers is a dns-timeout (when, on the clock: dns-client.test.ts)', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      expect(await reasonOf(resolver([4], [`127.0.0.1:${silent.address().port}`])('x.svc.ns.svc.cluster.local'))).toBe('dns-timeout');
    } finally {
      silent.close();
    }
  });

  test('a paused DNS server times out, and answers again once resumed', async () => {
    const resolve = resolver([4]);
    dns.pause();
    try {
      expect(await reasonOf(resolve('two.svc.ns.svc.cluster.local'))).toBe('dns-timeout');
    } finally {
      dns.resume();
    }
    expect((await resolve('two.svc.ns.svc.cluster.local')).length).toBe(2);
  });
});

test('without namespace and domain, the system resolver is used (it honours /etc/hosts)', async () => {
  const resolve = createNameResolver({ servers: [], families: [4], attemptTimeoutMs: 2000, absolute: false }).resolve;
  expect(await resolve('localhost')).toContain('127.0.0.1');
});
