import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { detectIdentity, type Identity } from '../identity/identity.js';
import { parseDnsServers, type IpFamily } from '../discovery/resolve.js';
import { SettingSource, parseChoice, parseDuration, parseExitCodes, parseInteger } from '../settings.js';
import type { Backoff } from '../discovery/peer-check.js';
import type { ProbeSpec } from '../discovery/probes/types.js';
import { MAX_RESTARTS, PROBE, checkOptionTypes } from './option-types.js';
import type { IpFamilySetting, LogFunction, Progress, ServedSessions, Topology, WaitForPeersOptions } from './wait-options.js';

export type { Topology, IpFamilySetting, WaitForPeersOptions, PeerConnection, ServedSessions, LogFunction, Progress } from './wait-options.js';

export const DEFAULTS = {
  port: 7420,
  timeoutMs: 300_000,
  attemptTimeoutMs: 2000,
  closeTimeoutMs: 10_000,
  /** Silence for this long, and no session back for as long again after a reset, is a vanished pod: 10 s keeps that within torchelastic's 15 s. */
  sessionTimeoutMs: 10_000,
  restarts: 0,
  lastCallMs: 5000,
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
  lastCallMs: number;
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
  if (identity.membership.elastic && topology !== 'star') {
    throw new ConfigError('ROLLCALL_TOPOLOGY', topology, 'cannot run an elastic group: only index 0 in a star can decide who a round releases with', 'Use topology "star" (the default with the probe "tcp") for MIN:MAX.');
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
    lastCallMs: options.lastCallMs ?? fromEnv('ROLLCALL_LAST_CALL', (variable, raw) => parseDuration(variable, raw, { zero: true })) ?? DEFAULTS.lastCallMs,
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
