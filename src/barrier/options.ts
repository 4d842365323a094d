import { networkInterfaces } from 'node:os';
import { isIP, type Socket } from 'node:net';
import { ConfigError, type GroupCount } from '../errors.js';
import { detectIdentity, type Identity, type IdentityOptions } from '../identity/identity.js';
import { MAX_GROUP_SIZE } from '../identity/membership.js';
import { parseDnsServers, type IpFamily } from '../discovery/resolve.js';
import { SettingSource, parseChoice, parseDuration, parseExitCodes, parseInteger, type Env } from '../settings.js';
import type { Backoff } from '../discovery/peer-check.js';
import type { ProbeSpec } from '../discovery/probes/types.js';

export type Topology = 'mesh' | 'star';
export type IpFamilySetting = 'auto' | 'ipv4' | 'ipv6' | 'dual';

/** Everything is optional: inside a pod of an Indexed Job the defaults and the pod's own files suffice. */
export interface WaitForPeersOptions extends IdentityOptions {
  /** The Job's UID (ROLLCALL_JOB_UID): pods of an older Job with the same name are refused. */
  jobUid?: string;
  /** A shared secret (ROLLCALL_SECRET): only pods that prove it count. It never crosses the wire. */
  secret?: string;
  /** rollcall's own listener port (ROLLCALL_PORT), the same in every pod. */
  port?: number;
  /** Bind the listener to one address instead of all (ROLLCALL_LISTEN_HOST; local mode gives each replica a loopback address). */
  listenHost?: string;
  /** How a peer is checked (ROLLCALL_PROBE): `tcp` (default), `tcp:<port>`, `icmp`, `dns`, or a function. */
  probe?: ProbeSpec;
  /** ROLLCALL_TOPOLOGY: `mesh`, `star`, or `auto` (star with the default probe, which a star can apply; mesh with any other). */
  topology?: Topology | 'auto';
  /** Overall deadline (ROLLCALL_TIMEOUT). */
  timeoutMs?: number;
  /** Deadline of one DNS query or one connection attempt. */
  attemptTimeoutMs?: number;
  /** How long close() waits for every peer to confirm release. */
  closeTimeoutMs?: number;
  /**
   * How long a session with index 0 may go silent before either side counts the other as gone
   * (ROLLCALL_SESSION_TIMEOUT); both send a heartbeat every sixth of it. The same in every pod.
   */
  sessionTimeoutMs?: number;
  /**
   * Gang restarts (ROLLCALL_RESTARTS, default 0): on a failure every pod stops its workload and, once all
   * are gone, a new round starts them again together. Index 0's setting counts for the group.
   */
  restarts?: number;
  /** Exit codes that end the group at once without using a restart (ROLLCALL_FATAL_EXIT_CODES). */
  fatalExitCodes?: number[];
  /**
   * Stall detection (ROLLCALL_STALL_TIMEOUT, off by default): a workload that has reported progress
   * (`group.progress()`, or touching ROLLCALL_PROGRESS_FILE under the CLI) and then reports none for this
   * long while it still runs is stalled, a failure of its pod. Index 0's setting counts for the group.
   */
  stallTimeoutMs?: number;
  /**
   * How long close() keeps a pod whose workload succeeded in the group, until every workload has
   * finished (ROLLCALL_EXIT_TIMEOUT, default 5 min); 0 turns the exit barrier off.
   */
  exitTimeoutMs?: number;
  /** Nameservers to ask instead of resolv.conf's (ROLLCALL_DNS_SERVERS). */
  dnsServers?: string[];
  /** Which address families to resolve and probe (ROLLCALL_IP_FAMILY); `auto` follows the pod's own addresses. */
  ipFamily?: IpFamilySetting;
  /** Attempts in flight at once (ROLLCALL_CONCURRENCY). */
  concurrency?: number;
  backoff?: Partial<Backoff>;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Where log lines go (stderr by default), with their facts as fields; `false` silences them. */
  log?: false | LogFunction;
  /** How often the "k/N confirmed; waiting for …" line is written while waiting. */
  logIntervalMs?: number;
  /** The environment to read (process.env by default). */
  env?: Env;
  /**
   * Connections of other kinds this pod's listener takes from the group (a remote launch): each is handed
   * over once the peer has proved it belongs to the group, for the part that serves it.
   */
  sessions?: ServedSessions;
  /** A dotenv file of ROLLCALL_* values; ROLLCALL_ENV_FILE names it by default. */
  envFile?: string;
}

/** A connection from (or to) a peer of the group, past its handshake: the socket and what came after it. */
export interface PeerConnection {
  socket: Socket;
  /** Bytes that arrived with the handshake's last frame: the start of what the session speaks. */
  rest: Buffer;
  /** The peer's index. */
  index: number;
}

export interface ServedSessions {
  launch?: (connection: PeerConnection) => void;
}

export type LogFunction = (line: string, fields?: Record<string, unknown>) => void;

/** What this pod knows of a barrier: `ready` confirmed, `missing` known absent (and why); the rest it has not checked. */
export interface Progress extends GroupCount {
  barrier: string;
}

export const DEFAULTS = {
  port: 7420,
  timeoutMs: 300_000,
  attemptTimeoutMs: 2000,
  closeTimeoutMs: 10_000,
  /** Silence for this long, and no session back for as long again after a reset, is a vanished pod: 10 s keeps that within torchelastic's 15 s. */
  sessionTimeoutMs: 10_000,
  restarts: 0,
  exitTimeoutMs: 300_000,
  concurrency: 64,
  backoff: { minDelayMs: 100, maxDelayMs: 2000 },
  logIntervalMs: 5000,
  handshakeTimeoutMs: 5000,
  progressIntervalMs: 500,
} as const;

export interface Config {
  identity: Identity;
  jobUid: string;
  secret: string | undefined;
  port: number;
  /** Whether the port was chosen rather than the default (an error about it blames only a choice). */
  portGiven: boolean;
  listenHost: string | undefined;
  probe: ProbeSpec;
  topology: Topology;
  timeoutMs: number;
  attemptTimeoutMs: number;
  closeTimeoutMs: number;
  sessionTimeoutMs: number;
  restarts: number;
  fatalExitCodes: ReadonlySet<number>;
  stallTimeoutMs: number;
  exitTimeoutMs: number;
  dnsServers: string[];
  families: IpFamily[];
  concurrency: number;
  backoff: Backoff;
  signal: AbortSignal | undefined;
  onProgress: ((progress: Progress) => void) | undefined;
  log: LogFunction;
  logIntervalMs: number;
  sessions: ServedSessions;
}

/** Options first, then ROLLCALL_* variables, then the env file, then the defaults: all in this one place. */
export function resolveConfig(options: WaitForPeersOptions = {}): Config {
  checkOptionTypes(options);
  const settings = new SettingSource(options.env ?? process.env, options.envFile);
  const identity = detectIdentity(options, settings);
  const fromEnv = <T>(variable: string, parse: (variable: string, raw: string) => T): T | undefined => {
    const found = settings.get(variable);
    return found === undefined ? undefined : parse(found.variable, found.value);
  };

  const probe = options.probe ?? fromEnv('ROLLCALL_PROBE', parseProbe) ?? 'tcp';
  const topologySetting = options.topology ?? fromEnv('ROLLCALL_TOPOLOGY', parseTopology) ?? 'auto';
  // Star at every size: on a cluster DNS that caches, it releases as fast as mesh with a quarter of its
  // DNS questions or less (the README's benchmark matrix); mesh stays for probes a star cannot apply.
  const topology = topologySetting === 'auto' ? (probe === 'tcp' ? 'star' : 'mesh') : topologySetting;
  if (topology === 'star' && probe !== 'tcp') {
    throw new ConfigError('ROLLCALL_TOPOLOGY', 'star', `cannot use probe "${typeof probe === 'function' ? 'function' : probe}": a star checks peers only through index 0's listener`, 'Use topology "mesh" for another probe, or the default probe "tcp".');
  }
  const ipFamily = options.ipFamily ?? fromEnv('ROLLCALL_IP_FAMILY', parseIpFamily) ?? 'auto';
  const log: LogFunction = options.log === false ? () => {} : (options.log ?? ((line: string) => process.stderr.write(`rollcall: ${line}\n`)));

  return {
    identity,
    jobUid: options.jobUid ?? settings.get('ROLLCALL_JOB_UID')?.value ?? '',
    secret: options.secret ?? settings.get('ROLLCALL_SECRET')?.value,
    port: options.port ?? fromEnv('ROLLCALL_PORT', (variable, raw) => parseInteger(variable, raw, { min: 1, max: 65535 })) ?? DEFAULTS.port,
    portGiven: options.port !== undefined || settings.get('ROLLCALL_PORT') !== undefined,
    listenHost: options.listenHost ?? fromEnv('ROLLCALL_LISTEN_HOST', parseListenHost),
    probe,
    topology,
    timeoutMs: options.timeoutMs ?? fromEnv('ROLLCALL_TIMEOUT', parseDuration) ?? DEFAULTS.timeoutMs,
    attemptTimeoutMs: options.attemptTimeoutMs ?? fromEnv('ROLLCALL_ATTEMPT_TIMEOUT', parseDuration) ?? DEFAULTS.attemptTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs ?? fromEnv('ROLLCALL_CLOSE_TIMEOUT', parseDuration) ?? DEFAULTS.closeTimeoutMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? fromEnv('ROLLCALL_SESSION_TIMEOUT', parseDuration) ?? DEFAULTS.sessionTimeoutMs,
    restarts: options.restarts ?? fromEnv('ROLLCALL_RESTARTS', (variable, raw) => parseInteger(variable, raw, { min: 0, max: MAX_RESTARTS })) ?? DEFAULTS.restarts,
    fatalExitCodes: new Set(options.fatalExitCodes ?? fromEnv('ROLLCALL_FATAL_EXIT_CODES', parseExitCodes) ?? []),
    stallTimeoutMs: options.stallTimeoutMs ?? fromEnv('ROLLCALL_STALL_TIMEOUT', (variable, raw) => parseDuration(variable, raw, { zero: true })) ?? 0,
    exitTimeoutMs: options.exitTimeoutMs ?? fromEnv('ROLLCALL_EXIT_TIMEOUT', (variable, raw) => parseDuration(variable, raw, { zero: true })) ?? DEFAULTS.exitTimeoutMs,
    dnsServers: options.dnsServers ?? fromEnv('ROLLCALL_DNS_SERVERS', parseDnsServers) ?? [],
    families: familiesFor(ipFamily, identity.podIps),
    concurrency: options.concurrency ?? fromEnv('ROLLCALL_CONCURRENCY', (variable, raw) => parseInteger(variable, raw, { min: 1, max: 4096 })) ?? DEFAULTS.concurrency,
    backoff: { ...DEFAULTS.backoff, ...options.backoff },
    signal: options.signal,
    onProgress: options.onProgress,
    log,
    logIntervalMs: options.logIntervalMs ?? fromEnv('ROLLCALL_LOG_INTERVAL', parseDuration) ?? DEFAULTS.logIntervalMs,
    sessions: options.sessions ?? {},
  };
}

const MAX_RESTARTS = 10_000;

const PROBE = /^(tcp|icmp|dns|tcp:(\d{1,5}))$/;

export function parseProbe(variable: string, raw: string): ProbeSpec {
  const match = PROBE.exec(raw);
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  if (match === null || (port !== undefined && (port < 1 || port > 65535))) {
    throw new ConfigError(variable, raw, 'is not a known probe', 'Use "tcp" (default), "tcp:<port>", "icmp" or "dns".');
  }
  return raw as ProbeSpec;
}

function parseListenHost(variable: string, raw: string): string {
  if (isIP(raw) !== 0) return raw;
  throw new ConfigError(variable, raw, 'is not an IP address', 'Give one of this pod\'s addresses, or unset it to listen on all.');
}

const parseTopology = (variable: string, raw: string) => parseChoice(variable, raw, ['mesh', 'star', 'auto'] as const, { noun: 'a topology', fallback: 'auto' });

const parseIpFamily = (variable: string, raw: string): IpFamilySetting => parseChoice(variable, raw, ['auto', 'ipv4', 'ipv6', 'dual'] as const, { noun: 'an IP family', fallback: 'auto' });

/** A pod can only reach peers in the families it has an address in; asking DNS for others doubles its load for nothing. */
function familiesFor(setting: IpFamilySetting, podIps: readonly string[]): IpFamily[] {
  if (setting === 'ipv4') return [4];
  if (setting === 'ipv6') return [6];
  if (setting === 'dual') return [4, 6];
  const own = podIps.length > 0 ? podIps : interfaceAddresses();
  const families = ([4, 6] as const).filter((family) => own.some((address) => isIP(address) === family));
  return families.length === 0 ? [4, 6] : families;
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal && !entry.address.startsWith('fe80'))
    .map((entry) => (entry as { address: string }).address);
}

function checkOptionTypes(options: WaitForPeersOptions): void {
  const integer = (name: keyof WaitForPeersOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)) {
      throw new TypeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('index', 0);
  integer('count', 1, MAX_GROUP_SIZE);
  integer('port', 0, 65535);
  integer('timeoutMs', 1);
  integer('attemptTimeoutMs', 1);
  integer('closeTimeoutMs', 0);
  integer('sessionTimeoutMs', 6);
  integer('concurrency', 1);
  integer('restarts', 0, MAX_RESTARTS);
  integer('exitTimeoutMs', 0);
  integer('stallTimeoutMs', 0);
  if (options.fatalExitCodes !== undefined && (!Array.isArray(options.fatalExitCodes) || !options.fatalExitCodes.every((code) => Number.isSafeInteger(code) && code >= 1 && code <= 255))) {
    throw new TypeError(`Expected \`fatalExitCodes\` to be an array of integers from 1 to 255, got ${JSON.stringify(options.fatalExitCodes)}`);
  }
  integer('logIntervalMs', 1);
  if (options.probe !== undefined && typeof options.probe !== 'function' && !PROBE.test(options.probe)) {
    throw new TypeError(`Expected \`probe\` to be "tcp", "tcp:<port>", "icmp", "dns" or a function, got ${JSON.stringify(options.probe)}`);
  }
  if (options.topology !== undefined && !['mesh', 'star', 'auto'].includes(options.topology)) {
    throw new TypeError(`Expected \`topology\` to be "mesh", "star" or "auto", got ${JSON.stringify(options.topology)}`);
  }
  const { minDelayMs = 0, maxDelayMs = 0 } = options.backoff ?? {};
  if (minDelayMs < 0 || maxDelayMs < 0 || (options.backoff?.minDelayMs !== undefined && options.backoff.maxDelayMs !== undefined && maxDelayMs < minDelayMs)) {
    throw new TypeError('Expected `backoff` delays to be non-negative, with maxDelayMs ≥ minDelayMs');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('Expected `signal` to be an AbortSignal');
  }
  if (options.dnsServers !== undefined) parseDnsServers('dnsServers', options.dnsServers.join(','));
}

