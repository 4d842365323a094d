// `npm run sim -- --seeds N [--pods K] [--seed S] [--history] [--jobs J]`: runs N seeds of the simulated
// group (from S, 1 by default), every role real, on fake time, each seed's faults injected, and checks the
// protocol's properties after each; a failing seed prints the one-line command that replays it and what
// happened. `--jobs J` splits the seeds over J processes at a time (one per core: the long runs), each
// process running at most SEEDS_PER_PROCESS of them.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simulate } from '../test/sim/simulate.js';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, pods: { type: 'string' }, seed: { type: 'string' }, history: { type: 'boolean' }, jobs: { type: 'string' }, part: { type: 'boolean' } } });
const first = values.seed === undefined ? 1 : Number(values.seed);
const count = values.seeds === undefined ? 1 : Number(values.seeds);
const pods = values.pods === undefined ? undefined : Number(values.pods);
const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
for (const [name, value] of [['--seeds', count], ['--seed', first], ['--pods', pods ?? 2], ['--jobs', jobs]] as const) {
  if (!Number.isSafeInteger(value) || value < (name === '--pods' ? 2 : 1)) throw new TypeError(`${name} takes a whole number${name === '--pods' ? ' from 2' : ''}, got ${String(value)}`);
}

/**
 * A killed pod's process is gone, but in the simulator its objects stay reachable: a signal made by
 * `AbortSignal.any` that has listeners and never aborts is held by Node for as long as its sources live,
 * so each kill keeps its pod (about 180 KB a seed with kills). A fresh process every this many seeds keeps
 * a long run's memory bounded.
 */
const SEEDS_PER_PROCESS = 5000;

/** What a run of seeds came to: a part's, told to the parent as one JSON line, or the whole run's. */
interface Tally {
  failed: number;
  simulatedMs: number;
}

const startedAt = performance.now();
const tally = values.part === true || (jobs === 1 && count <= SEEDS_PER_PROCESS) ? await runSeeds(first, count) : await runParts();
const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
if (values.part === true) process.stdout.write(`${JSON.stringify(tally)}\n`);
else process.stdout.write(`${count - tally.failed} of ${count} seeds held every property (${(tally.simulatedMs / 3_600_000).toFixed(1)} simulated hours in ${seconds} s${jobs === 1 ? '' : `, ${jobs} processes at a time`})\n`);
process.exitCode = tally.failed === 0 ? 0 : 1;

async function runSeeds(from: number, seeds: number): Promise<Tally> {
  const tally: Tally = { failed: 0, simulatedMs: 0 };
  for (let seed = from; seed < from + seeds; seed++) {
    const result = await simulate({ seed, ...(pods === undefined ? {} : { pods }) });
    tally.simulatedMs += result.endedAt;
    if (result.violations.length === 0 && values.history !== true) continue;
    if (result.violations.length > 0) tally.failed += 1;
    const { settings, faults } = result.scenario;
    process.stdout.write(`seed ${seed}: ${settings.size} pods, ${settings.restarts} restarts, session timeout ${settings.sessionTimeoutMs} ms, faults ${JSON.stringify(faults)}\n`);
    for (const violation of result.violations) process.stdout.write(`  ${violation}\n`);
    process.stdout.write(`  replay: npm run sim -- --seed ${seed}${pods === undefined ? '' : ` --pods ${pods}`} --history\n`);
    if (values.history === true) process.stdout.write(`${result.history.render(Number.POSITIVE_INFINITY)}\n`);
  }
  return tally;
}

/** Chunks of contiguous seeds, each in a process of its own, `jobs` at a time; failing seeds print as they come, tallies add up. */
async function runParts(): Promise<Tally> {
  const size = Math.min(SEEDS_PER_PROCESS, Math.ceil(count / jobs));
  const chunks = Array.from({ length: Math.ceil(count / size) }, (_, chunk) => ({ from: first + chunk * size, seeds: Math.min(size, count - chunk * size) }));
  const total: Tally = { failed: 0, simulatedMs: 0 };
  const worker = async () => {
    for (let chunk = chunks.shift(); chunk !== undefined; chunk = chunks.shift()) {
      const tally = await runPart(chunk.from, chunk.seeds);
      total.failed += tally.failed;
      total.simulatedMs += tally.simulatedMs;
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return total;
}

function runPart(from: number, seeds: number): Promise<Tally> {
  return new Promise<Tally>((resolve, reject) => {
    const args = ['--seeds', String(seeds), '--seed', String(from), '--part', ...(pods === undefined ? [] : ['--pods', String(pods)]), ...(values.history === true ? ['--history'] : [])];
    const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    let tally: Tally | undefined;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('{')) tally = JSON.parse(line) as Tally;
        else process.stdout.write(`${line}\n`);
      }
    });
    child.once('close', (code) => (tally === undefined ? reject(new Error(`seeds ${from} to ${from + seeds - 1}: the process exited ${String(code)} without its tally`)) : resolve(tally)));
  });
}
