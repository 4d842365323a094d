import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import type { Cluster, Pod } from '../../harness/cluster/cluster.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import { describeWith } from '../../harness/requirements.js';
import { CLUSTER_NEEDS, describeReport, finishAll, startRollcallPod, useClusters } from './support.js';

const TRAIN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/train.py');
/** rank + 1 summed over a group of n. */
const sum = (n: number) => (n * (n + 1)) / 2;

describeWith([...CLUSTER_NEEDS, 'torch'], 'an elastic group (ROLLCALL_COUNT=3:4) on the simulated cluster, with PyTorch (gloo)', () => {
  const createCluster = useClusters();
  const env = { ROLLCALL_SECRET: 'elastic-test', ROLLCALL_LAST_CALL: '2s', ROLLCALL_GRACE: '3s', TRAIN_UNTIL_ROUND: '2' };
  const startPod = (cluster: Cluster, index: number) => startRollcallPod(cluster, index, { count: 4, args: ['--count', '3:4'], workload: ['/usr/bin/python3', TRAIN], env });
  const saying = (pods: Pod[], text: (pod: Pod, at: number) => string) => () => pods.every((pod, at) => pod.report.stdout.includes(text(pod, at)));

  test('4 pods train; the Job shrinks (index 3 gets SIGTERM): 3 train again in place; it grows back: 4 do, every round all-reducing with the right WORLD_SIZE, no restart used', async () => {
    const cluster = await createCluster();
    const pods = await Promise.all([0, 1, 2, 3].map((index) => startPod(cluster, index)));
    await waitUntil('4 ranks training in round 0', saying(pods, (_, rank) => `rank ${rank} of 4 round 0 trains until stopped`), { timeoutMs: 60_000 });
    // As the Job controller removes the highest index when completions drop: the kubelet's SIGTERM.
    (pods[3] as Pod).signal('SIGTERM');
    const gone = await (pods[3] as Pod).finished(30_000);
    expect(gone.stderr, describeReport(gone)).toMatch(/received SIGTERM: leaving the group/);
    const three = pods.slice(0, 3);
    await waitUntil('3 ranks training in round 1', saying(three, (_, rank) => `rank ${rank} of 3 round 1 trains until stopped`), { timeoutMs: 60_000 });
    for (const pod of three) {
      expect(pod.report.stdout).toContain(`round 0 sum ${sum(4)}`);
      expect(pod.report.stderr).toMatch(/example-job-3\.headless-svc failed \(SIGTERM\) after [\d.]+m?s: the group shrinks; restart round 1 follows in place, using no restart/);
      expect(pod.report.stderr).toMatch(/\(restart round 1; membership 4 → 3\)/);
    }
    // The Job grows back: a new pod 3.
    const back = await startPod(cluster, 3);
    const reports = await finishAll([...three, back]);
    for (const [rank, report] of reports.entries()) {
      expect(report.exitCode, describeReport(report)).toBe(0);
      expect(report.stdout).toContain(`rank ${rank} of 4 round 2 sum ${sum(4)}`);
      expect(report.stderr).toMatch(/\(restart round 2; membership 3 → 4\)/);
      if (rank === 3) expect(report.stderr).toMatch(/3\/4 released without this pod \(index 3 came after the last call\): it waits for the group to grow/);
      else {
        expect(report.stdout).toContain(`rank ${rank} of 3 round 1 sum ${sum(3)}`);
        expect(report.stderr).toMatch(/example-job-3\.headless-svc joined after [\d.]+m?s in restart round 1: the group grows; restart round 2 follows in place, using no restart/);
      }
    }
    expect(reports[0]?.stderr).toMatch(/all 4 workloads finished in restart round 2/);
  });
});
