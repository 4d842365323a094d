// The group's life on the simulated cluster: how fast a failure reaches every pod, how fast the survivors'
// workloads stop, how long a restart round takes, how fast a silent pod is found, and the exit barrier.
import { Cluster, type Pod, type PodReport } from '../harness/cluster/cluster.js';
import { waitUntil } from '../harness/cluster/wait.js';
import { ROLLCALL } from '../harness/built.js';

export interface LifeResult {
  n: number;
  /** Max over pods: the failing workload's exit → the pod's rollcall logs the failure. */
  failureKnownMs: number;
  /** Max over surviving pods: the failure known → its workload got SIGTERM and ended. */
  stoppedAfterKnownMs: number;
  /** Max over pods: the failing workload's exit → the pod's workload runs again in round 1. */
  restartMs: number;
  /** Max over pods: the last workload's end → the pod exited. */
  exitAfterLastMs: number;
  /** Index 0 exited at or after every other pod. */
  indexZeroLast: boolean;
  /** Max over the other pods: a pod's link cut (no reset) → they log it vanished. */
  vanishedKnownMs: number;
}

/** Wall-clock ms of the first stdout line "<WORD> [round] <ns>". */
export function marked(report: PodReport, word: string, round?: number): number | undefined {
  const pattern = new RegExp(`^${word}${round === undefined ? '' : ` ${round}`} (\\d+)$`, 'm');
  const match = pattern.exec(report.stdout);
  return match === null ? undefined : Number(BigInt(match[1] as string) / 1000n) / 1000;
}

/** Wall-clock ms of the first JSON log event of a kind (rollcall logs in ms). */
export function logged(report: PodReport, event: string): number | undefined {
  for (const line of report.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time: string; event?: string };
    if (entry.event === event) return Date.parse(entry.time);
  }
  return undefined;
}

export const max = (values: (number | undefined)[]) => Math.max(...values.map((value) => value ?? Number.POSITIVE_INFINITY));

// Round 0: rank 2 fails after a second, the others run until stopped (their TERM trap marks when).
// Round 1: everyone ends at once but the last rank, a second later: the exit barrier's case.
const WORKLOAD = [
  'sh',
  '-c',
  [
    'r=$ROLLCALL_RESTART_COUNT',
    'echo "START $r $(date +%s%N)"',
    'trap \'echo "STOPPED $(date +%s%N)"; exit 143\' TERM',
    'if [ "$r" = 0 ] && [ "$RANK" = "$FAIL_RANK" ]; then sleep 1; echo "FAIL $(date +%s%N)"; exit 1; fi',
    'if [ "$r" = 1 ]; then [ "$RANK" = $((WORLD_SIZE - 1)) ] && sleep 1; echo "END $(date +%s%N)"; exit 0; fi',
    'while :; do sleep 0.05; done',
  ].join('; '),
];

async function startGroup(cluster: Cluster, n: number, env: Record<string, string>): Promise<Pod[]> {
  const pods: Pod[] = [];
  for (let index = 0; index < n; index++) {
    pods.push(
      await cluster.startPod({
        job: 'example-job',
        index,
        command: [process.execPath, ROLLCALL, '--', ...WORKLOAD],
        env: { ROLLCALL_COUNT: String(n), ROLLCALL_TIMEOUT: '120s', ROLLCALL_LOG_FORMAT: 'json', ROLLCALL_SECRET: 'bench', ...env },
      }),
    );
  }
  await waitUntil('every workload to start', () => pods.every((pod) => marked(pod.report, 'START', 0) !== undefined), { timeoutMs: 120_000 });
  return pods;
}

export async function runLife(n: number): Promise<LifeResult> {
  const cluster = await Cluster.create();
  let restart: Omit<LifeResult, 'vanishedKnownMs'>;
  try {
    const pods = await startGroup(cluster, n, { ROLLCALL_RESTARTS: '1', FAIL_RANK: '2' });
    const reports = await Promise.all(pods.map((pod) => pod.finished(120_000)));
    const failedAt = marked(reports[2] as PodReport, 'FAIL') as number;
    const known = reports.map((report) => logged(report, 'peer-failed'));
    const survivors = reports.filter((_, index) => index !== 2);
    const lastEnd = max(reports.map((report) => marked(report, 'END')));
    restart = {
      n,
      failureKnownMs: max(known) - failedAt,
      stoppedAfterKnownMs: max(survivors.map((report) => (marked(report, 'STOPPED') ?? Number.POSITIVE_INFINITY) - (logged(report, 'peer-failed') ?? 0))),
      restartMs: max(reports.map((report) => marked(report, 'START', 1))) - failedAt,
      exitAfterLastMs: max(reports.map((report) => report.exitedAt)) - lastEnd,
      indexZeroLast: reports.every((report) => (reports[0]?.exitedAt as number) >= (report.exitedAt as number)),
    };
    if (reports.some((report) => report.exitCode !== 0)) throw new Error(`a pod did not exit 0: ${reports.map((report) => report.exitCode).join(',')}`);
  } finally {
    await cluster.destroy();
  }

  const silent = await Cluster.create();
  try {
    const pods = await startGroup(silent, n, { FAIL_RANK: 'none' });
    const cut = pods[3] as Pod;
    await cut.cut();
    const cutAt = performance.timeOrigin + performance.now();
    const others = await Promise.all(pods.filter((pod) => pod !== cut).map((pod) => pod.finished(60_000)));
    await cut.kill();
    if (!others.every((report) => /example-job-3\.headless-svc failed \(vanished\)/.test(report.stderr))) throw new Error('the silent pod was not reported vanished');
    return { ...restart, vanishedKnownMs: max(others.map((report) => logged(report, 'peer-failed'))) - cutAt };
  } finally {
    await silent.destroy();
  }
}
