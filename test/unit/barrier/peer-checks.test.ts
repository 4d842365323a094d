import { Membership } from '../../../src/identity/membership.js';
import { describe, expect, test } from 'vitest';
import type { Dialer } from '../../../src/barrier/dialer.js';
import { PeerChecks } from '../../../src/barrier/peer-checks.js';
import { PeerNames } from '../../../src/barrier/peer-names.js';
import { Limiter } from '../../../src/discovery/limiter.js';
import type { NameResolver } from '../../../src/discovery/resolve.js';
import { AttemptError } from '../../../src/errors.js';
import { AbortFanout } from '../../../src/time/abort-fanout.js';
import type { Deadline } from '../../../src/time/deadline.js';
import { FakeClock } from '../../support/fake-clock.js';

const identity = { index: 0, membership: Membership.ofJob('job', 4), subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: 'job-0', podIps: ['10.0.0.1'] };
const settle = async () => {
  for (let turn = 0; turn < 20; turn++) await Promise.resolve();
};

function setUp(records: Record<string, string[]>, ownListener: () => Promise<unknown> = async () => {}) {
  const clock = new FakeClock();
  const asked: { name: string; speculative: boolean | undefined }[] = [];
  const marked: string[] = [];
  const resolver: NameResolver = {
    resolve: async (name, _signal, _timeoutMs, speculative) => {
      asked.push({ name, speculative });
      const addresses = records[name];
      if (addresses === undefined) throw new AttemptError('no-such-name', name);
      return addresses;
    },
    markExists: (name) => marked.push(name),
    close: () => {},
  };
  const probed: number[] = [];
  const dialer = { probe: async (index: number, addresses: string[]) => (probed.push(index), { address: addresses[0] as string, rttMs: 1 }) } as unknown as Dialer;
  const checks = new PeerChecks({
    self: 0,
    podIps: identity.podIps,
    names: new PeerNames(identity),
    resolver,
    dialer,
    probe: undefined,
    limiter: new Limiter(8),
    schedule: { minDelayMs: 100, maxDelayMs: 1000, attemptTimeoutMs: 2000 },
    clock,
    random: Math.random,
    speculatesAbout: (index) => index !== 0,
    ownListener,
  });
  return { clock, asked, marked, probed, checks };
}

const fqdn = (index: number) => `job-${index}.svc.ns.svc.cluster.local`;

/** Index 0's own check on fake time: its DNS answer takes `resolveTakesMs` of the clock. */
function setUpWithClock() {
  const clock = new FakeClock();
  const options = { resolveTakesMs: 0, onProbe: (_deadline: Deadline) => {} };
  const resolver: NameResolver = {
    resolve: async () => {
      clock.advance(options.resolveTakesMs);
      return ['10.0.0.1'];
    },
    markExists: () => {},
    close: () => {},
  };
  const dialer = { probe: async (_index: number, addresses: string[], _signal: AbortSignal, deadline: Deadline) => (options.onProbe(deadline), { address: addresses[0] as string, rttMs: 1 }) } as unknown as Dialer;
  const checks = new PeerChecks({ self: 0, podIps: [], names: new PeerNames(identity), resolver, dialer, probe: undefined, limiter: new Limiter(8), schedule: { minDelayMs: 100, maxDelayMs: 1000, attemptTimeoutMs: 2000 }, clock, random: Math.random, speculatesAbout: () => false, ownListener: async () => {} });
  return { clock, checks, options };
}

describe('PeerChecks', () => {
  test("a pod's own name must lead to its own address; then it is probed, and its result kept", async () => {
    const wrong = setUp({ [fqdn(0)]: ['10.0.0.9'] });
    const controller = new AbortController();
    const first = wrong.checks.run(0, controller.signal);
    await settle();
    expect(wrong.checks.own()[0]).toMatchObject({ passed: false, reason: 'not-this-pod', detail: '10.0.0.9 is not 10.0.0.1' });
    controller.abort(new Error('done'));
    await expect(first).rejects.toThrow('done');

    const right = setUp({ [fqdn(0)]: ['10.0.0.1'] });
    await expect(right.checks.run(0, new AbortController().signal)).resolves.toEqual({ addresses: ['10.0.0.1'], address: '10.0.0.1', rttMs: 1 });
    expect(right.probed).toEqual([0]);
    expect(right.asked).toEqual([{ name: fqdn(0), speculative: false }]);
    expect(right.checks.result(0)?.address).toBe('10.0.0.1');
  });

  test("a pod dials itself only once its listener is up, and a listener that cannot be had ends its check with the listener's error", async () => {
    let listenerUp!: () => void;
    const listening = new Promise<void>((resolve) => (listenerUp = resolve));
    const waiting = setUp({ [fqdn(0)]: ['10.0.0.1'] }, () => listening);
    const own = waiting.checks.run(0, new AbortController().signal);
    await settle();
    expect(waiting.asked).toHaveLength(1);
    expect(waiting.probed).toEqual([]);
    listenerUp();
    await expect(own).resolves.toMatchObject({ address: '10.0.0.1' });
    expect(waiting.probed).toEqual([0]);

    const portTaken = new Error('port 7420 is taken');
    const failed = setUp({ [fqdn(0)]: ['10.0.0.1'] }, () => Promise.reject(portTaken));
    await expect(failed.checks.run(0, new AbortController().signal)).rejects.toBe(portTaken);
    expect(failed.probed).toEqual([]);
    expect(failed.asked).toHaveLength(1);
  });

  test("call-outs: index 0 checks absent members speculatively, says why they are missing, and stops once they join", async () => {
    const { asked, marked, checks } = setUp({});
    const fanout = new AbortFanout(new AbortController().signal);
    checks.present(3);
    checks.callOut([1, 2, 3], fanout);
    await settle();
    // Member 3 was already up: no call-out for it.
    expect(asked.map((question) => question.name)).toEqual([fqdn(1), fqdn(2)]);
    expect(asked.every((question) => question.speculative)).toBe(true);
    expect(checks.reasonFor(1)).toBe('no-such-name');
    expect(checks.reasonFor(3)).toBe('not-arrived');
    // Call-outs are index 0's business of saying why, not this pod's own checks.
    expect(checks.own()).toEqual([]);
    checks.seen(1);
    expect(marked).toEqual([fqdn(3), fqdn(1)]);
    await expect(checks.up(1)).resolves.toBeUndefined();
    checks.stopCallouts();
  });

  test('news of a peer cuts its wait short: a kick retries at once, not at the backoff', async () => {
    const records: Record<string, string[]> = {};
    const { clock, asked, checks } = setUp(records);
    const running = checks.run(2, new AbortController().signal);
    await settle();
    expect(asked).toHaveLength(1);
    records[fqdn(2)] = ['10.0.0.3'];
    checks.present(2);
    await settle();
    clock.advance(0);
    await expect(running).resolves.toMatchObject({ addresses: ['10.0.0.3'] });
    expect(asked).toHaveLength(2);
  });

  test("resolving and dialing share the attempt's one deadline: the dial gets what the DNS left", async () => {
    const { clock, checks, options } = setUpWithClock();
    const left: number[] = [];
    options.resolveTakesMs = 700;
    options.onProbe = (deadline) => left.push(deadline.remainingMs);
    await checks.run(0, new AbortController().signal);
    expect(left).toEqual([2000 - 700]);
    expect(clock.now()).toBe(700);
  });

  test('a peer awaiting news says so until it is checked', () => {
    const { checks } = setUp({});
    checks.awaitNews(2);
    expect(checks.own()).toMatchObject([{ index: 2, reason: 'not-arrived', passed: false }]);
  });
});
