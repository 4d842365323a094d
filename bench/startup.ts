// Benchmark 6: what `rollcall -- true` adds, for a group of one, over bare Node doing nothing: the npm
// CLI over `node -e 0`, and the single executable over the very Node it carries (stripped, as injected).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loopbackPodEnv } from '../harness/loopback-pod.js';
import { LocalDnsServer } from '../src/cli/dns-server.js';
import { peerFqdn } from '../src/identity/names.js';
import { ROLLCALL } from '../harness/built.js';
import { EXECUTABLE } from '../harness/built.js';
import { median } from './release-lag.js';
import { NODE_VERSION, strippedNodePath } from '../scripts/executable-node.js';

function timeRun(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

export interface StartupResult {
  runs: number;
  bareNodeMedianMs: number;
  rollcallMedianMs: number;
  overheadMs: number;
  /** The linux-x64 executable, when built (npm run build:exe). */
  executable?: { bareNodeMedianMs: number; medianMs: number; overheadMs: number; sizeBytes: number; gzipBytes: number; node: string };
}

export async function runStartup(runs: number): Promise<StartupResult> {
  const dns = new LocalDnsServer('cluster.local');
  const server = await dns.start();
  dns.set(peerFqdn('solo', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
  const env = { PATH: process.env.PATH, ...loopbackPodEnv('solo', { dnsServer: server, port: 17000 + Math.floor(Math.random() * 20000) }) };
  const commands = {
    bareNode: [process.execPath, '-e', '0'],
    rollcall: [process.execPath, ROLLCALL, '--', 'true'],
    ...(existsSync(EXECUTABLE.x64) ? { bareNode22: [strippedNodePath('x64'), '-e', '0'], executable: [EXECUTABLE.x64, '--', 'true'] } : {}),
  };
  const times = new Map(Object.keys(commands).map((name) => [name, [] as number[]]));
  try {
    // Interleaved, after one warm-up each, so that all see the same page cache and machine load.
    for (let run = -1; run < runs; run++) {
      for (const [name, argv] of Object.entries(commands)) {
        const ms = await timeRun(argv, env);
        if (run >= 0) times.get(name)?.push(ms);
      }
    }
  } finally {
    dns.close();
  }
  const medianOf = (name: string) => median(times.get(name) ?? []);
  const result: StartupResult = { runs, bareNodeMedianMs: medianOf('bareNode'), rollcallMedianMs: medianOf('rollcall'), overheadMs: medianOf('rollcall') - medianOf('bareNode') };
  if ('executable' in commands) {
    result.executable = {
      bareNodeMedianMs: medianOf('bareNode22'),
      medianMs: medianOf('executable'),
      overheadMs: medianOf('executable') - medianOf('bareNode22'),
      sizeBytes: statSync(EXECUTABLE.x64).size,
      gzipBytes: gzipSync(readFileSync(EXECUTABLE.x64)).length,
      node: NODE_VERSION,
    };
  }
  return result;
}
