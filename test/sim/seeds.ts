import { expect } from 'vitest';
import { simulate } from './simulate.js';

/**
 * Runs `count` seeds from `first` and fails naming every seed that broke a property, with the command
 * that replays it and the first one's history.
 */
export async function expectSeedsHold(first: number, count: number): Promise<void> {
  const failures: string[] = [];
  let firstHistory = '';
  for (let seed = first; seed < first + count; seed++) {
    const result = await simulate({ seed });
    if (result.violations.length === 0) continue;
    if (failures.length === 0) firstHistory = result.history.render(200);
    failures.push(`seed ${seed} (npm run sim -- --seed ${seed} --history): ${result.violations.join('; ')}`);
  }
  expect(failures, `${failures.join('\n')}\n${firstHistory}`).toEqual([]);
}
