import { createServer } from 'node:net';
import { Dnsmasq } from '../../harness/cluster/dnsmasq.js';
import { waitForPeers, type Group, type WaitForPeersOptions } from '../../src/index.js';

/** A free TCP port on loopback, for one test's listeners. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

let nextSubnet = 10 + Math.floor(Math.random() * 200);

/** What a loopback job needs of its cluster DNS: where it answers, and its records. */
export interface LoopbackDns {
  readonly server: string;
  set(key: string, name: string, addresses: readonly string[]): void;
  remove(key: string): void;
}

/**
 * Pods as in-process waitForPeers calls, each on its own loopback address (127.S.0.<i+1>), with their
 * names served by a real DNS server (dnsmasq, or the simulated cluster's): the whole path but the network
 * namespaces.
 */
export class LoopbackJob {
  readonly subnet = nextSubnet++ % 250;
  readonly job = `job${this.subnet}`;
  readonly logs: string[] = [];
  private readonly groups: Group[] = [];

  constructor(
    readonly dns: LoopbackDns,
    readonly port: number,
    readonly count: number,
  ) {}

  address(index: number): string {
    return `127.${this.subnet}.0.${index + 1}`;
  }

  fqdn(index: number): string {
    return `${this.job}-${index}.svc.ns.svc.cluster.local`;
  }

  /** Publishes index's record (its own address unless told otherwise). */
  publish(index: number, addresses = [this.address(index)]): void {
    this.dns.set(`${this.job}-${index}`, this.fqdn(index), addresses);
  }

  withdraw(index: number): void {
    this.dns.remove(`${this.job}-${index}`);
  }

  options(index: number, overrides: WaitForPeersOptions = {}): WaitForPeersOptions {
    return {
      index,
      count: this.count,
      jobName: this.job,
      subdomain: 'svc',
      namespace: 'ns',
      clusterDomain: 'cluster.local',
      dnsServers: [this.dns.server],
      port: this.port,
      listenHost: this.address(index),
      ipFamily: 'ipv4',
      env: {},
      files: { hosts: '/nonexistent', resolvConf: '/nonexistent', serviceAccountNamespace: '/nonexistent' },
      timeoutMs: 10_000,
      // A test's pods close together; one left behind (a replaced pod) must not hold the others for minutes.
      exitTimeoutMs: 10_000,
      log: (line) => this.logs.push(`${index}: ${line}`),
      ...overrides,
    };
  }

  async start(index: number, overrides: WaitForPeersOptions = {}): Promise<Group> {
    const group = await waitForPeers(this.options(index, overrides));
    this.groups.push(group);
    return group;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.groups.map((group) => group.close()));
    for (let index = 0; index < this.count; index++) this.withdraw(index);
  }
}

export async function startLoopbackDns(): Promise<Dnsmasq> {
  const dns = new Dnsmasq({ listen: '127.0.0.1', port: await freeUdpPort() });
  await dns.start();
  return dns;
}

export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Listens on a free port (a DNS server's, UDP and TCP on one number), on another if it was taken between
 * the check and the bind (another test's connection took it as its own port): at most 5 tries.
 */
export async function onFreePort<T>(listen: (port: number) => Promise<T>): Promise<{ port: number; listening: T }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeUdpPort();
    try {
      return { port, listening: await listen(port) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

/** Milliseconds since `start`, for ordering assertions (never speed targets). */
export const since = (start: number) => performance.now() - start;
