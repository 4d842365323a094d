import { Membership } from '../../../src/identity/membership.js';
import { describe, expect, test } from 'vitest';
import { PeerNames } from '../../../src/barrier/peer-names.js';
import { Coordinator } from '../../../src/barrier/coordinator.js';
import { Member } from '../../../src/barrier/member.js';
import { FakeClock } from '../../support/fake-clock.js';

const identity = { index: 1, membership: Membership.ofJob('job', 3), subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: 'job-1', podIps: [] };

describe('PeerNames', () => {
  test('with namespace and domain known, names are asked as absolute FQDNs', () => {
    const names = new PeerNames(identity);
    expect(names.short(2)).toBe('job-2.svc');
    expect(names.fqdn(2)).toBe('job-2.svc.ns.svc.cluster.local');
    expect(names.lookup(2)).toBe('job-2.svc.ns.svc.cluster.local');
    expect(names.absolute).toBe(true);
  });

  test.each([{ namespace: undefined }, { clusterDomain: undefined }])('without either (%j), the short name goes to the system resolver', (missing) => {
    const names = new PeerNames({ ...identity, ...missing });
    expect(names.fqdn(0)).toBeUndefined();
    expect(names.lookup(0)).toBe('job-0.svc');
    expect(names.absolute).toBe(false);
  });

  test('an index outside the group has no name but its number', () => {
    const names = new PeerNames(identity);
    expect(names.short(7)).toBe('7');
    expect(names.fqdn(7)).toBeUndefined();
  });
});

describe('what differs between index 0 and a member is the role', () => {
  const coordinator = (topology: 'star' | 'mesh') =>
    new Coordinator({ size: 4, min: 4, lastCallMs: 0, topology, sessionTimeoutMs: 10_000, progressIntervalMs: 500, reasonFor: () => 'not-arrived', onSeen: () => {}, restarts: 0, fatalExitCodes: new Set(), stallTimeoutMs: 0, onStop: () => {}, onAllFinished: () => {}, clock: new FakeClock(), openDatagrams: () => ({ send: () => false, close: () => {} }) });

  test('index 0 asks for members speculatively, waits for no news, and in a star calls out to every member', async () => {
    const star = coordinator('star');
    expect([star.speculatesAbout(0), star.speculatesAbout(2)]).toEqual([false, true]);
    expect(star.waitsForNewsOf()).toBe(false);
    expect(star.callsOutTo()).toEqual([1, 2, 3]);
    const mesh = coordinator('mesh');
    expect(mesh.callsOutTo()).toEqual([]);
    await star.close(0);
    await mesh.close(0);
  });

  test('a member asks for nobody speculatively, calls out to nobody, and in a mesh waits for news of peers other than index 0', () => {
    const member = new Member({ connection: () => undefined as never, sessionTimeoutMs: 10_000, openDatagramEar: async () => undefined, onSeen: () => {}, onStop: () => {}, onDone: () => {}, onCoordinatorLost: () => {}, verdict: () => undefined, clock: new FakeClock() });
    expect(member.speculatesAbout()).toBe(false);
    expect(member.callsOutTo()).toEqual([]);
    expect([member.waitsForNewsOf(0), member.waitsForNewsOf(2)]).toEqual([false, true]);
  });
});
