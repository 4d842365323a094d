import { expect, test } from 'vitest';
import type { Cluster, Pod, PodReport } from '../../harness/cluster/cluster.js';
import { describeWith } from '../../harness/requirements.js';
import { ROLLCALL } from '../../harness/built.js';
import { CLUSTER_NEEDS, describeReport, finishAll, startRollcallPod, useClusters } from './support.js';

/** A JobSet "train": a driver Job of one pod, two worker Jobs of two, in rank order. */
const GROUP = 'driver:1,workers:2x2';
const PODS = [
  { job: 'train-driver-0', index: 0, rank: 0, part: 'driver', partIndex: 0 },
  { job: 'train-workers-0', index: 0, rank: 1, part: 'workers', partIndex: 0 },
  { job: 'train-workers-0', index: 1, rank: 2, part: 'workers', partIndex: 1 },
  { job: 'train-workers-1', index: 0, rank: 3, part: 'workers', partIndex: 2 },
  { job: 'train-workers-1', index: 1, rank: 4, part: 'workers', partIndex: 3 },
] as const;

/** Every pod of the set, each with its own Job's name and completion index, as JobSet makes them; the driver last. */
async function startJobSet(cluster: Cluster, workload: (pod: (typeof PODS)[number]) => { args?: string[]; workload: string[] }): Promise<Pod[]> {
  const env = { ROLLCALL_GROUP: GROUP, ROLLCALL_SECRET: 'jobset-test', ROLLCALL_JOB_UID: 'one-jobset-uid' };
  const workers = await Promise.all(PODS.slice(1).map((pod) => startRollcallPod(cluster, pod.index, { job: pod.job, count: PODS.length, env, ...workload(pod) })));
  const driver = await startRollcallPod(cluster, 0, { job: 'train-driver-0', count: PODS.length, env, ...workload(PODS[0]) });
  return [driver, ...workers];
}

describeWith(CLUSTER_NEEDS, 'one group across the Jobs of a JobSet (ROLLCALL_GROUP)', () => {
  const createCluster = useClusters();

  test("five pods of three Jobs are one group: the driver is index 0, ranks run across the Jobs, and each pod's env names its part", async () => {
    const pods = await startJobSet(await createCluster(), () => ({ workload: ['sh', '-c', 'echo "rank=$RANK world=$WORLD_SIZE part=$ROLLCALL_PART/$ROLLCALL_PART_INDEX master=$MASTER_ADDR peers=$ROLLCALL_PEERS"'] }));
    const reports = await finishAll(pods);
    const names = PODS.map((pod) => `${pod.job}-${pod.index}.headless-svc`);
    for (const [at, report] of reports.entries()) {
      const pod = PODS[at] as (typeof PODS)[number];
      expect(report.exitCode, describeReport(report)).toBe(0);
      expect(report.stdout.trim(), describeReport(report)).toBe(`rank=${pod.rank} world=5 part=${pod.part}/${pod.partIndex} master=${names[0]} peers=${names.join(',')}`);
      expect(report.stderr).toContain(`5/5 ready; released as index ${pod.rank}, ${pod.part} ${pod.partIndex} (star)`);
    }
  });

  test("remote launch crosses the Jobs: the driver's rollcall exec runs a command in a worker Job's pod by its rank", async () => {
    const exec = `${process.execPath} ${ROLLCALL} exec 4 'echo "on $(hostname) as $ROLLCALL_PART $ROLLCALL_PART_INDEX"'`;
    const pods = await startJobSet(await createCluster(), (pod) => (pod.rank === 0 ? { workload: ['sh', '-c', exec] } : { args: ['serve'], workload: [] }));
    const reports = await finishAll(pods);
    for (const report of reports) expect(report.exitCode, describeReport(report)).toBe(0);
    expect((reports[0] as PodReport).stdout).toBe('on train-workers-1-1 as workers 3\n');
    expect((reports[4] as PodReport).stderr).toMatch(/launch from train-driver-0-0\.headless-svc: /);
  });

  test('fate is shared across the Jobs: a worker of the second Job fails, and every pod of every Job stops, naming it', async () => {
    const pods = await startJobSet(await createCluster(), () => ({ workload: ['sh', '-c', 'if [ "$RANK" = 3 ]; then exit 3; fi; exec sleep 60'] }));
    const reports = await finishAll(pods);
    for (const [at, report] of reports.entries()) {
      expect(report.stderr, describeReport(report)).toMatch(/train-workers-1-0\.headless-svc failed \(exit 3\) after [\d.]+m?s; the group stops/);
      expect(report.exitCode, describeReport(report)).toBe(PODS[at]?.rank === 3 ? 3 : 75);
    }
  });
});
