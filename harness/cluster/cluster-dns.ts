import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CacheKeying, ClusterDnsServerConfig } from './cluster-dns-server.js';
import { waitUntil } from './wait.js';
import { endServerProcess } from './server-process.js';

export type { CacheKeying };

export interface ClusterDnsOptions {
  /** The kubernetes plugin's `ttl` (5 s by default; old kubeadm Corefiles said 30). */
  ttlS?: number;
  /** The cache plugin in front: `false` for none, as the benchmarks had before. */
  cache?: false | { positiveS?: number; negativeS?: number; keying?: CacheKeying };
  /** CoreDNS replicas behind the one Service address, each with its own cache. */
  replicas?: number;
}

export interface LoggedQuery {
  at: number;
  replica: number;
  name: string;
  type: string;
  /** The DO and CD bits, as "00", "10", "01" or "11". */
  bits: string;
  rcode: string;
  answers: number;
  cached: boolean;
}

const SERVER = fileURLToPath(new URL('./cluster-dns-server.ts', import.meta.url));

/** The cluster DNS of a simulated cluster: ClusterDnsServer in the cluster's namespace, driven from here. */
export class ClusterDns {
  private readonly dir = mkdtempSync(join(tmpdir(), 'rollcall-cluster-dns-'));
  private readonly logFile = join(this.dir, 'queries.log');
  private process: ChildProcess | undefined;
  readonly config: ClusterDnsServerConfig;

  constructor(listen: string, private readonly netns: string, zone: string, options: ClusterDnsOptions = {}) {
    chmodSync(this.dir, 0o755);
    const ttlS = options.ttlS ?? 5;
    const cache = options.cache === false || options.cache === undefined ? undefined : { positiveS: 30, negativeS: 30, keying: 'coredns' as const, ...options.cache };
    this.config = { listen, port: 53, zone, ttlS, cache, replicas: options.replicas ?? 2, logFile: this.logFile };
  }

  get server(): string {
    const { listen, port } = this.config;
    return listen.includes(':') ? `[${listen}]:${port}` : `${listen}:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '--import', 'tsx', SERVER, JSON.stringify(this.config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    this.process = child;
    let output = '';
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    await waitUntil(`the cluster DNS listening on ${this.server}`, () => output.includes('listening') || child.exitCode !== null, { timeoutMs: 15_000 });
    if (child.exitCode !== null) throw new Error(`the cluster DNS exited with ${child.exitCode}: ${output.trim()}`);
  }

  /** Publishes `name` with these addresses under `key` (a pod), replacing what that key published before. */
  set(key: string, name: string, addresses: readonly string[]): void {
    this.process?.stdin?.write(`${JSON.stringify({ op: 'set', key, name, addresses })}\n`);
  }

  remove(key: string): void {
    this.process?.stdin?.write(`${JSON.stringify({ op: 'remove', key })}\n`);
  }

  queries(): LoggedQuery[] {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [at, replica, name, type, bits, rcode, answers, cached] = line.split(' ');
        return { at: Number(at), replica: Number(replica), name: name as string, type: type as string, bits: bits as string, rcode: rcode as string, answers: Number(answers), cached: cached === 'hit' };
      });
  }

  /** Queries the pods sent (for `name` only, when given). */
  queryCount(name?: string): number {
    const lower = name?.toLowerCase();
    return this.queries().filter((query) => lower === undefined || query.name === lower).length;
  }

  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    await endServerProcess(child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
