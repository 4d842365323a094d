import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { Membership, parseGroupParts, placesInHostname } from '../../../src/identity/membership.js';

describe('a group of one Job', () => {
  test('ranks are completion indexes, hostnames <job>-<i>, and no part', () => {
    const job = Membership.ofJob('train', 3);
    expect(job.size).toBe(3);
    expect([0, 1, 2].map((rank) => job.hostname(rank))).toEqual(['train-0', 'train-1', 'train-2']);
    expect(job.part(1)).toBeUndefined();
    expect(job.describe()).toBe('train');
  });
});

describe('a group across the Jobs of a JobSet', () => {
  const group = Membership.ofParts('sweep', parseGroupParts('ROLLCALL_GROUP', 'driver:1,workers:2x3'));

  test('ranks go part by part in the order given, then Job by Job, then by completion index', () => {
    expect(group.size).toBe(7);
    expect(Array.from({ length: 7 }, (_, rank) => group.hostname(rank))).toEqual([
      'sweep-driver-0-0',
      'sweep-workers-0-0',
      'sweep-workers-0-1',
      'sweep-workers-0-2',
      'sweep-workers-1-0',
      'sweep-workers-1-1',
      'sweep-workers-1-2',
    ]);
    expect(group.part(0)).toEqual({ name: 'driver', index: 0 });
    expect(group.part(5)).toEqual({ name: 'workers', index: 4 });
    expect(group.describe()).toBe('sweep (driver 1 + workers 2×3)');
  });

  test('every rank is found again from its own hostname, and no two ranks share one', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ jobs: fc.integer({ min: 1, max: 4 }), completions: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 4 }), (shapes) => {
        const parts = shapes.map((shape, at) => ({ name: `p${at}`, ...shape }));
        const members = Membership.ofParts('js', parts);
        const hostnames = new Set<string>();
        for (let rank = 0; rank < members.size; rank++) {
          const hostname = members.hostname(rank);
          hostnames.add(hostname);
          const [place] = placesInHostname(hostname, parts);
          expect(place).toBeDefined();
          expect(members.rankOf(place!.part, place!.job, place!.pod)).toBe(rank);
        }
        expect(hostnames.size).toBe(members.size);
      }),
    );
  });

  test('a JobSet whose name holds a part\'s name reads two ways until the JobSet is named', () => {
    const parts = parseGroupParts('ROLLCALL_GROUP', 'workers:2,b-workers:2');
    expect(placesInHostname('a-b-workers-0-1', parts).map((place) => `${place.group}/${place.part.name}`).sort()).toEqual(['a-b/workers', 'a/b-workers']);
    expect(placesInHostname('a-b-workers-0-1', parts, 'a').map((place) => place.part.name)).toEqual(['b-workers']);
  });
});

describe('ROLLCALL_GROUP that cannot be a group is refused, saying why', () => {
  const refused = (value: string, why: RegExp) => {
    expect(() => parseGroupParts('ROLLCALL_GROUP', value)).toThrowError(expect.objectContaining({ variable: 'ROLLCALL_GROUP', message: expect.stringMatching(why) }));
    expect(() => parseGroupParts('ROLLCALL_GROUP', value)).toThrowError(ConfigError);
  };
  test.each([
    ['driver', /part "driver" that is not name:pods/],
    ['driver:1,,workers:4', /part "" that is not/],
    ['driver:0', /gives part "driver" no pods/],
    ['workers:0x4', /gives part "workers" no pods/],
    ['driver:1,driver:2', /names the part "driver" twice/],
    ['Driver:1', /DNS-1123/],
    ['workers:2x50001', /group of 100,002 pods, above 100,000/],
  ])('%s', (value, why) => refused(value, why));

  test('spaces around the separators are fine, and × works as x', () => {
    expect(parseGroupParts('ROLLCALL_GROUP', ' driver : 1 , workers: 2 × 4')).toEqual([
      { name: 'driver', jobs: 1, completions: 1 },
      { name: 'workers', jobs: 2, completions: 4 },
    ]);
  });
});
