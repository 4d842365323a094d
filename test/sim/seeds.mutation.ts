import { expect, test } from 'vitest';
import { simulate } from './simulate.js';

// What `npm run mutation` runs of the simulator against each mutant of the roles (vitest.mutation.config.ts):
// a test a seed, so that StrykerJS runs only the seeds that reach a mutant and stops at the first that
// breaks a property, and small groups (2 to 6 pods), whose faults hit index 0, rounds and stalls as often as
// a big group's do, at a tenth of the cost: 200 seeds in about 2 s.
const SEEDS = Array.from({ length: 200 }, (_, offset) => offset + 1);

test.each(SEEDS)('seed %i of a group of 2 to 6 pods: every property holds', async (seed) => {
  const result = await simulate({ seed, pods: 2 + (seed % 5) });
  expect(result.violations, `npm run sim -- --seed ${seed} --pods ${2 + (seed % 5)} --history`).toEqual([]);
});
