import { Resolver, lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AttemptError, ConfigError, mostTelling, type MissingReasonCode } from '../errors.js';
import { withDeadline } from '../time/deadline.js';

export type IpFamily = 4 | 6;

export interface NameResolverOptions {
  /** `host` or `host:port` (`[v6]:port`); empty means the nameservers of resolv.conf. */
  servers: readonly string[];
  /** Only query the families this pod can reach: a single-stack pod halves its DNS load. */
  families: readonly IpFamily[];
  attemptTimeoutMs: number;
  /**
   * With an absolute name (namespace and domain known) one query per family goes straight to the
   * nameserver through c-ares: no search-list fan-out and no seat on the 4-thread getaddrinfo pool.
   * Without, the system resolver applies resolv.conf's search list and /etc/hosts.
   */
  absolute: boolean;
}

/**
 * One attempt at resolving `name`, within `timeoutMs` (the attempt timeout unless given); throws
 * AttemptError ("not yet") when the name has no address yet.
 */
export type ResolveName = (name: string, signal?: AbortSignal, timeoutMs?: number) => Promise<string[]>;

/**
 * Whether this Node's c-ares keeps answers in-process (20.19.0–20.19.4, 22.14–22.16, 24.0–24.1; turned off
 * again by nodejs/node#57640): a name asked for before its record existed would stay "no such name" for
 * the negative TTL, and an address for up to an hour after its pod was replaced.
 */
export function caresCachesAnswers(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 20 && minor === 19 && patch <= 4) || (major === 22 && minor >= 14 && minor <= 16) || (major === 24 && minor <= 1);
}

export function createNameResolver(options: NameResolverOptions): ResolveName {
  return options.absolute ? createDirectResolver(options) : createSystemResolver(options);
}

function createDirectResolver({ servers, families, attemptTimeoutMs }: NameResolverOptions): ResolveName {
  // c-ares sets its timeout per resolver: one per deadline in use (a few, as deadlines only double).
  const resolvers = new Map<number, Resolver>();
  const resolverFor = (timeoutMs: number) => {
    let resolver = resolvers.get(timeoutMs);
    if (resolver === undefined) {
      // Two sends within the attempt's deadline (c-ares doubles the wait for the second): on a lossy
      // network one lost UDP packet then costs a third of the deadline, not all of it.
      resolver = new Resolver({ timeout: Math.max(1, Math.floor(timeoutMs / 3)), tries: 2 });
      if (servers.length > 0) resolver.setServers([...servers]);
      resolvers.set(timeoutMs, resolver);
    }
    return resolver;
  };
  return async (name, signal, timeoutMs = attemptTimeoutMs) => {
    const resolver = resolverFor(timeoutMs);
    const attempt = Promise.allSettled(families.map((family) => (family === 4 ? resolver.resolve4(name) : resolver.resolve6(name))));
    // c-ares keeps its own per-query timeout; this deadline also bounds a nameserver that never answers at all.
    const results = await withDeadline(attempt, timeoutMs + 250, () => new AttemptError('dns-timeout', name), signal);
    const addresses = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    if (addresses.length > 0) return addresses;
    throw mostTelling(
      results.map((result) => (result.status === 'rejected' ? dnsFailure(result.reason) : new AttemptError('no-address', name))),
      DNS_FAILURE_RANK,
    );
  };
}

function createSystemResolver({ families, attemptTimeoutMs }: NameResolverOptions): ResolveName {
  const family = families.length === 1 ? families[0] : 0;
  return async (name, signal, timeoutMs = attemptTimeoutMs) => {
    const attempt = lookup(name, { all: true, family, order: 'verbatim' });
    const found = await withDeadline(attempt, timeoutMs, () => new AttemptError('dns-timeout', name), signal).catch((error: unknown) => {
      throw error instanceof AttemptError ? error : dnsFailure(error);
    });
    const addresses = [...new Set(found.map((entry) => entry.address))];
    if (addresses.length === 0) throw new AttemptError('no-address', name);
    return addresses;
  };
}

const REASON_BY_CODE: Record<string, MissingReasonCode> = {
  ENOTFOUND: 'no-such-name',
  ENODATA: 'no-address',
  EAI_NODATA: 'no-address',
  ETIMEOUT: 'dns-timeout',
  EAI_AGAIN: 'dns-timeout',
  ECANCELLED: 'dns-timeout',
  ESERVFAIL: 'dns-failure',
  EREFUSED: 'dns-refused',
  ECONNREFUSED: 'dns-refused',
};

function dnsFailure(error: unknown): AttemptError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new AttemptError(REASON_BY_CODE[code] ?? 'dns-failure', code, { cause: error });
}

/** "no such name" says more than "no address" for the other family, which says more than a timeout. */
const DNS_FAILURE_RANK: MissingReasonCode[] = ['no-such-name', 'no-address', 'dns-refused', 'dns-failure', 'dns-timeout'];

/** `host[:port],…` as ROLLCALL_DNS_SERVERS writes it; IPv6 with a port needs brackets. */
export function parseDnsServers(variable: string, raw: string): string[] {
  const servers = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const server of servers) {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
    const plainV6 = isIP(server) === 6;
    const hostPort = /^([^:]+)(?::(\d+))?$/.exec(server);
    const host = bracketed?.[1] ?? (plainV6 ? server : hostPort?.[1]);
    const port = bracketed?.[2] ?? (plainV6 ? undefined : hostPort?.[2]);
    if (host === undefined || isIP(host) === 0 || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
      throw new ConfigError(variable, raw, `has "${server}", which is not an IP address with an optional port`, 'Write "10.96.0.10", "10.96.0.10:53" or "[fd00::a]:53", comma-separated.');
    }
  }
  if (servers.length === 0) throw new ConfigError(variable, raw, 'names no server', 'Write "host[:port]", comma-separated, or unset it.');
  return servers;
}
