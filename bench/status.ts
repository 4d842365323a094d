// `rollcall status` on the simulated cluster: N pods running, each workload touching its progress file;
// from the last pod, as `kubectl exec` runs it (in the pod's namespace, none of the workload's env), the
// command's wall time against `node -e 0` started the same way, interleaved, after a warm-up each.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Cluster, type Pod } from '../harness/cluster/cluster.js';
import { ROLLCALL, EXECUTABLE } from '../harness/built.js';
import { waitUntil } from '../harness/cluster/wait.js';
import { median } from './release-lag.js';

export interface StatusResult {
  n: number;
  runs: number;
  /** `rollcall status --json` (the npm CLI), median wall time. */
  cliMs: number;
  /** `node -e 0` in the same namespace: what any Node program pays to start. */
  bareNodeMs: number;
  /** The single executable's `status --json`, when built. */
  executableMs: number | undefined;
  /** Every answer was index 0's view of a healthy group. */
  allHealthy: boolean;
}

const WORKLOAD = ['sh', '-c', 'echo RUNNING; while :; do touch "$ROLLCALL_PROGRESS_FILE"; sleep 0.2; done'];

function timeIn(pod: Pod, argv: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [command, ...args] = pod.execArgv(argv) as [string, ...string[]];
    const child = spawn(command, args, { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.once('error', reject);
    child.once('exit', () => resolve({ ms: performance.now() - started, stdout }));
  });
}

export async function runStatus(n: number, runs: number): Promise<StatusResult> {
  const cluster = await Cluster.create();
  try {
    const env = { ROLLCALL_COUNT: String(n), ROLLCALL_TIMEOUT: '120s', ROLLCALL_SECRET: 'bench' };
    const pods = await Promise.all(Array.from({ length: n }, (_, index) => cluster.startPod({ job: 'example-job', index, command: [process.execPath, ROLLCALL, '--', ...WORKLOAD], env })));
    await waitUntil('every workload running', () => pods.every((pod) => pod.report.stdout.includes('RUNNING')), { timeoutMs: 120_000 });
    const asker = pods.at(-1) as Pod;
    const commands: Record<string, string[]> = {
      bareNode: [process.execPath, '-e', '0'],
      cli: [process.execPath, ROLLCALL, 'status', '--json'],
      ...(existsSync(EXECUTABLE.x64) ? { executable: [EXECUTABLE.x64, 'status', '--json'] } : {}),
    };
    const times = new Map(Object.keys(commands).map((name) => [name, [] as number[]]));
    let allHealthy = true;
    for (let run = -1; run < runs; run++) {
      for (const [name, argv] of Object.entries(commands)) {
        const { ms, stdout } = await timeIn(asker, argv);
        if (name !== 'bareNode') allHealthy &&= (JSON.parse(stdout) as { view: string; healthy: boolean }).healthy;
        if (run >= 0) times.get(name)?.push(ms);
      }
    }
    for (const pod of pods) await pod.kill();
    const of = (name: string) => (times.get(name)?.length ? median(times.get(name) as number[]) : undefined);
    return { n, runs, cliMs: of('cli') as number, bareNodeMs: of('bareNode') as number, executableMs: of('executable'), allHealthy };
  } finally {
    await cluster.destroy();
  }
}
