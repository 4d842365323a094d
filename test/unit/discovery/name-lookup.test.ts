import { describe, expect, test } from 'vitest';
import { NameLookup, plainKeys, probeKeys, type NegativeCaching } from '../../../src/discovery/name-lookup.js';
import type { DnsAnswer, QueryKey } from '../../../src/discovery/dns-client.js';

const nx = (ttlS: number, minimumS = ttlS): DnsAnswer => ({ rcode: 'NXDOMAIN', addresses: [], negativeTtlS: ttlS, negativeMinimumS: minimumS });
const noData = (ttlS: number): DnsAnswer => ({ rcode: 'NOERROR', addresses: [], negativeTtlS: ttlS, negativeMinimumS: ttlS });
const found = (address: string): DnsAnswer => ({ rcode: 'NOERROR', addresses: [address], negativeTtlS: undefined, negativeMinimumS: undefined });
const nxWithoutSoa: DnsAnswer = { rcode: 'NXDOMAIN', addresses: [], negativeTtlS: undefined, negativeMinimumS: undefined };

function lookup(state: NegativeCaching['state'] = 'unknown', families: (4 | 6)[] = [4]) {
  const caching: NegativeCaching = { state };
  return { caching, lookup: new NameLookup(families, caching) };
}

const isPlain = (key: QueryKey) => !key.dnssecOk && !key.checkingDisabled;

describe('the questions', () => {
  test('probe questions never include the plain ones a workload asks, and the speculative one is kept apart', () => {
    const probes = probeKeys([4]);
    expect(probes).toHaveLength(5);
    expect(probes.some(isPlain)).toBe(false);
    expect(probes[0]).toEqual({ type: 'A', dnssecOk: true, checkingDisabled: false });
    const speculative = probeKeys([4], true);
    expect(speculative).toHaveLength(1);
    expect(probes).not.toContainEqual(speculative[0]);
    expect(plainKeys([4, 6])).toEqual([
      { type: 'A', dnssecOk: false, checkingDisabled: false },
      { type: 'AAAA', dnssecOk: false, checkingDisabled: false },
    ]);
    expect(probeKeys([6])[0]?.type).toBe('AAAA');
  });
});

describe('a name that may not exist yet', () => {
  test('is asked with a probe question first, and plainly only once a probe shows it exists', () => {
    const { lookup: name } = lookup();
    const first = name.next(0);
    expect(first).toMatchObject({ ask: 'probe' });
    name.learn((first as { key: QueryKey }).key, noData(5), 10);
    expect(name.known).toBe(true);
    expect(name.next(10)).toEqual({ ask: 'plain' });
  });

  test('a fresh "no such name" blocks that question for the SOA TTL, and the next ones are spread over it', () => {
    const { lookup: name } = lookup('yes');
    const first = name.next(0) as { key: QueryKey };
    name.learn(first.key, nx(5), 0);
    // Five questions over a 5 s TTL: a second apart.
    expect(name.next(100)).toEqual({ waitMs: 900 });
    const second = name.next(1000) as { key: QueryKey };
    expect(second.key).not.toEqual(first.key);
    name.learn(second.key, nx(5), 1000);
    expect(name.next(1000)).toEqual({ waitMs: 1000 });
  });

  test('with every question spent, it waits until the first cache entry runs out, and asks that one again', () => {
    const { lookup: name } = lookup('yes');
    const keys = probeKeys([4]);
    keys.forEach((key, position) => name.learn(key, nx(5), position * 1000));
    expect(name.next(4000)).toEqual({ waitMs: 1050 });
    expect(name.next(5050)).toEqual({ ask: 'probe', key: keys[0] });
  });

  test('an answer counted down by a cache blocks the question only for what is left, and spends nothing', () => {
    const { caching, lookup: name } = lookup();
    const [first, second] = probeKeys([4]) as [QueryKey, QueryKey];
    name.learn(first, nx(3, 5), 0);
    expect(caching.state).toBe('yes');
    // Not spread: a cached answer planted no new entry; the next question may go at once.
    expect(name.next(0)).toEqual({ ask: 'probe', key: second });
    for (const key of probeKeys([4]).slice(1)) name.learn(key, nx(5), 0);
    // 3 s left, less half a second of slack for whole-second counting; the fresh ones block for 5 s.
    expect(name.next(2400)).toEqual({ waitMs: 100 });
    expect(name.next(2500)).toEqual({ ask: 'probe', key: first });
  });
});

describe('finding out whether a cache keeps negative answers', () => {
  test('the same question a second later, fresh again, means no cache: then only plain questions, at the backoff', () => {
    const { caching, lookup: name } = lookup();
    const first = name.next(0) as { key: QueryKey };
    name.learn(first.key, nx(5), 0);
    expect(name.next(500)).toEqual({ waitMs: 500 });
    const test = name.next(1000);
    expect(test).toEqual({ ask: 'probe', key: first.key });
    name.learn(first.key, nx(5), 1000);
    expect(caching.state).toBe('no');
    expect(name.next(1000)).toEqual({ ask: 'plain' });
    name.learn(plainKeys([4])[0] as QueryKey, nx(5), 1100);
    expect(name.next(1100)).toEqual({ ask: 'plain' });
  });

  test('counted down a second later, it is a cache', () => {
    const { caching, lookup: name } = lookup();
    const first = name.next(0) as { key: QueryKey };
    name.learn(first.key, nx(5), 0);
    name.learn(first.key, nx(4, 5), 1000);
    expect(caching.state).toBe('yes');
    expect(name.next(1000)).toMatchObject({ ask: 'probe' });
    expect((name.next(1000) as { key: QueryKey }).key).not.toEqual(first.key);
  });

  test('a negative answer without an SOA cannot be cached (RFC 2308): plain questions at once', () => {
    const { caching, lookup: name } = lookup();
    name.learn((name.next(0) as { key: QueryKey }).key, nxWithoutSoa, 0);
    expect(caching.state).toBe('no');
    expect(name.next(0)).toEqual({ ask: 'plain' });
  });
});

describe('a name known to exist', () => {
  test('is asked plainly at once when its pod said so, and a plain "no such name" (it went) sends it back to probes', () => {
    const { lookup: name } = lookup('yes');
    name.markExists();
    expect(name.next(0)).toEqual({ ask: 'plain' });
    name.learn(plainKeys([4])[0] as QueryKey, found('10.0.0.1'), 0);
    expect(name.next(0)).toEqual({ ask: 'plain' });
    name.learn(plainKeys([4])[0] as QueryKey, nx(5), 100);
    expect(name.known).toBe(false);
    expect(name.lastAnswer).toEqual({ rcode: 'NXDOMAIN', cached: false });
    expect(name.next(100)).toMatchObject({ ask: 'probe' });
  });
});

test('a nameserver that rejects the probe questions themselves leaves only the plain one', () => {
  const { caching, lookup: name } = lookup();
  expect(name.next(0)).toMatchObject({ ask: 'probe' });
  name.probesUnsupported();
  expect(caching.state).toBe('no');
  expect(name.next(0)).toEqual({ ask: 'plain' });
});

test('the spread follows the TTL: a fifth of it, but never more than a second', () => {
  for (const [ttlS, gapMs] of [
    [2, 400],
    [30, 1000],
  ] as const) {
    const { lookup: name } = lookup('yes');
    name.learn((name.next(0) as { key: QueryKey }).key, nx(ttlS), 0);
    expect(name.next(100), `TTL ${ttlS} s`).toEqual({ waitMs: gapMs - 100 });
  }
});

test('a plain question answered "no data" (the name exists, not its address yet) is asked again only when the cache lets it go', () => {
  const { lookup: name } = lookup('yes');
  name.markExists();
  name.learn(plainKeys([4])[0] as QueryKey, noData(5), 0);
  expect(name.known).toBe(true);
  expect(name.next(100)).toEqual({ waitMs: 4950 });
  expect(name.next(5050)).toEqual({ ask: 'plain' });
});

test('while it is unknown whether there is a cache, the wait ends at the cache test when that comes first', () => {
  const { lookup: name } = lookup();
  const keys = probeKeys([4]);
  // Every probe question spent at once (the server answered fresh each time): the test is due at 1 s, long before any runs out.
  keys.forEach((key) => name.learn(key, nx(5), 0));
  expect(name.next(200)).toEqual({ waitMs: 800 });
});
