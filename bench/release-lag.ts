// Benchmarks 1–3: release lag, DNS load and stranded pods on the simulated cluster.
import { Cluster, type Pod, type PodReport } from '../harness/cluster/cluster.js';
import type { ClusterDnsOptions } from '../harness/cluster/cluster-dns.js';
import { sleep } from '../harness/cluster/wait.js';
import { ROLLCALL } from '../harness/built.js';
import { releasedAt } from '../harness/cluster/release-mark.js';

export type Contender = 'rollcall mesh' | 'rollcall star' | 'ping loop';

/** The cluster DNS a run meets: when records appear, and what caches them. */
export interface DnsSetting {
  name: string;
  publishDelayMs: number;
  dns: ClusterDnsOptions;
}

export const DNS_SETTINGS = {
  /** The benchmarks before: every record there the instant its container starts, nothing cached. */
  atStart: { name: 'record at start, no cache', publishDelayMs: 0, dns: { cache: false } },
  noCache: { name: 'record 1 s late, no cache', publishDelayMs: 1000, dns: { cache: false } },
  /** CoreDNS's defaults: the kubernetes plugin's ttl 5 under `cache 30`. Two replicas. */
  cached5: { name: 'record 1 s late, cached 5 s', publishDelayMs: 1000, dns: { ttlS: 5, cache: { positiveS: 30, negativeS: 30, keying: 'coredns' } } },
  /** kubeadm's Corefile until about 1.32: ttl 30, cache 30. */
  cached30: { name: 'record 1 s late, cached 30 s', publishDelayMs: 1000, dns: { ttlS: 30, cache: { positiveS: 30, negativeS: 30, keying: 'coredns' } } },
  /** kube-dns's dnsmasq: "no such name" remembered for the name, whatever the type asked. */
  dnsmasq5: { name: 'record 1 s late, cached 5 s per name (dnsmasq)', publishDelayMs: 1000, dns: { ttlS: 5, cache: { positiveS: 30, negativeS: 30, keying: 'dnsmasq' } } },
} satisfies Record<string, DnsSetting>;

/** How the pods are laid out: one Indexed Job, or a JobSet of a driver Job of 1 and a worker Job of N−1 (ROLLCALL_GROUP). */
export type Layout = 'one Job' | 'JobSet 1 + N−1';

export interface LagResult {
  setting: string;
  contender: Contender;
  layout: Layout;
  n: number;
  /** Per released pod: its release minus the moment the last pod's record appeared, in ms. */
  lagsMs: number[];
  medianMs: number;
  maxMs: number;
  dnsQueries: number;
  stranded: number;
}

export interface LagOptions {
  n: number;
  setting: DnsSetting;
  contender: Contender;
  pingLoop: string;
  /** The first N−1 pods start spread over this long; the last one `lateMs` after them. */
  spreadMs: number;
  lateMs: number;
  /** A pod not released this long after the last one started is stranded (and killed). */
  strandedAfterMs: number;
  /** How long an exited pod's record lingers: the endpoints controller and DNS take about a second. */
  goneDelayMs: number;
  layout?: Layout;
}

/** Pod `index`'s Job and completion index, and what its env adds, in the layout asked for. */
function placed(options: LagOptions, index: number): { job: string; index: number; env: Record<string, string> } {
  if (options.layout !== 'JobSet 1 + N−1') return { job: 'example-job', index, env: {} };
  const env = { ROLLCALL_GROUP: `driver:1,workers:${options.n - 1}` };
  return index === 0 ? { job: 'train-driver-0', index: 0, env } : { job: 'train-workers-0', index: index - 1, env };
}

function command(options: LagOptions): { command: string[]; env: Record<string, string> } {
  if (options.contender === 'ping loop') return { command: ['bash', options.pingLoop], env: { N: String(options.n) } };
  return {
    command: [process.execPath, ROLLCALL, '--', 'sh', '-c', 'echo "RELEASED $(date +%s%N)"'],
    env: { ROLLCALL_COUNT: String(options.n), ROLLCALL_TOPOLOGY: options.contender === 'rollcall mesh' ? 'mesh' : 'star', ROLLCALL_TIMEOUT: '120s' },
  };
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
};

/**
 * The reference's scenario: pods start spread over a second, the last one 3 s after the others; records
 * appear as the DNS setting says and go when a pod exits. The same harness settings for every contender.
 */
export async function runReleaseLag(options: LagOptions): Promise<LagResult> {
  const cluster = await Cluster.create({ publishDelayMs: options.setting.publishDelayMs, dns: options.setting.dns });
  try {
    const { command: argv, env } = command(options);
    const pods: Pod[] = [];
    const gap = options.spreadMs / Math.max(1, options.n - 2);
    const start = (index: number) => {
      const pod = placed(options, index);
      return cluster.startPod({ job: pod.job, index: pod.index, command: argv, env: { ...env, ...pod.env }, goneDelayMs: options.goneDelayMs });
    };
    for (let index = 0; index < options.n - 1; index++) {
      const started = performance.now();
      pods.push(await start(index));
      await sleep(Math.max(0, gap - (performance.now() - started)));
    }
    await sleep(options.lateMs);
    const late = await start(options.n - 1);
    pods.push(late);
    const deadline = performance.now() + options.strandedAfterMs;
    const reports: PodReport[] = [];
    let stranded = 0;
    for (const pod of pods) {
      try {
        reports.push(await pod.finished(Math.max(1, deadline - performance.now())));
      } catch {
        stranded += 1;
        await pod.kill();
      }
    }
    const appeared = late.report.recordAt as number;
    const lagsMs = reports.map(releasedAt).filter((at): at is number => at !== undefined).map((at) => at - appeared);
    stranded += reports.length - lagsMs.length;
    return { setting: options.setting.name, contender: options.contender, layout: options.layout ?? 'one Job', n: options.n, lagsMs, medianMs: median(lagsMs), maxMs: Math.max(...lagsMs), dnsQueries: cluster.dns.queryCount(), stranded };
  } finally {
    await cluster.destroy();
  }
}
