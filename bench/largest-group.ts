// The largest group Kubernetes allows (100,000 completions): the memory of index 0 and of a member while
// they wait for a group whose other pods never come, every name resolving (to an address nobody listens on).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loopbackPodEnv } from '../harness/loopback-pod.js';
import { ROLLCALL } from '../harness/built.js';
import { LocalDnsServer } from '../src/cli/dns-server.js';
import { MAX_GROUP_SIZE } from '../src/identity/membership.js';
import { peerFqdn } from '../src/identity/names.js';

export interface LargestGroupResult {
  size: number;
  waitedMs: number;
  /** Peak resident set of each pod, MiB. */
  coordinatorPeakMiB: number;
  memberPeakMiB: number;
}

const peakMiB = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

async function peakWhileWaiting(index: number, server: string, port: number, waitedMs: number): Promise<number> {
  const env = { PATH: process.env.PATH, ...loopbackPodEnv('big', { dnsServer: server, port, count: MAX_GROUP_SIZE }), ROLLCALL_INDEX: String(index), ROLLCALL_LISTEN_HOST: `127.0.0.${index + 1}` };
  const child = spawn(process.execPath, [ROLLCALL, 'wait'], { env, stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, waitedMs));
  const peak = peakMiB(child.pid as number);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  return peak;
}

export async function runLargestGroup(waitedMs = 20_000): Promise<LargestGroupResult> {
  const dns = new LocalDnsServer('cluster.local');
  const server = await dns.start();
  // Index 0 and 1 resolve to their own loopback addresses; every other name to one where nothing listens.
  for (let index = 0; index < MAX_GROUP_SIZE; index++) dns.set(peerFqdn('big', index, 'svc', 'ns', 'cluster.local'), [index < 2 ? `127.0.0.${index + 1}` : '127.0.0.99']);
  const port = 17000 + Math.floor(Math.random() * 20000);
  try {
    const [coordinatorPeakMiB, memberPeakMiB] = await Promise.all([peakWhileWaiting(0, server, port, waitedMs), peakWhileWaiting(1, server, port, waitedMs)]);
    return { size: MAX_GROUP_SIZE, waitedMs, coordinatorPeakMiB, memberPeakMiB };
  } finally {
    dns.close();
  }
}
