import { test } from 'vitest';
import { expectSeedsHold } from './seeds.js';

// Two files of a thousand seeds each, so that vitest runs them on both cores.
test('seeds 1 to 1,000: groups of 2 to 64 pods, faults as each seed draws them, every property holds', () => expectSeedsHold(1, 1000));
