import { expect, test } from 'vitest';
import type { Pod } from '../../harness/cluster/cluster.js';
import { sleep, waitUntil } from '../../harness/cluster/wait.js';
import { describeWith } from '../../harness/requirements.js';
import { CLUSTER_NEEDS, describeReport, startRollcallPod, finishAll, useClusters } from './support.js';
import { releasedAt } from '../../harness/cluster/release-mark.js';

/** Until every pod has logged that it waits for `name` (its progress line names it): the group is there, held by that pod. */
const waitingFor = (pods: Pod[], name: string) =>
  waitUntil(`every pod waiting for ${name}`, () => pods.every((pod) => pod.report.stderr.split('\n').some((line) => /confirmed; .*waiting for/.test(line) && line.includes(name))), { timeoutMs: 30_000 });

describeWith([...CLUSTER_NEEDS], 'a true barrier on the simulated cluster', () => {
  const createCluster = useClusters();

  test.each(['mesh', 'star'] as const)(
    '%s: 32 pods, the last late (every other already logging that it waits for it), each exiting right after release (its record gone at once): all release, none stranded',
    async (topology) => {
      const cluster = await createCluster();
      const count = 32;
      // Without the exit barrier, which would otherwise keep every pod (and its record) until all finished.
      const env = { ROLLCALL_TOPOLOGY: topology, ROLLCALL_EXIT_TIMEOUT: '0', ROLLCALL_LOG_INTERVAL: '250ms' };
      const early: Pod[] = [];
      // Pods start over about a second, as a scheduler brings them up.
      for (let index = 0; index < count - 1; index++) {
        early.push(await startRollcallPod(cluster, index, { count, env }));
        await sleep(30);
      }
      await waitingFor(early, 'example-job-31');
      const late = await startRollcallPod(cluster, count - 1, { count, env });
      const reports = await finishAll([...early, late]);
      const appeared = late.report.recordAt as number;
      for (const report of reports) {
        expect(report.exitCode, describeReport(report)).toBe(0);
        // Nobody started before the last pod was there.
        expect(releasedAt(report) as number, report.name).toBeGreaterThanOrEqual(appeared);
      }
    },
  );

  test('index 0 arriving last (every other already logging that it waits for it): everyone releases once it is there', async () => {
    const cluster = await createCluster();
    const count = 8;
    const env = { ROLLCALL_TOPOLOGY: 'star', ROLLCALL_LOG_INTERVAL: '250ms' };
    const others = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((index) => startRollcallPod(cluster, index, { count, env })));
    await waitingFor(others, 'example-job-0');
    const zero = await startRollcallPod(cluster, 0, { count, env });
    const reports = await finishAll([zero, ...others]);
    const appeared = zero.report.recordAt as number;
    for (const report of reports) {
      expect(report.exitCode, describeReport(report)).toBe(0);
      expect(releasedAt(report) as number, report.name).toBeGreaterThanOrEqual(appeared);
    }
  });

  test('a pod killed after the release and replaced (new IP): with --restarts 1, every pod runs again with the replacement, and all exit 0', async () => {
    const cluster = await createCluster();
    // Round 0 runs until it is stopped; round 1 finishes.
    const workload = ['sh', '-c', 'echo "ROUND $ROLLCALL_RESTART_COUNT"; [ "$ROLLCALL_RESTART_COUNT" = 1 ] || sleep 60'];
    const env = { ROLLCALL_RESTARTS: '1', ROLLCALL_TIMEOUT: '30s' };
    const pods = await Promise.all([0, 1, 2].map((index) => startRollcallPod(cluster, index, { count: 3, workload, env })));
    await waitUntil('round 0 to run everywhere', () => pods.every((pod) => pod.report.stdout.includes('ROUND 0')), { timeoutMs: 20_000 });
    const old = pods[2] as Pod;
    await old.kill();
    const replacement = await startRollcallPod(cluster, 2, { count: 3, workload, env });
    const reports = await finishAll([pods[0] as Pod, pods[1] as Pod, replacement], 40_000);
    for (const report of reports) {
      expect(report.exitCode, describeReport(report)).toBe(0);
      expect(report.stdout, report.name).toMatch(/ROUND 1/);
      expect(report.stderr, report.name).toMatch(/example-job-2\.headless-svc failed \((replaced by a newer pod|vanished)\)/);
    }
    // The replacement never ran round 0: no index ran twice at once.
    expect(reports[2]?.stdout).not.toMatch(/ROUND 0/);
  });

  test('a pod killed after the release, without restarts: every other pod stops its workload and exits 75, naming it', async () => {
    const cluster = await createCluster();
    const env = { ROLLCALL_SESSION_TIMEOUT: '3s', ROLLCALL_TIMEOUT: '30s' };
    const workload = ['sh', '-c', 'echo RUNNING; sleep 60'];
    const pods = await Promise.all([0, 1, 2].map((index) => startRollcallPod(cluster, index, { count: 3, workload, env })));
    await waitUntil('the workloads to run', () => pods.every((pod) => pod.report.stdout.includes('RUNNING')), { timeoutMs: 20_000 });
    await (pods[1] as Pod).kill();
    for (const report of await finishAll([pods[0] as Pod, pods[2] as Pod], 30_000)) {
      expect(report.exitCode, describeReport(report)).toBe(75);
      expect(report.stderr).toMatch(/example-job-1\.headless-svc failed \(vanished\) after [\d.]+s; the group stops/);
      expect(report.stderr).toMatch(/stopping the workload/);
    }
  });

  test.each([1, 0])('SIGTERM to pod %i at the exit barrier (its workload done): it tells index 0 and leaves with its 0; the others stop at once, naming it', async (leaving) => {
    const cluster = await createCluster();
    // Far longer than the test takes: the others must hear of it from the pod, not from its silence.
    const env = { ROLLCALL_SESSION_TIMEOUT: '60s', ROLLCALL_TIMEOUT: '30s' };
    const workload = ['sh', '-c', `[ "$RANK" = ${leaving} ] && exit 0; echo RUNNING; sleep 60`];
    const pods = await Promise.all([0, 1, 2].map((index) => startRollcallPod(cluster, index, { count: 3, workload, env })));
    const others = pods.filter((_, index) => index !== leaving);
    const pod = pods[leaving] as Pod;
    await waitUntil('the others running, and the pod at the exit barrier', () => others.every((each) => each.report.stdout.includes('RUNNING')) && pod.report.stderr.includes('exit barrier'), { timeoutMs: 20_000 });
    pod.signal('SIGTERM');
    const left = await pod.finished(20_000);
    expect(left.exitCode, describeReport(left)).toBe(0);
    expect(left.stderr).toMatch(/received SIGTERM: leaving the group \(this workload ended with 0\), exiting 0/);
    for (const report of await finishAll(others, 20_000)) {
      expect(report.exitCode, describeReport(report)).toBe(75);
      expect(report.stderr).toMatch(new RegExp(`example-job-${leaving}\\.headless-svc failed \\(SIGTERM\\) after [\\d.]+m?s; the group stops`));
      // Told, not found out: a pod found out would be named "vanished", after the 60 s session timeout.
      expect(report.stderr).toMatch(/stopping the workload/);
      expect(report.stderr).not.toMatch(/vanished/);
    }
  });

  test('a pod of an older job with the same name and a pod with the wrong secret turn the real index 0 away; it waits, naming why, and the real group releases without them', async () => {
    const cluster = await createCluster();
    const real = { ROLLCALL_JOB_UID: 'uid-new', ROLLCALL_SECRET: 'right', ROLLCALL_TIMEOUT: '30s', ROLLCALL_LOG_INTERVAL: '250ms' };
    // The impostors hold the names example-job-1 and example-job-2; once the real pods come, DNS returns both addresses.
    const older = await startRollcallPod(cluster, 2, { count: 3, env: { ...real, ROLLCALL_JOB_UID: 'uid-old', ROLLCALL_TIMEOUT: '12s' } });
    const wrongSecret = await startRollcallPod(cluster, 1, { count: 3, env: { ...real, ROLLCALL_SECRET: 'wrong', ROLLCALL_TIMEOUT: '12s' } });
    await waitUntil('both impostors published', () => older.report.recordAt !== undefined && wrongSecret.report.recordAt !== undefined);
    // The real index 0 alone: its call-outs to example-job-1 and -2 can reach only the impostors, which refuse it.
    const zero = await startRollcallPod(cluster, 0, { count: 3, env: real, args: ['peers', '--json'], workload: [] });
    await waitUntil(
      'both impostors refusing index 0, and index 0 waiting for both, refused',
      () =>
        /refused .*job uid "uid-new" is not "uid-old"/.test(older.report.stderr) &&
        /refused .*secret proof does not match/.test(wrongSecret.report.stderr) &&
        zero.report.stderr.split('\n').some((line) => /waiting for .*example-job-1\.headless-svc \(refused by peer.*example-job-2\.headless-svc \(refused by peer/.test(line)),
      { timeoutMs: 20_000 },
    );
    const group = [zero, ...(await Promise.all([1, 2].map((index) => startRollcallPod(cluster, index, { count: 3, env: real, args: ['peers', '--json'], workload: [] }))))];
    const reports = await finishAll(group);
    for (const report of reports) {
      expect(report.exitCode, describeReport(report)).toBe(0);
      const peers = (JSON.parse(report.stdout) as { peers: { address?: string }[] }).peers;
      // Where this pod probed them itself, it reached the real pods, never the impostors.
      for (const [index, peer] of peers.entries()) if (peer.address !== undefined) expect(peer.address).toBe(group[index]?.ips[0]);
    }
    for (const impostor of await finishAll([older, wrongSecret])) {
      expect(impostor.exitCode, describeReport(impostor)).toBe(124);
      expect(impostor.stdout).not.toContain('RELEASED');
    }
  });

  test('a peer killed mid-barrier: the others time out naming it', async () => {
    const cluster = await createCluster();
    const env = { ROLLCALL_TIMEOUT: '5s', ROLLCALL_LOG_INTERVAL: '250ms' };
    const pods = await Promise.all([0, 1, 2].map((index) => startRollcallPod(cluster, index, { count: 4, env })));
    // Mid-barrier: all three there, waiting for the fourth.
    await waitingFor(pods, 'example-job-3');
    (pods[2] as Pod).signal('SIGKILL');
    const reports = await finishAll([pods[0] as Pod, pods[1] as Pod]);
    for (const report of reports) {
      expect(report.exitCode, describeReport(report)).toBe(124);
      expect(report.stderr).toMatch(/missing .*example-job-2\.headless-svc \((left the group|no such name|connection refused)\)/);
      expect(report.stderr).toMatch(/example-job-3\.headless-svc \(/);
    }
  });

  test('a flood of connections at index 0 does not stop the group', async () => {
    const cluster = await createCluster();
    // 200 new connections every 100 ms at whatever example-job-0 resolves to, each sending junk.
    const flood = `const net = require("net"), dns = require("dns"); const end = Date.now() + 8000;
      (function wave() {
        if (Date.now() > end) return process.exit(0);
        dns.lookup("example-job-0.headless-svc", (error, address) => {
          if (!error) for (let i = 0; i < 200; i++) { const s = net.connect(7420, address); s.on("error", () => {}); s.on("connect", () => s.write("x".repeat(100))); }
          process.stdout.write("wave\\n");
          setTimeout(wave, 100);
        });
      })();`;
    const attacker = await cluster.startPod({ job: 'attacker', index: 0, command: [process.execPath, '-e', flood] });
    await waitUntil('the flood under way', () => attacker.report.stdout.includes('wave'));
    const group = await Promise.all([0, 1, 2].map((index) => startRollcallPod(cluster, index, { count: 3 })));
    for (const report of await finishAll(group)) expect(report.exitCode, describeReport(report)).toBe(0);
    expect(attacker.running, 'the flood was still going when the group released').toBe(true);
  });
});
