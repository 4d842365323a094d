import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '../errors.js';
import { Membership, parseGroupParts } from '../identity/membership.js';
import { fqdn } from '../identity/names.js';
import { GROUP_SOCKET_VARIABLE } from '../barrier/group-link.js';
import { resolveConfig } from '../barrier/options.js';
import { LocalDnsServer } from './dns-server.js';
import type { Logger } from './logger.js';
import { selfCommand } from './runtime.js';
import { MAX_LOCAL_REPLICAS } from './flags.js';
import { PEER_FAILED_EXIT } from './supervise.js';
import { systemClock } from '../time/clock.js';

export interface LocalOptions {
  /** The task page's example: three pods of example-job behind headless-svc, pinging each other. */
  demo: boolean;
  /** -n as given; 3 when not, or as many as ROLLCALL_GROUP's parts make. */
  replicas: number | undefined;
  workload: string[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

const NAMESPACE = 'default';
const DOMAIN = 'cluster.local';
/** Replica i listens on 127.0.0.(FIRST_HOST + i): its own address, as a pod has its own IP. */
const FIRST_HOST = 10;
const replicaAddress = (index: number) => `127.0.0.${FIRST_HOST + index}`;
// A shell, not Node: the single executable runs where no Node is installed.
const DEMO_WORKLOAD = ['sh', '-c', 'IFS=,; for peer in $ROLLCALL_PEERS; do echo "Successfully pinged pod: $peer"; done'];

/**
 * Runs N replicas of a workload on this machine as an Indexed Job's pods would run: each its own
 * process on its own loopback address, their names served by an embedded DNS server, each started by
 * rollcall with the env a pod gets. No root, no cluster.
 */
export async function runLocal(options: LocalOptions): Promise<number> {
  const job = options.env.ROLLCALL_JOB_NAME ?? (options.demo ? 'example-job' : 'local-job');
  const subdomain = options.env.ROLLCALL_SUBDOMAIN ?? (options.demo ? 'headless-svc' : 'local-svc');
  const members = localMembers(options, job);
  // An elastic group may run fewer replicas than its most: -n says how many start.
  const replicas = members.elastic ? (options.replicas ?? members.size) : members.size;
  const workload = options.demo ? DEMO_WORKLOAD : options.workload;
  // The replicas are this process's own children: a secret of this run keeps other users of the machine
  // out of their group and their remote launches, with nothing to set up (one given is kept: a test's).
  const secret = options.env.ROLLCALL_SECRET || randomBytes(16).toString('hex');
  const dns = new LocalDnsServer(DOMAIN);
  const port = await replicaPort(options.env, replicas);
  const replicaEnv = (index: number, server: string, hostname = members.hostname(index)): NodeJS.ProcessEnv => ({
    ...withoutWrapper(options.env),
    ...(port === undefined ? {} : { ROLLCALL_PORT: String(port) }),
    // As Kubernetes names and numbers the pod: its hostname, and its index within its own Job.
    ROLLCALL_HOSTNAME: hostname,
    JOB_COMPLETION_INDEX: hostname.slice(hostname.lastIndexOf('-') + 1),
    ROLLCALL_INDEX: String(index),
    ROLLCALL_COUNT: members.elastic ? `${members.min}:${members.size}` : String(replicas),
    ROLLCALL_JOB_NAME: job,
    ROLLCALL_SUBDOMAIN: subdomain,
    ROLLCALL_NAMESPACE: NAMESPACE,
    ROLLCALL_CLUSTER_DOMAIN: DOMAIN,
    ROLLCALL_DNS_SERVERS: server,
    ROLLCALL_SECRET: secret,
    ROLLCALL_LISTEN_HOST: replicaAddress(index),
    ROLLCALL_IP_FAMILY: 'ipv4',
    // No resolver but the embedded one knows the replicas' names: the workload gets their addresses
    // (the demo's only prints the names, as the task page's loop does).
    ROLLCALL_WORKLOAD_HOSTS: options.env.ROLLCALL_WORKLOAD_HOSTS ?? (options.demo ? 'names' : 'addresses'),
    // Replicas on one machine start within a second of each other; a failure should not take minutes to show.
    ROLLCALL_TIMEOUT: options.env.ROLLCALL_TIMEOUT ?? '30s',
    ...(options.demo ? { ROLLCALL_TOPOLOGY: 'mesh' } : {}),
  });
  // Every replica would refuse a bad setting with the same error, naming the variable it was handed in:
  // refused once here instead, where the error still names the flag the user typed.
  resolveConfig({ env: replicaEnv(0, '127.0.0.1'), log: false });
  const server = await dns.start();
  // The replicas run this very program: the single executable, the bundled CLI or the module build.
  const [program, ...programArgs] = selfCommand();
  const startedAt = systemClock.now();
  const released: number[] = [];
  if (options.demo) options.logger.line(`demo: ${members.parts.length === 0 ? `an Indexed Job "${job}" of ${replicas} pods` : `a JobSet's Jobs as one group, ${members.describe()}`} behind the headless Service "${subdomain}", on this machine`);

  // Each replica gets a TMPDIR of its own, as each pod has a /tmp of its own: the replicas share this
  // machine's hostname, and programs that name their files by it collided (Open MPI's daemons, one per
  // replica, creating the same session directory at once: "mkdir ... File exists").
  const tmpRoot = mkdtempSync(join(tmpdir(), 'rollcall-local-'));
  const replicaTmp = (index: number) => {
    const dir = join(tmpRoot, members.hostname(index));
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  };
  const exits = Array.from({ length: replicas }, (_, index) => {
    dns.set(fqdn(members.hostname(index), subdomain, NAMESPACE, DOMAIN), [replicaAddress(index)]);
    const env = { ...replicaEnv(index, server), TMPDIR: replicaTmp(index) };
    const child = spawn(program, [...programArgs, '--', ...workload], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const prefix = `[${members.hostname(index)}]`;
    prefixLines(child.stdout, prefix, process.stdout);
    prefixLines(child.stderr, prefix, process.stderr, (line) => {
      if (line.includes('released as index')) released[index] = systemClock.now() - startedAt;
    });
    // Each replica's rollcall shares its fate with the others: one failing stops the rest, as in a cluster.
    return new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : 15))));
  });
  const codes = await Promise.all(exits);
  dns.close();
  rmSync(tmpRoot, { recursive: true, force: true });

  if (released.filter((at) => at !== undefined).length === replicas) {
    const first = Math.min(...released);
    const last = Math.max(...released);
    options.logger.line(
      `all ${replicas} replicas released: first ${first.toFixed(0)} ms after start, last ${last.toFixed(0)} ms (spread ${(last - first).toFixed(1)} ms); ${dns.queries} DNS queries answered`,
    );
  }
  if (codes.some((code) => code !== 0)) options.logger.line(`exit codes: ${codes.map((code, index) => `${index}: ${code}`).join(', ')}`, { event: 'exit-codes', codes });
  // The replica that failed says why; the others' 75 only says that they were stopped.
  return codes.find((code) => code !== 0 && code !== PEER_FAILED_EXIT) ?? codes.find((code) => code !== 0) ?? 0;
}

/** How many ports the kernel is asked for before the default is left to say why none would do. */
const PORT_DRAWS = 5;

/**
 * A port free on every replica's address, unless ROLLCALL_PORT (or --port) names one: the replicas'
 * addresses are the same in every run, and two runs on one machine at once (a demo in each terminal, two
 * test suites) would otherwise both take the default port, and the second fail. The kernel picks it, so
 * it is outside the range other programs are configured to listen on; undefined when no draw is free on
 * every address (the replicas then meet the default, and say what is in the way).
 */
async function replicaPort(env: NodeJS.ProcessEnv, replicas: number): Promise<number | undefined> {
  if (env.ROLLCALL_PORT !== undefined && env.ROLLCALL_PORT !== '') return undefined;
  for (let draw = 0; draw < PORT_DRAWS; draw++) {
    const port = await listenBriefly(replicaAddress(0), 0);
    if (port === undefined) return undefined;
    const free = await Promise.all(Array.from({ length: replicas - 1 }, (_, index) => listenBriefly(replicaAddress(index + 1), port)));
    if (free.every((taken) => taken === port)) return port;
  }
  return undefined;
}

/** Listens on `host`:`port` and closes at once: the port it got, or undefined when it could not. */
function listenBriefly(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : undefined));
    });
  });
}

function prefixLines(input: NodeJS.ReadableStream | null, prefix: string, output: NodeJS.WriteStream, onLine?: (line: string) => void): void {
  if (input === null) return;
  createInterface({ input }).on('line', (line) => {
    onLine?.(line);
    output.write(`${prefix} ${line}\n`);
  });
}

/** Replicas are groups of their own, even when `rollcall local` itself runs under a wrapper. */
function withoutWrapper(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest[GROUP_SOCKET_VARIABLE];
  return rest;
}

/**
 * Who the replicas are: one Job's pods (-n, 3 by default), or, with ROLLCALL_GROUP, every pod of the JobSet
 * its parts describe, named as JobSet names them (the group's name is the JobSet's).
 */
function localMembers(options: LocalOptions, job: string): Membership {
  const group = options.env.ROLLCALL_GROUP;
  const elastic = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(options.env.ROLLCALL_COUNT ?? '');
  if (group === undefined && elastic !== null) {
    const [min, max] = [Number(elastic[1]), Number(elastic[2])];
    if (options.replicas !== undefined && options.replicas > max) {
      throw new ConfigError('ROLLCALL_COUNT', options.env.ROLLCALL_COUNT, `lets the group run at most ${max} pods, and --replicas (-n) starts ${options.replicas}`, 'Start at most MAX replicas: the others would have no place in the group.');
    }
    if (max > MAX_LOCAL_REPLICAS) throw new ConfigError('ROLLCALL_COUNT', options.env.ROLLCALL_COUNT, `lets the group run ${max} pods, more than the ${MAX_LOCAL_REPLICAS} replicas "rollcall local" runs`, 'Give a smaller MAX for a local run.');
    return Membership.ofJob(job, max, Math.min(min, max));
  }
  if (group === undefined) return Membership.ofJob(job, options.replicas ?? 3);
  const members = Membership.ofParts(job, parseGroupParts('ROLLCALL_GROUP', group));
  if (options.replicas !== undefined && options.replicas !== members.size) {
    throw new ConfigError('ROLLCALL_GROUP', group, `is a group of ${members.size} pods, and --replicas (-n) asks for ${options.replicas}`, 'Leave out -n: the parts say how many replicas run.');
  }
  if (members.size > MAX_LOCAL_REPLICAS) throw new ConfigError('ROLLCALL_GROUP', group, `is a group of ${members.size} pods, more than the ${MAX_LOCAL_REPLICAS} replicas "rollcall local" runs`, 'Give smaller parts for a local run.');
  return members;
}
