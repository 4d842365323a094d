// Benchmark 6: what `rollcall -- true` adds, for a group of one, over bare `node -e 0`.
import { spawn } from 'node:child_process';
import { LocalDnsServer } from '../src/cli/dns-server.js';
import { peerFqdn } from '../src/names.js';
import { ROLLCALL } from '../test/integration/support.js';
import { median } from './release-lag.js';

function timeRun(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

export interface StartupResult {
  runs: number;
  bareNodeMedianMs: number;
  rollcallMedianMs: number;
  overheadMs: number;
}

export async function runStartup(runs: number): Promise<StartupResult> {
  const dns = new LocalDnsServer('cluster.local');
  const server = await dns.start();
  dns.set(peerFqdn('solo', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
  const env = {
    PATH: process.env.PATH,
    ROLLCALL_INDEX: '0',
    ROLLCALL_COUNT: '1',
    ROLLCALL_JOB_NAME: 'solo',
    ROLLCALL_SUBDOMAIN: 'svc',
    ROLLCALL_NAMESPACE: 'ns',
    ROLLCALL_CLUSTER_DOMAIN: 'cluster.local',
    ROLLCALL_DNS_SERVERS: server,
    ROLLCALL_LISTEN_HOST: '127.0.0.1',
    ROLLCALL_PORT: String(17000 + Math.floor(Math.random() * 20000)),
    ROLLCALL_IP_FAMILY: 'ipv4',
  };
  const bare: number[] = [];
  const wrapped: number[] = [];
  try {
    // Interleaved, after one warm-up each, so both see the same page cache and machine load.
    await timeRun(['-e', '0'], env);
    await timeRun([ROLLCALL, '--', 'true'], env);
    for (let run = 0; run < runs; run++) {
      bare.push(await timeRun(['-e', '0'], env));
      wrapped.push(await timeRun([ROLLCALL, '--', 'true'], env));
    }
  } finally {
    dns.close();
  }
  const bareNodeMedianMs = median(bare);
  const rollcallMedianMs = median(wrapped);
  return { runs, bareNodeMedianMs, rollcallMedianMs, overheadMs: rollcallMedianMs - bareNodeMedianMs };
}
