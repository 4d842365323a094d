// An elastic group (ROLLCALL_COUNT=(N-1):N) on the simulated cluster: N−1 pods release after the last call;
// the N-th joins and every pod runs again in round 1 at N; then it gets SIGTERM and every pod runs again in
// round 2 at N−1. Each change is timed from when index 0 saw it (its verdict) to the last pod running again.
import { Cluster, type Pod, type PodReport } from '../harness/cluster/cluster.js';
import { waitUntil } from '../harness/cluster/wait.js';
import { ROLLCALL } from '../harness/built.js';
import { logged, marked, max } from './life.js';

export interface ElasticResult {
  n: number;
  lastCallMs: number;
  /**
   * The last of the first N−1 pods' checks passed (its arrival, from its release log's timings) → the last
   * of them released, less the last call.
   */
  releaseAfterLastCallMs: number;
  /** The N-th pod joins: index 0's verdict → the last pod's workload runs round 1, at N. */
  grownMs: number;
  /** The N-th pod leaves on SIGTERM: index 0's verdict → the last pod's workload runs round 2, at N−1. */
  shrunkMs: number;
}

// Runs until stopped, marking when each round's workload starts and with how many; ends 0 in round 2.
const WORKLOAD = [
  'sh',
  '-c',
  [
    'r=$ROLLCALL_RESTART_COUNT',
    'echo "START $r $(date +%s%N)"',
    'echo "SIZE $r $WORLD_SIZE"',
    '[ "$r" = 2 ] && exit 0',
    "trap 'exit 143' TERM",
    'while :; do sleep 0.05; done',
  ].join('; '),
];

/** When a pod logged its release, and its timings: from its call until its checks passed, and until the release. */
function releaseLog(report: PodReport): { at: number; checksMs: number; releaseMs: number } {
  for (const line of report.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time: string; event?: string; checksMs?: number; releaseMs?: number };
    if (entry.event === 'released' && entry.checksMs !== undefined && entry.releaseMs !== undefined) return { at: Date.parse(entry.time), checksMs: entry.checksMs, releaseMs: entry.releaseMs };
  }
  throw new Error(`${report.name} logged no release with its timings`);
}

/** Wall-clock ms at which index 0 logged the verdict on `round`. */
function verdictAt(report: PodReport, round: number): number | undefined {
  for (const line of report.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time: string; event?: string; round?: number };
    if (entry.event === 'peer-failed' && entry.round === round) return Date.parse(entry.time);
  }
  return undefined;
}

export async function runElastic(n: number, lastCallMs = 1000): Promise<ElasticResult> {
  const cluster = await Cluster.create();
  try {
    const start = (index: number) =>
      cluster.startPod({
        job: 'example-job',
        index,
        command: [process.execPath, ROLLCALL, '--', ...WORKLOAD],
        env: { ROLLCALL_COUNT: `${n - 1}:${n}`, ROLLCALL_LAST_CALL: `${lastCallMs}ms`, ROLLCALL_TIMEOUT: '120s', ROLLCALL_LOG_FORMAT: 'json', ROLLCALL_SECRET: 'bench', ROLLCALL_GRACE: '5s' },
      });
    const pods: Pod[] = [];
    for (let index = 0; index < n - 1; index++) pods.push(await start(index));
    const running = (round: number, group: Pod[]) => () => group.every((pod) => marked(pod.report, 'START', round) !== undefined);
    await waitUntil(`${n - 1} pods running round 0`, running(0, pods), { timeoutMs: 120_000 });
    const released = pods.map((pod) => releaseLog(pod.report));
    const lastArrival = Math.max(...released.map((entry) => entry.at - entry.releaseMs + entry.checksMs));
    const releaseAfterLastCallMs = Math.max(...released.map((entry) => entry.at)) - lastArrival - lastCallMs;

    const joining = await start(n - 1);
    const all = [...pods, joining];
    await waitUntil(`${n} pods running round 1`, running(1, all), { timeoutMs: 120_000 });
    const grownMs = max(all.map((pod) => marked(pod.report, 'START', 1))) - (verdictAt(pods[0]?.report as PodReport, 0) ?? Number.NaN);

    joining.signal('SIGTERM');
    await waitUntil(`${n - 1} pods running round 2`, running(2, pods), { timeoutMs: 120_000 });
    const shrunkMs = max(pods.map((pod) => marked(pod.report, 'START', 2))) - (verdictAt(pods[0]?.report as PodReport, 1) ?? Number.NaN);
    const reports = await Promise.all(pods.map((pod) => pod.finished(60_000)));
    const sizes = reports.map((report) => [1, 2].map((round) => new RegExp(`^SIZE ${round} (\\d+)$`, 'm').exec(report.stdout)?.[1]).join('/'));
    if (!sizes.every((size) => size === `${n}/${n - 1}`)) throw new Error(`WORLD_SIZE in rounds 1 and 2 was not ${n} and ${n - 1} everywhere: ${sizes.join(', ')}`);
    if (reports.some((report) => report.exitCode !== 0)) throw new Error(`a pod did not exit 0: ${reports.map((report) => report.exitCode).join(',')}`);
    if (!Number.isFinite(grownMs) || !Number.isFinite(shrunkMs) || logged(reports[0] as PodReport, 'peer-failed') === undefined) throw new Error('index 0 logged no verdict on a change');
    return { n, lastCallMs, releaseAfterLastCallMs, grownMs, shrunkMs };
  } finally {
    await cluster.destroy();
  }
}
