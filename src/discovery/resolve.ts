import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AttemptError, ConfigError, mostTelling } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { Deadline } from '../time/deadline.js';
import { DnsClient, isBareIPv6 } from './dns-client.js';
import { DNS_FAILURE_RANK, dnsFailure, notYetError } from './dns-failures.js';
import { NameLookup, plainKeys, type IpFamily, type NegativeCaching } from './name-lookup.js';

export type { IpFamily };

export interface NameResolverOptions {
  /** `host` or `host:port` (`[v6]:port`); empty means the nameservers of resolv.conf. */
  servers: readonly string[];
  /** Only query the families this pod can reach: a single-stack pod halves its DNS load. */
  families: readonly IpFamily[];
  attemptTimeoutMs: number;
  /**
   * With an absolute name (namespace and domain known) rollcall's own stub resolver asks the nameserver
   * directly: no search-list fan-out, no seat on the 4-thread getaddrinfo pool, and it sees what a
   * negative answer's SOA says about the cache. Without, the system resolver applies resolv.conf's
   * search list and /etc/hosts.
   */
  absolute: boolean;
  /** What the resolver learns a negative answer's lifetime on (the system's at the edges). */
  clock?: Clock;
}

/**
 * One attempt at resolving `name`, by `deadline` (the attempt timeout from now unless given); throws
 * AttemptError ("not yet") when the name has no address yet. `speculative` when there is no reason yet
 * to expect the name (its pod may not have started): such lookups use a question of their own.
 */
export type ResolveName = (name: string, signal?: AbortSignal, deadline?: Deadline, speculative?: boolean) => Promise<string[]>;

/** Resolves peers' names; what it learns about a name (and the cache in front of it) lasts the run. */
export interface NameResolver {
  resolve: ResolveName;
  /** The name's pod resolved it for itself: asking the plain question cannot plant "no such name". */
  markExists(name: string): void;
  close(): void;
}

export function createNameResolver(options: NameResolverOptions): NameResolver {
  return options.absolute ? createDirectResolver(options) : { resolve: createSystemResolver(options), markExists: () => {}, close: () => {} };
}

function createDirectResolver({ servers, families, attemptTimeoutMs, clock = systemClock }: NameResolverOptions): NameResolver {
  const client = new DnsClient(servers, clock);
  const caching: NegativeCaching = { state: 'unknown' };
  const lookups = new Map<string, NameLookup>();
  const lookupOf = (name: string, speculative = false) => {
    let lookup = lookups.get(name);
    if (lookup === undefined) {
      lookup = new NameLookup(families, caching, speculative);
      lookups.set(name, lookup);
    }
    return lookup;
  };
  const notYet = (name: string, lookup: NameLookup): AttemptError => {
    const step = lookup.next(clock.now());
    return notYetError(name, 'waitMs' in step ? step.waitMs : 0, lookup.lastAnswer?.rcode === 'NOERROR', caching.state === 'yes');
  };
  const resolve: ResolveName = async (name, signal, deadline = Deadline.in(attemptTimeoutMs, clock), speculative = false) => {
    const lookup = lookupOf(name, speculative);
    // A probe question first while the name may not exist yet; the plain ones once it does.
    for (let asked = 0; asked < 2; asked++) {
      const step = lookup.next(clock.now());
      if ('waitMs' in step) throw notYet(name, lookup);
      if (step.ask === 'probe') {
        const answer = await client.query(name, step.key, deadline, signal).catch((error: unknown) => {
          if (error instanceof AttemptError && /^(FORMERR|NOTIMP) /.test(error.detail ?? '')) lookup.probesUnsupported();
          throw error;
        });
        lookup.learn(step.key, answer, clock.now());
        if (!lookup.known) throw notYet(name, lookup);
        continue;
      }
      const keys = plainKeys(families);
      const results = await Promise.allSettled(keys.map((key) => client.query(name, key, deadline, signal)));
      const addresses: string[] = [];
      results.forEach((result, position) => {
        if (result.status !== 'fulfilled') return;
        lookup.learn(keys[position] as (typeof keys)[number], result.value, clock.now());
        addresses.push(...result.value.addresses);
      });
      if (addresses.length > 0) return addresses;
      const failures = results.filter((result) => result.status === 'rejected').map((result) => dnsFailure(result.reason));
      throw failures.length === results.length ? (mostTelling(failures, DNS_FAILURE_RANK) as AttemptError) : notYet(name, lookup);
    }
    throw notYet(name, lookup);
  };
  return { resolve, markExists: (name) => lookupOf(name).markExists(), close: () => client.close() };
}

function createSystemResolver({ families, attemptTimeoutMs, clock = systemClock }: NameResolverOptions): ResolveName {
  const family = families.length === 1 ? families[0] : 0;
  return async (name, signal, deadline = Deadline.in(attemptTimeoutMs, clock)) => {
    const attempt = lookup(name, { all: true, family, order: 'verbatim' });
    const found = await deadline.bound(attempt, () => new AttemptError('dns-timeout', name), signal).catch((error: unknown) => {
      throw error instanceof AttemptError ? error : dnsFailure(error);
    });
    const addresses = [...new Set(found.map((entry) => entry.address))];
    if (addresses.length === 0) throw new AttemptError('no-address', name);
    return addresses;
  };
}


/** `host[:port],…` as ROLLCALL_DNS_SERVERS writes it; IPv6 with a port needs brackets. */
export function parseDnsServers(variable: string, raw: string): string[] {
  const servers = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const server of servers) {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
    const plainV6 = isBareIPv6(server);
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
