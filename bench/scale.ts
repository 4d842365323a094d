// Benchmarks 4 and 5: one pod against thousands of peers on loopback, names served by a real dnsmasq.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Dnsmasq } from '../harness/cluster/dnsmasq.js';
import { peerFqdn } from '../src/identity/names.js';

const JOB = 'scale';
const FARM_PROCESSES = 4;
const peerAddress = (index: number) => `127.${1 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;

export interface ScaleResult {
  peers: number;
  topology: 'mesh' | 'star';
  /** mesh: from the call until the pod had verified every peer; star: last arrival to the last member released. */
  ms: number;
  /** From the pod's call until it was released. */
  releaseMs: number;
  peakRssMiB: number;
  dnsQueries: number;
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
}

/**
 * One pod (index 0) and `peers` simulated peers with real listeners and member sessions. In mesh the
 * pod verifies every peer (resolve + handshake) before the group releases; in star it is the
 * coordinator that every peer checks in with.
 */
export async function runScale(peers: number, topology: 'mesh' | 'star', dnsPort: number): Promise<ScaleResult> {
  const size = peers + 1;
  const port = 17000 + Math.floor(Math.random() * 20000);
  const dns = new Dnsmasq({ listen: '127.0.0.1', port: dnsPort });
  await dns.start();
  const farms: ChildProcess[] = [];
  let pod: ChildProcess | undefined;
  try {
    dns.setMany('all', Array.from({ length: size }, (_, index) => [peerFqdn(JOB, index, 'svc', 'ns', 'cluster.local'), [peerAddress(index)]] as const));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const perFarm = Math.ceil(peers / FARM_PROCESSES);
    const farmLines: AsyncIterator<string>[] = [];
    for (let first = 1; first < size; first += perFarm) {
      const farm = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'farm.ts'), String(first), String(Math.min(size, first + perFarm)), String(size), String(port), JOB, peerAddress(0), 'arrive'], { stdio: ['pipe', 'pipe', 'inherit'] });
      farms.push(farm);
      farmLines.push(lines(farm));
    }
    for (const farmLine of farmLines) await farmLine.next();

    const options = {
      index: 0,
      count: size,
      jobName: JOB,
      subdomain: 'svc',
      namespace: 'ns',
      clusterDomain: 'cluster.local',
      dnsServers: [`127.0.0.1:${dnsPort}`],
      port,
      listenHost: peerAddress(0),
      ipFamily: 'ipv4',
      topology,
      timeoutMs: 120_000,
    };
    pod = spawn(process.execPath, [join(import.meta.dirname, 'pod.mjs'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const podLines = lines(pod);
    // The peers are already there and calling when the pod starts, as in a cluster whose index 0 comes
    // up last; they retry until its listener answers.
    for (const farm of farms) farm.stdin?.write('go\n');
    const podResult = JSON.parse(((await podLines.next()).value as string) ?? '{}') as { ms: number; checksMs: number; maxRssKiB: number };
    const farmResults = await Promise.all(farmLines.map(async (farmLine) => JSON.parse((await farmLine.next()).value as string) as { lastArrival: number; lastRelease: number }));
    const lastArrival = Math.max(...farmResults.map((result) => result.lastArrival));
    const lastRelease = Math.max(...farmResults.map((result) => result.lastRelease));
    return {
      peers,
      topology,
      ms: topology === 'mesh' ? podResult.checksMs : lastRelease - lastArrival,
      releaseMs: podResult.ms,
      peakRssMiB: podResult.maxRssKiB / 1024,
      dnsQueries: dns.queryCount(),
    };
  } finally {
    for (const farm of farms) farm.stdin?.end();
    await Promise.all(farms.map((farm) => (farm.exitCode === null ? once(farm, 'exit') : undefined)));
    if (pod !== undefined && pod.exitCode === null) pod.kill('SIGKILL');
    await dns.stop();
  }
}

