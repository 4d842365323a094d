// `npm run sim -- --seeds N [--pods K] [--seed S] [--history]`: runs N seeds of the simulated group (from
// S, 1 by default), every role real, on fake time, each seed's faults injected, and checks the protocol's
// properties after each; a failing seed prints the one-line command that replays it and what happened.
import { parseArgs } from 'node:util';
import { simulate } from '../test/sim/simulate.js';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, pods: { type: 'string' }, seed: { type: 'string' }, history: { type: 'boolean' } } });
const first = values.seed === undefined ? 1 : Number(values.seed);
const count = values.seeds === undefined ? 1 : Number(values.seeds);
const pods = values.pods === undefined ? undefined : Number(values.pods);
for (const [name, value] of [['--seeds', count], ['--seed', first], ['--pods', pods ?? 2]] as const) {
  if (!Number.isSafeInteger(value) || value < (name === '--pods' ? 2 : 1)) throw new TypeError(`${name} takes a whole number${name === '--pods' ? ' from 2' : ''}, got ${String(value)}`);
}

const startedAt = performance.now();
let failed = 0;
let simulatedMs = 0;
for (let seed = first; seed < first + count; seed++) {
  const result = await simulate({ seed, ...(pods === undefined ? {} : { pods }) });
  simulatedMs += result.endedAt;
  if (result.violations.length === 0 && values.history !== true) continue;
  if (result.violations.length > 0) failed += 1;
  const { settings, faults } = result.scenario;
  process.stdout.write(`seed ${seed}: ${settings.size} pods, ${settings.restarts} restarts, session timeout ${settings.sessionTimeoutMs} ms, faults ${JSON.stringify(faults)}\n`);
  for (const violation of result.violations) process.stdout.write(`  ${violation}\n`);
  process.stdout.write(`  replay: npm run sim -- --seed ${seed}${pods === undefined ? '' : ` --pods ${pods}`} --history\n`);
  if (values.history === true) process.stdout.write(`${result.history.render(Number.POSITIVE_INFINITY)}\n`);
}
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
process.stdout.write(`${count - failed} of ${count} seeds held every property (${(simulatedMs / 3_600_000).toFixed(1)} simulated hours in ${seconds} s)\n`);
process.exitCode = failed === 0 ? 0 : 1;
