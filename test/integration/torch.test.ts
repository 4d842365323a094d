import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import type { Cluster, Pod, PodReport } from '../../harness/cluster/cluster.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import { describeWith } from '../../harness/requirements.js';
import { CLUSTER_NEEDS, describeReport, finishAll, startRollcallPod, useClusters } from './support.js';

const TRAIN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/train.py');
const PYTHON = ['/usr/bin/python3', TRAIN];
const COUNT = 4;
/** 1 + 2 + 3 + 4: what every rank's all-reduce must give. */
const SUM = (COUNT * (COUNT + 1)) / 2;

describeWith([...CLUSTER_NEEDS, 'torch'], 'PyTorch (gloo) on the simulated cluster, 4 pods', () => {
  const createCluster = useClusters();

  // A secret, as the examples set: outcomes and verdicts stop workloads, so only the group may send them.
  const startPod = (cluster: Cluster, index: number, env: Record<string, string>, { workload = PYTHON, args = [] as string[] } = {}) =>
    startRollcallPod(cluster, index, { count: COUNT, workload, args, env: { ROLLCALL_SECRET: 'torch-test', ROLLCALL_TIMEOUT: '60s', ...env } });
  const startJob = async (env: Record<string, string>, options: { workload?: string[]; args?: string[] } = {}, cluster?: Cluster) => {
    const on = cluster ?? (await createCluster());
    return Promise.all(Array.from({ length: COUNT }, (_, index) => startPod(on, index, env, options)));
  };
  const exitCode = (report: PodReport, code: number) => expect(report.exitCode, describeReport(report)).toBe(code);
  const stdoutHas = (pods: Pod[], text: string) => () => pods.every((pod) => pod.report.stdout.includes(text));
  const exitBarrierAt = (report: PodReport): number => {
    const line = report.stderr.split('\n').find((text) => text.includes('"event":"exit-barrier"'));
    expect(line, describeReport(report)).toBeDefined();
    return Date.parse((JSON.parse(line as string) as { time: string }).time);
  };

  test('rollcall -- python3 train.py: every rank all-reduces the right sum, and all exit 0', async () => {
    const reports = await finishAll(await startJob({}));
    for (const [rank, report] of reports.entries()) {
      exitCode(report, 0);
      expect(report.stdout).toContain(`rank ${rank} of ${COUNT} round 0 sum ${SUM}`);
    }
    expect(reports[0]?.stderr).toMatch(/all 4 workloads finished: 0: exit 0/);
  });

  test('rollcall --preset torchrun -- torchrun: the PET_* variables make the rendezvous, every worker gets the sum', async () => {
    // Debian's torchrun (1.13) on Python 3.11 mis-parses its own default "0" for the last two flags.
    const torchrun = ['/usr/bin/torchrun', '--nproc_per_node', '1', '--redirects', '1', '--tee', '1', TRAIN];
    const reports = await finishAll(await startJob({}, { workload: torchrun, args: ['--preset', 'torchrun'] }));
    for (const [rank, report] of reports.entries()) {
      exitCode(report, 0);
      expect(report.stdout).toContain(`rank ${rank} of ${COUNT} round 0 sum ${SUM}`);
    }
  });

  test('rank 2 exits 1 while the others wait in a collective: every workload is stopped, exit 1 and 75s, all naming example-job-2', async () => {
    const pods = await startJob({ TRAIN_FAIL_RANK: '2', TRAIN_HOLD_SECONDS: '1' });
    const reports = await finishAll(pods);
    for (const [rank, report] of reports.entries()) {
      exitCode(report, rank === 2 ? 1 : 75);
      expect(report.stderr).toMatch(/example-job-2\.headless-svc failed \(exit 1\) after [\d.]+m?s; the group stops/);
      if (rank !== 2) {
        expect(report.stdout).toContain(`rank ${rank} waiting in a collective`);
        expect(report.stdout).not.toContain('collective returned');
        // Stopped by the group, not left to gloo's own timeout (how soon is the bench's).
        expect(report.stderr).toMatch(/stopping the workload/);
      }
    }
  });

  test('--stall-timeout 3s: rank 2 hangs in its training loop while the others block in an all-reduce; all are stopped, naming it', async () => {
    const pods = await startJob({ TRAIN_STALL_RANK: '2', ROLLCALL_STALL_TIMEOUT: '3s', ROLLCALL_GRACE: '2s' });
    await waitUntil('rank 2 hanging', stdoutHas([pods[2] as Pod], 'rank 2 hangs in step 3'), { timeoutMs: 60_000 });
    const reports = await finishAll(pods);
    for (const [rank, report] of reports.entries()) {
      exitCode(report, rank === 2 ? 124 : 75);
      expect(report.stderr).toMatch(/example-job-2\.headless-svc failed \(stalled: no progress for [\d.]+s\) after [\d.]+m?s; the group stops/);
    }
    // How soon after its last progress it is named is the bench's (npm run bench -- --only stall) and the
    // simulator's ("stalls in time"); here, that the hang, not gloo's timeout, ended the group.
  });

  test('--restarts 1, rank 2 failing only in round 0: round 1 all-reduces and every pod exits 0, every workload told round 1', async () => {
    const reports = await finishAll(await startJob({ ROLLCALL_RESTARTS: '1', TRAIN_FAIL_RANK: '2', TRAIN_FAIL_ROUND: '0', TRAIN_HOLD_SECONDS: '1' }));
    for (const [rank, report] of reports.entries()) {
      exitCode(report, 0);
      expect(report.stdout).toContain(`rank ${rank} of ${COUNT} round 1 sum ${SUM}`);
      expect(report.stderr).toMatch(/restart round 1 follows/);
    }
    expect(reports[0]?.stderr).toMatch(/all 4 workloads finished in restart round 1/);
  });

  test('--restarts 1, index 0\'s pod killed mid-run and replaced (new IP): the members keep their round, and round 1 all-reduces in all four pods', async () => {
    const cluster = await createCluster();
    const env = { ROLLCALL_RESTARTS: '1', ROLLCALL_SESSION_TIMEOUT: '3s', TRAIN_HOLD_SECONDS: '1', TRAIN_HOLD_ROUND: '0', TRAIN_AWAY_RANK: '0' };
    const pods = await startJob(env, {}, cluster);
    await waitUntil('every rank in the collective', stdoutHas(pods, 'waiting in a collective'), { timeoutMs: 60_000 });
    await (pods[0] as Pod).kill();
    const replacement = await startPod(cluster, 0, env);
    const reports = await finishAll([replacement, ...pods.slice(1)]);
    for (const [rank, report] of reports.entries()) {
      exitCode(report, 0);
      expect(report.stdout, report.name).toContain(`rank ${rank} of ${COUNT} round 1 sum ${SUM}`);
      expect(report.stderr, report.name).toMatch(/example-job-0\.headless-svc failed \((vanished|replaced by a newer pod)\) after [\d.]+m?s; restart round 1 follows/);
    }
    // The new index 0 went straight to the members' round: it never ran round 0, and counted one restart.
    expect(reports[0]?.stdout).not.toMatch(/round 0/);
    expect(reports[0]?.stderr).toMatch(/all 4 workloads finished in restart round 1/);
  });

  test('rank 0 finishes 3 s before the others: they still find it by name, no store or connection errors, and pod 0 outlives every workload', async () => {
    // JSON logs carry each line's time: a member's exit-barrier line is written once its workload ended.
    const reports = await finishAll(await startJob({ TRAIN_RANK0_EARLY_SECONDS: '3', ROLLCALL_LOG_FORMAT: 'json' }));
    for (const [rank, report] of reports.entries()) {
      exitCode(report, 0);
      expect(report.stdout).toContain(`rank ${rank} done`);
      expect(report.stderr).not.toMatch(/Connection reset|Broken pipe|TCPStore|Traceback|RuntimeError/);
    }
    for (const rank of [1, 2, 3]) expect(reports[rank]?.stdout).toMatch(new RegExp(`rank ${rank} resolves example-job-0\\.headless-svc as \\d`));
    // Pod 0 (whose rank holds the TCPStore) exits only after every member's workload has ended. Not after
    // the members' processes: each exits right after acknowledging the release that lets pod 0 go, so
    // those exits race by a scheduler's tick.
    const workloadEnds = reports.slice(1).map((report) => exitBarrierAt(report));
    expect(reports[0]?.exitedAt as number).toBeGreaterThanOrEqual(Math.max(...workloadEnds));
  });

  test('a pod\'s link cut mid-run (no reset): the others stop once it has been silent for the session timeout', async () => {
    const pods = await startJob({ ROLLCALL_SESSION_TIMEOUT: '3s', TRAIN_FAIL_RANK: '-1', TRAIN_HOLD_SECONDS: '1' });
    // Everyone waits in a collective; then rank 3's node goes silent, as a dead node does.
    await waitUntil('every rank in the collective', stdoutHas(pods, 'waiting in a collective'), { timeoutMs: 60_000 });
    await (pods[3] as Pod).cut();
    const cutAt = Date.now();
    const reports = await finishAll(pods.slice(0, 3), 40_000);
    for (const report of reports) {
      exitCode(report, 75);
      expect(report.stderr).toMatch(/example-job-3\.headless-svc failed \(vanished\)/);
      // Never before the silence has lasted the session timeout (3 s, counted from the last beat heard,
      // a sixth of it before the cut at most): a cut is not judged early. That it ends is bounded by finishAll.
      expect((report.exitedAt as number) - cutAt).toBeGreaterThanOrEqual(3000 - 500);
    }
    // The cut pod loses index 0 the same way and stops its own workload.
    const cut = await (pods[3] as Pod).finished(30_000);
    exitCode(cut, 75);
    expect(cut.stderr).toMatch(/example-job-0\.headless-svc failed \(vanished\)/);
  });

  test('SIGTERM to one pod (an eviction): its workload gets it, and the group treats it as a failure', async () => {
    const pods = await startJob({ TRAIN_HOLD_SECONDS: '1' });
    await waitUntil('every rank in the collective', stdoutHas(pods, 'waiting in a collective'), { timeoutMs: 60_000 });
    (pods[1] as Pod).signal('SIGTERM');
    const reports = await finishAll(pods);
    for (const [rank, report] of reports.entries()) {
      exitCode(report, rank === 1 ? 143 : 75);
      // The pod that got it leaves once its workload has ended, without waiting for a verdict about itself.
      expect(report.stderr).toMatch(rank === 1 ? /received SIGTERM: leaving the group \(this workload ended with 143\), exiting 143/ : /example-job-1\.headless-svc failed \(SIGTERM\)/);
    }
  });
});
