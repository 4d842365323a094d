import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterDns, type ClusterDnsOptions } from './cluster-dns.js';
import { Dnsmasq } from './dnsmasq.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);
const PREFIX = 'rcl-';
const NETNS_ETC = '/etc/netns';

/**
 * A pod's TMPDIR, named as its network namespace: what its processes leave there (rollcall's private
 * directory, Open MPI's session directories, torch's) goes with the pod, as a container's /tmp does,
 * even when the pod is killed. Something run in the pod as `kubectl exec` would (rollcall status) is
 * given it too.
 */
export const podTmpDir = (pod: string): string => join(tmpdir(), pod);

/**
 * What the kubelet gives every container, whatever the pod's enableServiceLinks: the API server's
 * Service. Nothing here answers there; rollcall only reads that it is set (a pod, not someone's laptop).
 */
export const KUBERNETES_SERVICE_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } as const;

export type Stack = 'ipv4' | 'ipv6' | 'dual';

export interface ClusterOptions {
  stack?: Stack;
  namespace?: string;
  service?: string;
  /**
   * The cluster DNS: its TTL, the cache in front of it, its replicas; or `dnsmasq`, a real nameserver
   * none of us wrote (as some clusters and many local setups serve pod records), with no cache.
   */
  dns?: ClusterDnsOptions | 'dnsmasq';
  /**
   * When a pod's record appears after its container starts, unless the pod says otherwise: about a
   * second on a real cluster (the pod turns Ready, its EndpointSlice reaches CoreDNS); 0 for a Service
   * with publishNotReadyAddresses.
   */
  publishDelayMs?: number;
}

export interface PodSpec {
  job: string;
  index: number;
  /** The container: argv, run in the pod's network and UTS namespaces with its hostname set. */
  command: string[];
  env?: Record<string, string>;
  /** When the pod's DNS record appears after its container starts: the cluster's publishDelayMs unless given. */
  readyDelayMs?: number;
  /** How long the record lingers after the container exits. */
  goneDelayMs?: number;
  /** Packet loss on the pod's link, in place before its container starts (100: cut off). */
  lossPercent?: number;
}

export interface PodReport {
  name: string;
  index: number;
  ips: string[];
  startedAt: number;
  recordAt: number | undefined;
  exitedAt: number | undefined;
  recordGoneAt: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let clusterCounter = 0;
/** Each pod's gateway: the cluster side of its veth, link-local so it is the same for every pod. */
const GATEWAY_V4 = '169.254.1.1';
const GATEWAY_V6 = 'fe80::1';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on this machine. */
const wallClockMs = () => performance.timeOrigin + performance.now();

/** Runs `ip` commands inside one network namespace, in one process. */
async function ipBatch(netns: string, lines: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('ip', ['-n', netns, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ip -batch failed (${code}): ${stderr.trim()}\n${lines.join('\n')}`))));
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

/** Namespaces whose creating process is gone: left over by a run that crashed or was killed. */
export async function sweepLeftovers(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  const names = stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(PREFIX));
  const stale = names.filter((name) => !processAlive(Number.parseInt(name.slice(PREFIX.length).split('-')[0] ?? '', 36)));
  for (const name of stale) await deleteNamespace(name);
  for (const parent of [NETNS_ETC, tmpdir()]) {
    for (const dir of safeReaddir(parent)) {
      if (dir.startsWith(PREFIX) && !processAlive(Number.parseInt(dir.slice(PREFIX.length).split('-')[0] ?? '', 36))) {
        rmSync(join(parent, dir), { recursive: true, force: true });
      }
    }
  }
  return stale;
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

async function deleteNamespace(name: string): Promise<void> {
  try {
    const { stdout } = await run('ip', ['netns', 'pids', name]);
    for (const pid of stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  } catch {
    // The namespace may already be gone.
  }
  await run('ip', ['netns', 'del', name]).catch(() => {});
  for (const dir of [join(NETNS_ETC, name), podTmpDir(name)]) rmSync(dir, { recursive: true, force: true });
}

/**
 * A Kubernetes cluster as far as a pod can tell: a private routed network, a cluster DNS that
 * publishes a pod's record while it is ready, kubelet-written /etc/hosts and resolv.conf, hostnames, and
 * faults on demand. Every address lives inside namespaces made here; the root namespace gains nothing.
 */
export class Cluster {
  readonly id: string;
  readonly stack: Stack;
  readonly namespace: string;
  readonly service: string;
  readonly domain = 'cluster.local';
  readonly dns: ClusterDns | Dnsmasq;
  readonly publishDelayMs: number;
  readonly pods = new Map<string, Pod>();
  private readonly netns: string;
  private readonly subnet: number;
  private nextHost = 10;
  private destroyed = false;

  private constructor(options: ClusterOptions) {
    clusterCounter += 1;
    this.id = `${PREFIX}${process.pid.toString(36)}-${clusterCounter.toString(36)}`;
    this.netns = `${this.id}-c`;
    this.stack = options.stack ?? 'ipv4';
    this.namespace = options.namespace ?? 'default';
    this.service = options.service ?? 'headless-svc';
    this.subnet = clusterCounter % 200;
    this.publishDelayMs = options.publishDelayMs ?? 1000;
    this.dns = options.dns === 'dnsmasq' ? new Dnsmasq({ listen: this.dnsAddress, port: 53, domain: this.domain, netns: this.netns }) : new ClusterDns(this.dnsAddress, this.netns, this.domain, options.dns);
  }

  /** The cluster DNS as CoreDNS, whose query log tests read; a cluster served by dnsmasq has none. */
  get coreDns(): ClusterDns {
    if (!(this.dns instanceof ClusterDns)) throw new Error('this cluster\'s DNS is dnsmasq, not the CoreDNS model');
    return this.dns;
  }

  get dnsAddress(): string {
    return this.stack === 'ipv6' ? this.v6(1) : this.v4(1);
  }

  private v6(host: number): string {
    return `fd00:${(0x1000 + this.subnet).toString(16)}::${host.toString(16)}`;
  }

  private v4(host: number): string {
    return `198.18.${host >> 8}.${host & 255}`;
  }

  static async create(options: ClusterOptions = {}): Promise<Cluster> {
    await sweepLeftovers();
    const cluster = new Cluster(options);
    try {
      await cluster.setUp();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /**
   * Routed, as CNIs like Calico do it, not bridged: on one shared L2 segment every pod would keep an ARP
   * entry for every peer, and the kernel's neighbour table limit (gc_thresh3) is global to the host, so
   * a few dozen pods would exhaust it for everyone. Here each pod has one neighbour, its gateway.
   */
  private async setUp(): Promise<void> {
    const n = this.netns;
    await run('ip', ['netns', 'add', n]);
    const lines = ['link set lo up'];
    if (this.stack !== 'ipv6') lines.push(`addr add ${this.v4(1)}/32 dev lo`);
    if (this.stack !== 'ipv4') lines.push(`addr add ${this.v6(1)}/128 dev lo`);
    await ipBatch(n, lines);
    // Forwarding is a setting of this namespace alone, not of the host.
    await run('ip', ['netns', 'exec', n, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    await this.dns.start();
  }

  fqdn(job: string, index: number): string {
    return `${job}-${index}.${this.service}.${this.namespace}.svc.${this.domain}`;
  }

  /** Starts a pod: its namespace, address, kubelet files, hostname, then its container. */
  async startPod(spec: PodSpec): Promise<Pod> {
    const host = this.nextHost++;
    const ips = [...(this.stack !== 'ipv6' ? [this.v4(host)] : []), ...(this.stack !== 'ipv4' ? [this.v6(host)] : [])];
    const name = `${this.id}-p${host.toString(36)}`;
    const veth = `v${this.id.slice(PREFIX.length).replace(/-/g, '')}${host.toString(36)}`.slice(-15);
    const hostname = `${spec.job}-${spec.index}`;
    await run('ip', ['netns', 'add', name]);
    const v4 = ips.filter((address) => !address.includes(':'));
    const v6 = ips.filter((address) => address.includes(':'));
    // Both ends are made inside namespaces of ours: the root namespace never holds the veth, even briefly.
    await ipBatch(this.netns, [
      `link add ${veth} type veth peer name eth0 netns ${name}`,
      `link set ${veth} up`,
      ...(v4.length > 0 ? [`addr add ${GATEWAY_V4}/32 dev ${veth}`] : []),
      ...(v6.length > 0 ? [`addr add ${GATEWAY_V6}/64 dev ${veth} nodad`] : []),
      ...v4.map((address) => `route add ${address}/32 dev ${veth}`),
      ...v6.map((address) => `route add ${address}/128 dev ${veth}`),
    ]);
    await ipBatch(name, [
      'link set lo up',
      ...v4.map((address) => `addr add ${address}/32 dev eth0`),
      ...v6.map((address) => `addr add ${address}/128 dev eth0 nodad`),
      'link set eth0 up',
      ...(v4.length > 0 ? [`route add ${GATEWAY_V4} dev eth0 scope link`, `route add default via ${GATEWAY_V4} dev eth0`] : []),
      ...(v6.length > 0 ? [`route add default via ${GATEWAY_V6} dev eth0`] : []),
    ]);

    mkdirSync(`${NETNS_ETC}/${name}`, { recursive: true });
    const fqdn = this.fqdn(spec.job, spec.index);
    writeFileSync(
      `${NETNS_ETC}/${name}/hosts`,
      `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ips.map((address) => `${address}\t${fqdn}\t${hostname}\n`).join('')}`,
    );
    writeFileSync(
      `${NETNS_ETC}/${name}/resolv.conf`,
      `search ${this.namespace}.svc.${this.domain} svc.${this.domain} ${this.domain}\nnameserver ${this.dnsAddress}\noptions ndots:5\n`,
    );
    // World-writable and sticky, as /tmp is: a pod's command may run as another user.
    mkdirSync(podTmpDir(name));
    chmodSync(podTmpDir(name), 0o1777);
    const pod = new Pod(this, name, spec, ips, hostname);
    this.pods.set(name, pod);
    if (spec.lossPercent !== undefined) await pod.loss(spec.lossPercent);
    pod.launch();
    return pod;
  }

  /** Publishes a record for a pod (keyed by pod, so a replaced pod's record can linger beside the new one). */
  publish(pod: Pod): void {
    this.dns.set(pod.name, this.fqdn(pod.spec.job, pod.spec.index), pod.ips);
  }

  withdraw(pod: Pod): void {
    this.dns.remove(pod.name);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.pods.values()].map((pod) => pod.kill()));
    await this.dns.stop();
    for (const pod of this.pods.values()) await deleteNamespace(pod.name);
    await deleteNamespace(this.netns);
  }
}

export class Pod {
  readonly report: PodReport;
  private child: ChildProcess | undefined;
  private readonly exited: Promise<PodReport>;
  private resolveExited!: (report: PodReport) => void;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly cluster: Cluster,
    readonly name: string,
    readonly spec: PodSpec,
    readonly ips: string[],
    readonly hostname: string,
  ) {
    this.report = {
      name: hostname,
      index: spec.index,
      ips,
      startedAt: 0,
      recordAt: undefined,
      exitedAt: undefined,
      recordGoneAt: undefined,
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
    };
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  launch(): void {
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: '/root',
      ...KUBERNETES_SERVICE_ENV,
      JOB_COMPLETION_INDEX: String(this.spec.index),
      TMPDIR: podTmpDir(this.name),
      ...this.spec.env,
    };
    // The hostname is set inside a fresh UTS namespace, so the pod sees <job>-<index> as Kubernetes gives it.
    const child = spawn(
      'ip',
      ['netns', 'exec', this.name, 'unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', this.hostname, ...this.spec.command],
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.child = child;
    this.report.startedAt = wallClockMs();
    child.stdout?.on('data', (chunk) => (this.report.stdout += String(chunk)));
    child.stderr?.on('data', (chunk) => (this.report.stderr += String(chunk)));
    const readyDelay = this.spec.readyDelayMs ?? this.cluster.publishDelayMs;
    const publish = () => {
      if (this.report.exitedAt !== undefined) return;
      this.cluster.publish(this);
      this.report.recordAt = wallClockMs();
    };
    if (readyDelay === 0) publish();
    else this.timers.push(setTimeout(publish, readyDelay));
    child.on('exit', (code, signal) => {
      this.report.exitedAt = wallClockMs();
      this.report.exitCode = code;
      this.report.signal = signal;
      for (const timer of this.timers) clearTimeout(timer);
      const gone = () => {
        this.cluster.withdraw(this);
        this.report.recordGoneAt = wallClockMs();
        this.resolveExited(this.report);
      };
      if (this.spec.goneDelayMs === undefined || this.spec.goneDelayMs === 0) gone();
      else this.timers.push(setTimeout(gone, this.spec.goneDelayMs));
    });
  }

  /** `argv` as `kubectl exec` would run it in this pod: in its network namespace, with its /etc files and TMPDIR. */
  execArgv(argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, 'env', `TMPDIR=${podTmpDir(this.name)}`, ...argv];
  }

  /** Resolves when the container has exited and its record is gone, or rejects after `timeoutMs`. */
  async finished(timeoutMs: number): Promise<PodReport> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${this.hostname} still running after ${timeoutMs}ms:\n${this.report.stderr.slice(-2000)}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.report.exitedAt === undefined;
  }

  /** Sends a signal to the container's whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.child?.pid !== undefined && this.running) {
      try {
        process.kill(-this.child.pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  /**
   * The pod dies as a container does when its node kills it: every process in it at once, whatever
   * process group it put its children in (rollcall puts the workload in its own).
   */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    const { stdout } = await run('ip', ['netns', 'pids', this.name]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await waitUntil(`${this.hostname} to exit`, () => !this.running, { timeoutMs: 5000 }).catch(() => {});
  }

  /** Drops this share of the pod's packets both ways; 100 is a cut (nft's numgen stops at 99). */
  async loss(percent: number): Promise<void> {
    await this.nft(percent >= 100 ? 'drop' : `numgen random mod 100 < ${percent} drop`);
  }

  /** Cuts the pod's link entirely. */
  async cut(): Promise<void> {
    await this.nft('drop');
  }

  /** Cuts the pod's TCP only: datagrams, DNS among them, still pass. */
  async cutTcp(): Promise<void> {
    await this.nft('meta l4proto tcp drop');
  }

  async heal(): Promise<void> {
    await run('ip', ['netns', 'exec', this.name, 'nft', 'delete', 'table', 'inet', 'rollcall_fault']).catch(() => {});
  }

  private async nft(rule: string): Promise<void> {
    await this.heal();
    const script = [
      'table inet rollcall_fault {',
      `  chain in { type filter hook input priority 0; iifname "eth0" ${rule}; }`,
      `  chain out { type filter hook output priority 0; oifname "eth0" ${rule}; }`,
      '}',
    ].join('\n');
    await new Promise<void>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nft failed: ${stderr}`))));
      child.stdin.end(script);
    });
  }
}

