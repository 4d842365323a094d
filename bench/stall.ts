// A stall on the simulated cluster: N pods under `rollcall --stall-timeout`, each workload touching its
// progress file every 100 ms; rank 2's stops touching (it still runs, as a hung rank does). Measured: from
// its last touch to each pod's rollcall logging the stall, against the target of the timeout and a second.
import { Cluster, type PodReport } from '../harness/cluster/cluster.js';
import { ROLLCALL } from '../harness/built.js';
import { logged, marked, max } from './life.js';

export interface StallResult {
  n: number;
  stallTimeoutMs: number;
  /** Max over pods: rank 2's last touch → the pod logs the stall. */
  namedMs: number;
  /** Every pod named rank 2 first. */
  allNamedIt: boolean;
}

const STALL_TIMEOUT_MS = 3000;

// Rank 2 touches for 2 s and then only sleeps; every other rank touches until stopped. "LAST <ns>" marks
// each touch's time, so the last one printed is the last touch.
const WORKLOAD = [
  'sh',
  '-c',
  ['i=0', 'while :; do', '  if [ "$RANK" != 2 ] || [ $i -lt 20 ]; then touch "$ROLLCALL_PROGRESS_FILE"; [ "$RANK" != 2 ] || echo "LAST $(date +%s%N)"; fi', '  i=$((i+1)); sleep 0.1', 'done'].join('\n'),
];

/** Wall-clock ms of the last "LAST <ns>" line. */
function lastTouch(report: PodReport): number | undefined {
  const lines = report.stdout.split('\n').filter((line) => line.startsWith('LAST '));
  return lines.length === 0 ? undefined : marked({ ...report, stdout: lines.at(-1) as string }, 'LAST');
}

export async function runStall(n: number): Promise<StallResult> {
  const cluster = await Cluster.create();
  try {
    const pods = await Promise.all(
      Array.from({ length: n }, (_, index) =>
        cluster.startPod({
          job: 'example-job',
          index,
          command: [process.execPath, ROLLCALL, '--', ...WORKLOAD],
          env: { ROLLCALL_COUNT: String(n), ROLLCALL_TIMEOUT: '120s', ROLLCALL_LOG_FORMAT: 'json', ROLLCALL_SECRET: 'bench', ROLLCALL_STALL_TIMEOUT: `${STALL_TIMEOUT_MS}ms`, ROLLCALL_GRACE: '1s' },
        }),
      ),
    );
    const reports = await Promise.all(pods.map((pod) => pod.finished(120_000)));
    const last = lastTouch(reports[2] as PodReport);
    if (last === undefined) throw new Error('rank 2 never touched its progress file');
    return {
      n,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      namedMs: max(reports.map((report) => logged(report, 'peer-failed'))) - last,
      allNamedIt: reports.every((report) => /example-job-2\.headless-svc failed \(stalled: no progress for/.test(report.stderr)),
    };
  } finally {
    await cluster.destroy();
  }
}
