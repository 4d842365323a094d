import { expect, test } from 'vitest';
import type { Cluster, Pod } from '../../harness/cluster/cluster.js';
import { describeWith } from '../../harness/requirements.js';
import { CLUSTER_NEEDS, describeReport, finishAll, startRollcallPod, useClusters } from './support.js';

/**
 * A LeaderWorkerSet "serve" group `group` of `size` pods, as its controller makes them: the leader
 * `serve-<g>`, worker i `serve-<g>-<i>`, all under the Service "serve", each with the LWS_* env it sets.
 */
function startLwsGroup(cluster: Cluster, group: number, size: number, workload: string[]): Promise<Pod[]> {
  return Promise.all(
    Array.from({ length: size }, (_, worker) => {
      const env = { LWS_LEADER_ADDRESS: `serve-${group}.serve.${cluster.namespace}`, LWS_GROUP_SIZE: String(size), LWS_WORKER_INDEX: String(worker) };
      // The harness names a pod <job>-<index>: the leader is "serve" + g, a worker "serve-<g>" + i.
      const pod = worker === 0 ? { job: 'serve', index: group } : { job: `serve-${group}`, index: worker };
      return startRollcallPod(cluster, pod.index, { ...pod, count: size, env, workload });
    }),
  );
}

describeWith(CLUSTER_NEEDS, "a LeaderWorkerSet's group, read from the env its controller sets", () => {
  const createCluster = useClusters();

  test('two groups of one LeaderWorkerSet side by side: each releases on its own, its leader index 0, and neither counts the other', async () => {
    const cluster = await createCluster({ service: 'serve' });
    const print = ['sh', '-c', 'echo "rank=$RANK world=$WORLD_SIZE master=$MASTER_ADDR peers=$ROLLCALL_PEERS"'];
    const [first, second] = await Promise.all([startLwsGroup(cluster, 0, 3, print), startLwsGroup(cluster, 1, 4, print)]);
    for (const [group, pods, size] of [[0, first, 3], [1, second, 4]] as const) {
      const names = Array.from({ length: size }, (_, rank) => `${rank === 0 ? `serve-${group}` : `serve-${group}-${rank}`}.serve`);
      const reports = await finishAll(pods as Pod[]);
      for (const [rank, report] of reports.entries()) {
        expect(report.exitCode, describeReport(report)).toBe(0);
        expect(report.stdout.trim(), describeReport(report)).toBe(`rank=${rank} world=${size} master=${names[0]} peers=${names.join(',')}`);
        expect(report.stderr).toContain(`${size}/${size} ready; released as index ${rank} (star)`);
      }
    }
  });
});
