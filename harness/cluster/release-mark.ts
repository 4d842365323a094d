import type { PodReport } from './cluster.js';

/** Prints the moment the workload starts, in the ping loop's own format. */
export const MARK_RELEASE = ['sh', '-c', 'echo "RELEASED $(date +%s%N)"'];

/** The wall-clock time (ms) the pod's workload started, from its RELEASED line. */
export function releasedAt(report: PodReport): number | undefined {
  const match = /^RELEASED (\d+)$/m.exec(report.stdout);
  return match === null ? undefined : Number(BigInt(match[1] as string) / 1000n) / 1000;
}
