import { afterEach, describe, expect, test } from 'vitest';
import { Deadline } from '../../src/time/deadline.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterDnsServer, type ClusterDnsServerConfig } from '../../harness/cluster/cluster-dns-server.js';
import { DnsClient, type QueryKey } from '../../src/discovery/dns-client.js';
import dnsPacket from 'dns-packet';
import { onFreePort } from './loopback.js';

// The simulated cluster's DNS, on loopback, asked through rollcall's own stub resolver: both are what the
// integration tests and the benchmark stand on.
const NAME = 'job-1.svc.ns.svc.cluster.local';
const plainA: QueryKey = { type: 'A', dnssecOk: false, checkingDisabled: false };
const withDo: QueryKey = { type: 'A', dnssecOk: true, checkingDisabled: false };
const aaaa: QueryKey = { type: 'AAAA', dnssecOk: false, checkingDisabled: false };

describe('the cluster DNS of the simulated cluster', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function start(overrides: Partial<ClusterDnsServerConfig> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-dns-test-'));
    const { port, listening } = await onFreePort(async (free) => {
      const server = new ClusterDnsServer({ listen: '127.0.0.1', port: free, zone: 'cluster.local', ttlS: 5, cache: { positiveS: 30, negativeS: 30, keying: 'coredns' }, replicas: 1, logFile: join(dir, 'log'), ...overrides });
      return { server, close: await server.listen() };
    });
    const { server, close } = listening;
    const client = new DnsClient([`127.0.0.1:${port}`]);
    cleanups.push(() => {
      client.close();
      close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { server, client };
  }

  test('answers "no such name" with an SOA whose minimum is the TTL, and keeps it: a record published later stays unseen for that question', async () => {
    const { server, client } = await start();
    expect(await client.query(NAME, plainA, Deadline.in(1000))).toEqual({ rcode: 'NXDOMAIN', addresses: [], negativeTtlS: 5, negativeMinimumS: 5 });
    server.set('pod-1', NAME, ['10.0.0.1']);
    expect((await client.query(NAME, plainA, Deadline.in(1000))).rcode).toBe('NXDOMAIN');
    // CoreDNS keys its cache by the DO and CD bits too: the question with DO set was never asked, so it sees the record.
    expect((await client.query(NAME, withDo, Deadline.in(1000))).addresses).toEqual(['10.0.0.1']);
    // The other type of an existing name: no data, also with an SOA.
    expect(await client.query(NAME, aaaa, Deadline.in(1000))).toMatchObject({ rcode: 'NOERROR', addresses: [], negativeMinimumS: 5 });
  });

  test('a cached answer counts its TTL down in whole seconds, as CoreDNS does', async () => {
    const { server } = await start();
    const soaTtlAt = (now: number) => {
      const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: NAME }] });
      const reply = dnsPacket.decode(server.respond(query, 0, now) as Buffer);
      return (reply.authorities?.[0] as { ttl?: number } | undefined)?.ttl;
    };
    expect(soaTtlAt(1_000_000)).toBe(5);
    expect(soaTtlAt(1_000_900)).toBe(5);
    expect(soaTtlAt(1_002_500)).toBe(3);
    // Gone at the TTL: asked again, a fresh answer with the whole TTL.
    expect(soaTtlAt(1_005_000)).toBe(5);
  });

  test('per name (dnsmasq): "no such name" for one type holds for every type and bit', async () => {
    const { server, client } = await start({ cache: { positiveS: 30, negativeS: 30, keying: 'dnsmasq' } });
    expect((await client.query(NAME, withDo, Deadline.in(1000))).rcode).toBe('NXDOMAIN');
    server.set('pod-1', NAME, ['10.0.0.1']);
    expect((await client.query(NAME, plainA, Deadline.in(1000))).rcode).toBe('NXDOMAIN');
    expect((await client.query(NAME, aaaa, Deadline.in(1000))).rcode).toBe('NXDOMAIN');
  });

  test('without a cache, a record is seen the moment it is published', async () => {
    const { server, client } = await start({ cache: undefined });
    expect((await client.query(NAME, plainA, Deadline.in(1000))).rcode).toBe('NXDOMAIN');
    server.set('pod-1', NAME, ['10.0.0.1']);
    expect((await client.query(NAME, plainA, Deadline.in(1000))).addresses).toEqual(['10.0.0.1']);
  });

  test('each flow sticks to one replica: two clients may see two caches, one client always the same', async () => {
    const { server } = await start({ replicas: 2 });
    const picks = Array.from({ length: 20 }, () => server.replicaFor('udp 127.0.0.1 40000', 0));
    expect(new Set(picks).size).toBe(1);
    const flows = new Set(Array.from({ length: 64 }, (_, port) => server.replicaFor(`udp 127.0.0.1 ${41000 + port}`, 0)));
    expect(flows).toEqual(new Set([0, 1]));
    // Idle past conntrack's timeout, a flow is new again.
    expect([0, 1]).toContain(server.replicaFor('udp 127.0.0.1 40000', 60_000));
  });
});
