import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ClusterDnsServer } from '../../harness/cluster/cluster-dns-server.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import type { Group, Progress } from '../../src/index.js';
import { LoopbackJob, freePort, onFreePort, type LoopbackDns } from './loopback.js';

/**
 * Two replicas of a cluster DNS whose cache keeps "no such name" for the whole name 5 s (kube-dns's
 * dnsmasq), each on its own port, with the same records: a pod asks one of them, as kube-proxy keeps a
 * pod's flow on one replica.
 */
async function twoReplicas(cleanups: (() => void)[]): Promise<{ replicas: [string, string]; dns: LoopbackDns }> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-stale-dns-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const servers: ClusterDnsServer[] = [];
  const addresses: string[] = [];
  for (const replica of [0, 1]) {
    const { port, listening } = await onFreePort(async (free) => {
      const server = new ClusterDnsServer({ listen: '127.0.0.1', port: free, zone: 'cluster.local', ttlS: 5, cache: { positiveS: 5, negativeS: 5, keying: 'dnsmasq' }, replicas: 1, logFile: join(dir, `log-${replica}`) });
      return { server, close: await server.listen() };
    });
    cleanups.push(listening.close);
    servers.push(listening.server);
    addresses.push(`127.0.0.1:${port}`);
  }
  const [first, second] = addresses as [string, string];
  return {
    replicas: [first, second],
    dns: { server: first, set: (key, name, addresses) => servers.forEach((server) => server.set(key, name, [...addresses])), remove: (key) => servers.forEach((server) => server.remove(key)) },
  };
}

describe('a launch to a pod whose name its DNS replica still holds as "no such name"', () => {
  const cleanups: (() => void)[] = [];
  const groups: Group[] = [];
  afterEach(async () => {
    await Promise.all(groups.splice(0).map((group) => group.close()));
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  // Index 0 called out to index 1 before its pod started: its replica keeps "no such name" for that name
  // 5 s. Index 1 starts, finds itself on the other replica and joins; right after the release (Hydra starts
  // every proxy at once), index 0 dials index 1 for a launch. The pod is known by the address it checked
  // and reported; the handshake proves who answers there.
  test('connects by the address the group knows for the pod, at once', async () => {
    const { replicas, dns } = await twoReplicas(cleanups);
    const job = new LoopbackJob(dns, await freePort(), 2);
    job.publish(0);
    const reports: Progress[] = [];
    const zero = job.start(0, { dnsServers: [replicas[0]], secret: 's', onProgress: (progress) => reports.push(progress) });
    await waitUntil('index 0 finding no such name for index 1', () => reports.some((progress) => progress.missing.some((missing) => missing.index === 1 && missing.code === 'no-such-name')));
    job.publish(1);
    const launched: number[] = [];
    const one = job.start(1, { dnsServers: [replicas[1]], secret: 's', sessions: { launch: ({ socket, index }) => (launched.push(index), socket.end()) } });
    groups.push(...(await Promise.all([zero, one])));
    const [group] = groups as [Group];
    const connection = await group.connect(1, 'launch');
    connection.socket.destroy();
    expect(connection.address).toBe(job.address(1));
    await waitUntil('index 1 taking the launch session', () => launched.length === 1);
    expect(launched).toEqual([0]);
  });
});
