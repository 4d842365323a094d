import { expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import type { Pod } from '../../harness/cluster/cluster.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import { describeWith } from '../../harness/requirements.js';
import type { GroupStatus } from '../../src/index.js';
import { runProcess } from '../support/process.js';
import { CLUSTER_NEEDS, startRollcallPod, useClusters } from './support.js';

/** As `kubectl exec <pod> -- rollcall status` runs it: in the pod's namespaces, with none of the workload's env. */
const statusIn = (pod: Pod, ...args: string[]) => runProcess(pod.execArgv([process.execPath, ROLLCALL, 'status', ...args]), {});

describeWith(CLUSTER_NEEDS, 'rollcall status, run in a pod as kubectl exec runs it', () => {
  const createCluster = useClusters();

  test('healthy: index 0\'s view, every pod running with its address, heard from and progressing (exit 0); a pod gone: disconnected (exit 1); index 0 cut off: this pod\'s own view and why (exit 1)', async () => {
    const cluster = await createCluster();
    // A long session timeout: a pod that goes stays "disconnected", not yet "vanished", while the test looks.
    const env = { ROLLCALL_SECRET: 'status-test', ROLLCALL_TIMEOUT: '60s', ROLLCALL_SESSION_TIMEOUT: '60s' };
    const workload = ['sh', '-c', 'echo RUNNING; while :; do touch "$ROLLCALL_PROGRESS_FILE"; sleep 0.2; done'];
    const pods = await Promise.all([0, 1, 2].map((index) => startRollcallPod(cluster, index, { count: 3, workload, env })));
    await waitUntil('every workload running', () => pods.every((pod) => pod.report.stdout.includes('RUNNING')), { timeoutMs: 20_000 });
    // Progress reaches index 0 some time after the first touch: asked until every pod shows it, a bounded number of times.
    const ask = async () => {
      const answer = await statusIn(pods[2] as Pod, '--json');
      return { answer, status: (answer.code === 0 ? JSON.parse(answer.stdout) : undefined) as GroupStatus | undefined };
    };
    let healthy = await ask();
    for (let attempt = 0; attempt < 20 && !healthy.status?.pods.every((pod) => pod.lastProgressMs !== undefined); attempt++) healthy = await ask();
    expect(healthy.answer.code, healthy.answer.stderr).toBe(0);
    const status = healthy.status as GroupStatus;
    expect(status).toMatchObject({ job: 'example-job', size: 3, view: 'index 0', from: 0, round: 0, phase: 'running', healthy: true });
    for (const [index, pod] of status.pods.entries()) {
      expect(pod).toMatchObject({ index, name: `example-job-${index}.headless-svc`, state: 'running', round: 0, address: (pods[index] as Pod).ips[0] });
      // Touched every 0.2 s and heard within the session timeout: how recent is a figure, not asserted here.
      expect(pod.lastProgressMs).toEqual(expect.any(Number));
      if (index > 0) expect(pod.lastHeardMs).toEqual(expect.any(Number));
    }

    await (pods[1] as Pod).kill();
    // Index 0 hears the session close as the pod dies: asked again until it shows, a bounded number of times.
    let text = await statusIn(pods[2] as Pod);
    for (let attempt = 0; attempt < 20 && !/disconnected/.test(text.stdout); attempt++) text = await statusIn(pods[2] as Pod);
    expect(text.code, text.stdout + text.stderr).toBe(1);
    expect(text.stdout).toMatch(/^example-job: 3 pods, round 0, running; index 0's view; not healthy$/m);
    // What was last heard of it, and its last progress, stay: how long it has been gone.
    expect(text.stdout).toMatch(/^1\s+example-job-1\.headless-svc\s+\S+\s+0\s+disconnected\s+[\d.]+m?s ago\s+[\d.]+m?s ago$/m);
    expect(text.stdout).toMatch(/^2\s+example-job-2\.headless-svc\s+\S+\s+0\s+running\s+[\d.]+m?s ago\s+[\d.]+m?s ago$/m);

    await (pods[2] as Pod).cut();
    const local = await statusIn(pods[2] as Pod, '--json');
    expect(local.code, local.stderr).toBe(1);
    const own = JSON.parse(local.stdout) as GroupStatus;
    expect(own).toMatchObject({ view: 'local', from: 2, healthy: false, round: 0, phase: 'running' });
    expect(own.note).toMatch(/^index 0 could not be asked: /);
    expect(own.pods.map((pod) => pod.state)).toEqual(['unknown', 'unknown', 'running']);
    for (const pod of pods) await pod.kill();
  });
});
