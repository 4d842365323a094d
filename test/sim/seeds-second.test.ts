import { test } from 'vitest';
import { expectSeedsHold } from './seeds.js';

test('seeds 1,001 to 2,000: groups of 2 to 64 pods, faults as each seed draws them, every property holds', () => expectSeedsHold(1001, 1000));
