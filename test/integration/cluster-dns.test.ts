import { expect, test } from 'vitest';
import type { Pod } from '../../harness/cluster/cluster.js';
import type { CacheKeying } from '../../harness/cluster/cluster-dns.js';
import { describeWith } from '../../harness/requirements.js';
import { releasedAt } from '../../harness/cluster/release-mark.js';
import { CLUSTER_NEEDS, describeReport, finishAll, startRollcallPod, useClusters } from './support.js';

/** The workload resolves every peer's name the way a hostfile or MASTER_ADDR is resolved: getaddrinfo, plain A and AAAA questions. */
const resolveEveryPeer = (count: number) => ['sh', '-c', `echo "RELEASED $(date +%s%N)"; for i in $(seq 0 ${count - 1}); do getent ahosts example-job-$i.headless-svc > /dev/null || { echo "unresolved example-job-$i"; exit 9; }; done`];

describeWith([...CLUSTER_NEEDS], 'a cluster DNS that publishes records late and caches "no such name"', () => {
  const createCluster = useClusters();

  test.each<['star' | 'mesh', CacheKeying]>([
    ['star', 'coredns'],
    ['mesh', 'coredns'],
  ])('%s: rollcall never plants "no such name" for the question a workload asks, so every name resolves for the workload (%s cache, 30 s)', async (topology, keying) => {
    // A 30 s negative TTL and records a second late: one plain question asked too early would hold
    // that name unresolvable for 30 s on its replica, for rollcall and the workload alike.
    const cluster = await createCluster({ publishDelayMs: 1000, dns: { ttlS: 30, cache: { negativeS: 30, positiveS: 30, keying } } });
    const count = 4;
    const pods: Pod[] = [];
    for (let index = 0; index < count; index++) {
      pods.push(await startRollcallPod(cluster, index, { count, args: ['--topology', topology], workload: resolveEveryPeer(count) }));
    }
    const reports = await finishAll(pods);
    for (const report of reports) expect(report.exitCode, describeReport(report)).toBe(0);
    const queries = cluster.coreDns.queries().filter((query) => query.name.startsWith('example-job-'));
    const plainNegative = queries.filter((query) => query.bits === '00' && (query.type === 'A' || query.type === 'AAAA') && query.rcode === 'NXDOMAIN');
    expect(plainNegative, 'plain questions answered "no such name"').toEqual([]);
    // Rollcall did ask before the records existed: with its probe questions, which the workload never asks.
    expect(queries.some((query) => query.bits !== '00' && query.rcode === 'NXDOMAIN')).toBe(true);
    // Nobody released before the last record appeared: each pod resolved its own name before it went to index 0.
    const lastRecord = Math.max(...reports.map((report) => report.recordAt as number));
    for (const report of reports) expect(releasedAt(report) as number, report.name).toBeGreaterThanOrEqual(lastRecord);
  });

  test('a per-name cache (dnsmasq), where every question plants "no such name", is waited out from the SOA: the group releases, every name resolves', async () => {
    const cluster = await createCluster({ publishDelayMs: 1000, dns: { ttlS: 3, cache: { negativeS: 3, positiveS: 3, keying: 'dnsmasq' } } });
    const count = 3;
    const pods: Pod[] = [];
    for (let index = 0; index < count; index++) pods.push(await startRollcallPod(cluster, index, { count, workload: resolveEveryPeer(count) }));
    for (const report of await finishAll(pods)) expect(report.exitCode, describeReport(report)).toBe(0);
    expect(cluster.coreDns.queries().some((query) => query.rcode === 'NXDOMAIN' && query.cached), 'the cache did hold negative answers').toBe(true);
  });
});
