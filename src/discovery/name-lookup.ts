import type { DnsAnswer, QueryKey } from './dns-client.js';

export type IpFamily = 4 | 6;

/**
 * What this pod has learnt of the cache behind its nameserver (the replica its one socket's flow
 * reaches), shared by every name: `yes` once an answer came counted down, `no` once the same question
 * asked a second apart came back fresh both times, or a negative answer came without an SOA.
 */
export interface NegativeCaching {
  state: 'unknown' | 'yes' | 'no';
}

export type LookupStep = { ask: 'probe'; key: QueryKey } | { ask: 'plain' } | { waitMs: number };

const typeOf = (family: IpFamily): QueryKey['type'] => (family === 4 ? 'A' : 'AAAA');
const keyId = (key: QueryKey) => `${key.type}${key.dnssecOk ? '+do' : ''}${key.checkingDisabled ? '+cd' : ''}`;

/** The questions a workload asks (getaddrinfo: A and AAAA, neither bit set), for this pod's families. */
export function plainKeys(families: readonly IpFamily[]): QueryKey[] {
  return families.map((family) => ({ type: typeOf(family), dnssecOk: false, checkingDisabled: false }));
}

/**
 * Questions that tell whether a name exists without touching the cache entries a workload will read:
 * the DO bit, the CD bit or both, for either type (an A record's name answers AAAA with "no data").
 * This pod's own family first. The last one is kept for speculative lookups (index 0 calling out to a
 * member that may not have started): a negative answer to it leaves the member the other five.
 */
export function probeKeys(families: readonly IpFamily[], speculative = false): QueryKey[] {
  const keys = allProbeKeys(families);
  return speculative ? keys.slice(-1) : keys.slice(0, -1);
}

function allProbeKeys(families: readonly IpFamily[]): QueryKey[] {
  const types = [...families.map(typeOf), ...(['A', 'AAAA'] as const).filter((type) => !families.map(typeOf).includes(type))];
  const bits = [
    { dnssecOk: true, checkingDisabled: false },
    { dnssecOk: false, checkingDisabled: true },
    { dnssecOk: true, checkingDisabled: true },
  ];
  return bits.flatMap((bit) => types.map((type) => ({ type, ...bit })));
}

/** A cache counts down in whole seconds: a counted-down TTL of t ends up to a second sooner. */
const COUNTED_DOWN_SLACK_MS = 500;
/** Past the end of a fresh negative answer's TTL, so the cache has surely let it go. */
const EXPIRY_MARGIN_MS = 50;
/** Fresh probe questions are spread over the negative TTL, but never further apart than this. */
const MAX_PROBE_SPACING_MS = 1000;
/** A cache shows it counts down only after a whole second. */
const CACHE_TEST_AFTER_MS = 1000;

/**
 * Which question about one name is worth asking now. A name asked before its record exists is "no
 * such name" in the cache for the SOA's TTL, for the workload too; so until some answer shows the name
 * exists, only probe questions are asked, each again only once the cache has let its negative answer go,
 * and the plain question the workload will ask is asked only after that: its first answer is an address.
 */
export class NameLookup {
  private exists = false;
  private readonly blockedUntil = new Map<string, number>();
  /** When a probe question last got a fresh negative answer: asked again a second later, it tells whether a cache kept it. */
  private readonly freshAt = new Map<string, { key: QueryKey; at: number }>();
  private lastNegative: { rcode: DnsAnswer['rcode']; cached: boolean } | undefined;
  /** The negative TTL the SOA announces (its minimum), once an answer has said. */
  private negativeTtlMs: number | undefined;
  private lastProbeAt: number | undefined;

  private readonly probes: QueryKey[];

  constructor(
    private readonly families: readonly IpFamily[],
    private readonly caching: NegativeCaching,
    speculative = false,
  ) {
    this.probes = probeKeys(families, speculative);
  }

  /**
   * The nameserver rejects the probe questions themselves (FORMERR or NOTIMP for the DO or CD bit): the
   * plain question is the only one left, and a server without EDNS is not the CoreDNS whose cache this
   * avoids.
   */
  probesUnsupported(): void {
    this.caching.state = 'no';
  }

  /** Known from elsewhere (the pod resolved its own name and said so): the plain question is safe. */
  markExists(): void {
    this.exists = true;
  }

  get known(): boolean {
    return this.exists;
  }

  /** The last negative answer: "no such name" or "no address", and whether a cache gave it. */
  get lastAnswer(): { rcode: DnsAnswer['rcode']; cached: boolean } | undefined {
    return this.lastNegative;
  }

  next(now: number): LookupStep {
    if (this.exists || this.caching.state === 'no') {
      const until = Math.max(0, ...plainKeys(this.families).map((key) => this.blockedUntil.get(keyId(key)) ?? 0));
      return until > now ? { waitMs: until - now } : { ask: 'plain' };
    }
    // Until it is known whether a cache keeps negative answers, the first question asked again a second
    // later finds out, before any fresh question is spent: without a cache, every question is free.
    const test = this.caching.state === 'unknown' ? [...this.freshAt.values()].sort((a, b) => a.at - b.at)[0] : undefined;
    if (test !== undefined && test.at + CACHE_TEST_AFTER_MS <= now) return { ask: 'probe', key: test.key };
    const free = this.probes.find((key) => (this.blockedUntil.get(keyId(key)) ?? 0) <= now);
    // Each fresh question is a cache entry for the whole TTL: spent all at once, they would cover a
    // moment and leave the rest of the TTL blind. Spread over it (a second apart at most, the time a
    // record takes to appear), they keep watch across it.
    const spreadMs = this.negativeTtlMs === undefined ? 0 : Math.min(MAX_PROBE_SPACING_MS, this.negativeTtlMs / this.probes.length);
    const spacedUntil = this.lastProbeAt === undefined ? 0 : this.lastProbeAt + spreadMs;
    if (free !== undefined && spacedUntil <= now) return { ask: 'probe', key: free };
    if (free !== undefined) return { waitMs: Math.max(1, Math.min(spacedUntil, test === undefined ? Number.POSITIVE_INFINITY : test.at + CACHE_TEST_AFTER_MS) - now) };
    const until = Math.min(...this.blockedUntil.values(), ...(test === undefined ? [] : [test.at + CACHE_TEST_AFTER_MS]));
    return { waitMs: Math.max(1, until - now) };
  }

  /** Learns from an answer to `key`; `plain` when it was the workload's own question. */
  learn(key: QueryKey, answer: DnsAnswer, now: number): void {
    const id = keyId(key);
    const plain = !key.dnssecOk && !key.checkingDisabled;
    if (answer.addresses.length > 0 || (answer.rcode === 'NOERROR' && !plain)) {
      this.exists = true;
      this.blockedUntil.delete(id);
      return;
    }
    if (answer.rcode === 'NXDOMAIN') this.exists = false;
    const ttlS = answer.negativeTtlS;
    const countedDown = ttlS !== undefined && ttlS < (answer.negativeMinimumS ?? ttlS);
    this.lastNegative = { rcode: answer.rcode, cached: countedDown };
    if (ttlS === undefined) {
      // Without an SOA no cache may keep the answer (RFC 2308): asking again costs nothing but a query.
      this.caching.state = 'no';
      return;
    }
    this.negativeTtlMs = (answer.negativeMinimumS ?? ttlS) * 1000;
    if (countedDown) this.caching.state = 'yes';
    else if (this.caching.state === 'unknown' && (this.freshAt.get(id)?.at ?? now) <= now - CACHE_TEST_AFTER_MS) this.caching.state = 'no';
    if (this.caching.state === 'no') return;
    if (countedDown) {
      this.blockedUntil.set(id, now + Math.max(0, ttlS * 1000 - COUNTED_DOWN_SLACK_MS));
    } else {
      // A fresh question spent (the cache test asks one already answered again): the spread counts from it.
      if (!plain && !this.freshAt.has(id)) this.lastProbeAt = now;
      this.freshAt.set(id, { key, at: now });
      this.blockedUntil.set(id, now + ttlS * 1000 + EXPIRY_MARGIN_MS);
    }
  }
}
