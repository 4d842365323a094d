import { describe, expect, test } from 'vitest';
import { targetIndex } from '../../../src/launch/launch-target.js';

describe('the index a host word means', () => {
  const peers = [0, 1, 10].map((index) => ({ index, name: `job-${index}.svc`, fqdn: `job-${index}.svc.ns.svc.cluster.local`, addresses: [`10.0.0.${index + 1}`] }));
  const withIndexes = peers.map((peer, position) => ({ ...peer, index: position }));

  test('an index, the pod name, the hostfile name, any longer form up to the FQDN, an address; any case, a trailing dot', () => {
    for (const host of ['1', 'job-1', 'job-1.svc', 'job-1.svc.ns', 'job-1.svc.ns.svc.cluster.local', 'JOB-1.SVC', 'job-1.svc.ns.svc.cluster.local.', '10.0.0.2']) {
      expect(targetIndex(host, withIndexes), host).toBe(1);
    }
  });

  test('an index of more than one digit', () => {
    const many = Array.from({ length: 13 }, (_, index) => ({ index, name: `job-${index}.svc`, fqdn: undefined, addresses: [] }));
    expect(targetIndex('12', many)).toBe(12);
    expect(targetIndex('13', many)).toBeUndefined();
  });

  test('no match across a label boundary or a longer index; an index past the group; a stranger', () => {
    for (const host of ['job-1.sv', 'job-1.svc.n', 'job', 'job-', 'svc', '3', 'other-1', '10.0.0.9', 'job-1x']) expect(targetIndex(host, withIndexes), host).toBeUndefined();
    expect(targetIndex('job-10', withIndexes)).toBe(2);
  });

  test('without an FQDN (namespace unknown) the short name is the longest form', () => {
    expect(targetIndex('job-1.svc', [{ index: 0, name: 'job-1.svc', fqdn: undefined, addresses: [] }])).toBe(0);
    expect(targetIndex('job-1.svc.ns', [{ index: 0, name: 'job-1.svc', fqdn: undefined, addresses: [] }])).toBeUndefined();
  });
});
