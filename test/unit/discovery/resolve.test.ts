import { expect, test } from 'vitest';
import { caresCachesAnswers } from '../../../src/discovery/resolve.js';

test.each([
  ['v20.19.0', true],
  ['v20.19.4', true],
  ['v20.19.5', false],
  ['v20.20.2', false],
  ['v22.13.1', false],
  ['v22.14.0', true],
  ['v22.16.0', true],
  ['v22.17.0', false],
  ['v22.23.3', false],
  ['v24.0.0', true],
  ['v24.1.0', true],
  ['v24.2.0', false],
  ['v25.1.0', false],
])('Node %s caches DNS answers in-process: %s', (version, caches) => {
  expect(caresCachesAnswers(version)).toBe(caches);
});
