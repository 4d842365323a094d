import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './wait.js';
import { endServerProcess } from './server-process.js';

export interface DnsmasqOptions {
  /** Address to listen on (inside `netns` when given). */
  listen: string;
  port: number;
  /** The zone it is authoritative for: names under it that it does not know are NXDOMAIN. */
  domain?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
}

/**
 * A real dnsmasq serving records from a hosts directory that it re-reads on change: adding a file
 * publishes a record, removing it withdraws the record, as endpoints do when a pod becomes ready or goes.
 */
export class Dnsmasq {
  readonly dir: string;
  private readonly hostsDir: string;
  private readonly logFile: string;
  private process: ChildProcess | undefined;
  readonly options: Required<Omit<DnsmasqOptions, 'netns'>> & { netns: string | undefined };

  constructor(options: DnsmasqOptions) {
    this.options = { domain: 'cluster.local', netns: undefined, ...options };
    this.dir = mkdtempSync(join(tmpdir(), 'rollcall-dns-'));
    this.hostsDir = join(this.dir, 'hosts');
    mkdirSync(this.hostsDir);
    // dnsmasq drops to nobody: everything it reads must be world-readable.
    chmodSync(this.dir, 0o755);
    chmodSync(this.hostsDir, 0o755);
    this.logFile = join(this.dir, 'queries.log');
  }

  get server(): string {
    const { listen, port } = this.options;
    return listen.includes(':') ? `[${listen}]:${port}` : `${listen}:${port}`;
  }

  async start(): Promise<void> {
    const { listen, port, domain, netns } = this.options;
    const args = [
      '--keep-in-foreground',
      `--port=${port}`,
      `--listen-address=${listen}`,
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      '--no-negcache',
      `--hostsdir=${this.hostsDir}`,
      `--local=/${domain}/`,
      '--log-queries',
      `--log-facility=${this.logFile}`,
      '--conf-file=/dev/null',
      '--pid-file=',
      '--cache-size=0',
    ];
    const command = netns === undefined ? ['dnsmasq', ...args] : ['ip', 'netns', 'exec', netns, 'dnsmasq', ...args];
    const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    this.process = child;
    await waitUntil(`dnsmasq listening on ${this.server}`, () => this.log().includes('started, version') || child.exitCode !== null, { timeoutMs: 5000 });
    if (child.exitCode !== null) throw new Error(`dnsmasq exited with ${child.exitCode}: ${stderr.trim()}`);
  }

  /** Publishes `name` with these addresses, replacing what the same key published before. */
  set(key: string, name: string, addresses: readonly string[]): void {
    this.setMany(key, [[name, addresses]]);
  }

  /** Publishes many names under one key at once (thousands of records in one file). */
  setMany(key: string, records: readonly (readonly [string, readonly string[]])[]): void {
    const staging = join(this.dir, `.${key}`);
    const text = records.map(([name, addresses]) => addresses.map((address) => `${address} ${name}\n`).join('')).join('');
    writeFileSync(staging, text, { mode: 0o644 });
    // A rename is atomic: dnsmasq never reads a half-written file.
    renameSync(staging, join(this.hostsDir, key));
  }

  remove(key: string): void {
    rmSync(join(this.hostsDir, key), { force: true });
  }

  /** Queries answered so far (for `name` only, when given), counted from dnsmasq's own query log. */
  queryCount(name?: string): number {
    return this.log()
      .split('\n')
      .filter((line) => / query\[/.test(line) && (name === undefined || line.includes(` ${name} `))).length;
  }

  private log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
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
