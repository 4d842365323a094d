import { existsSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { Cluster, type ClusterOptions, type Pod, type PodReport, type PodSpec } from '../../harness/cluster/cluster.js';
import { MARK_RELEASE } from '../../harness/cluster/release-mark.js';
export const CLUSTER_NEEDS = ['root', 'dnsmasq', 'ip', 'nft', 'unshare', 'ping'] as const;

export function assertBuilt(): void {
  if (!existsSync(ROLLCALL)) throw new Error(`${ROLLCALL} is missing: run "npm run build" (npm test does) before the integration tests`);
}

export interface RollcallPodOptions extends Partial<PodSpec> {
  count: number;
  args?: string[];
  workload?: string[];
}

/** A pod whose container is `rollcall [args] -- <workload>`, as the image's entrypoint runs it. */
export function startRollcallPod(cluster: Cluster, index: number, options: RollcallPodOptions): Promise<Pod> {
  const { count, args = [], workload = MARK_RELEASE, env, job = 'example-job', ...rest } = options;
  return cluster.startPod({
    job,
    index,
    command: [process.execPath, ROLLCALL, ...args, ...(workload.length > 0 ? ['--', ...workload] : [])],
    env: { ROLLCALL_COUNT: String(count), ROLLCALL_TIMEOUT: '60s', ...env },
    ...rest,
  });
}


export function describeReport(report: PodReport): string {
  return `${report.name} exit=${report.exitCode} signal=${report.signal}\n--- stdout\n${report.stdout.slice(-1500)}\n--- stderr\n${report.stderr.slice(-3000)}`;
}

/**
 * For a describe block: checks the build once, and destroys every cluster a test made when the test
 * ends, passed or failed. Returns the function that makes them.
 */
export function useClusters(): (options?: ClusterOptions) => Promise<Cluster> {
  const made: Cluster[] = [];
  beforeAll(assertBuilt);
  afterEach(async () => {
    await Promise.all(made.splice(0).map((cluster) => cluster.destroy()));
  });
  return async (options) => {
    const cluster = await Cluster.create(options);
    made.push(cluster);
    return cluster;
  };
}

export const finishAll = (pods: Pod[], timeoutMs = 90_000): Promise<PodReport[]> => Promise.all(pods.map((pod) => pod.finished(timeoutMs)));
