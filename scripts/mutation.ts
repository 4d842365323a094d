// `npm run mutation [-- --roles] [-- stryker flags]`: StrykerJS over the roles' state machines, the wire
// format, authentication, options and identity (stryker.config.json), against the tests
// vitest.mutation.config.ts names. `--roles` mutates only the roles the simulator runs together, and every
// one of them must score at least the config's `thresholds.break` on its own: StrykerJS breaks on the score
// of all files together, which a well-tested file can hold up for a poor one. StrykerJS 10 needs Node 22: on
// an older Node it runs on the registry's Node 22 that build:exe uses too.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, isArch, registryNode } from './executable-node.js';

/** The group's roles: fed frames and ticks, they decide who is there, which round, what verdict. */
const ROLES = ['src/barrier/coordinator.ts', 'src/barrier/member.ts', 'src/lifecycle/referee.ts', 'src/lifecycle/rounds.ts', 'src/lifecycle/stall-watch.ts', 'src/barrier/release-book.ts'];

interface Config {
  thresholds: { break: number };
  jsonReporter: { fileName: string };
}
interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 22 && !isArch(process.arch)) throw new Error(`StrykerJS needs Node 22 or later; this is ${process.version} on ${process.arch}`);
const node = major >= 22 || !isArch(process.arch) ? process.execPath : registryNode(process.arch);
const roles = process.argv.includes('--roles');
const flags = process.argv.slice(2).filter((flag) => flag !== '--roles');
const result = spawnSync(node, [join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', ...(roles ? ['--mutate', ROLES.join(',')] : []), ...flags], { stdio: 'inherit', cwd: ROOT });
process.exitCode = result.status ?? 1;
if (roles && process.exitCode === 0) {
  const config = JSON.parse(readFileSync(join(ROOT, 'stryker.config.json'), 'utf8')) as Config;
  const report = JSON.parse(readFileSync(join(ROOT, config.jsonReporter.fileName), 'utf8')) as Report;
  for (const file of ROLES) {
    const mutants = Object.entries(report.files).find(([name]) => join(ROOT, name) === join(ROOT, file))?.[1].mutants ?? [];
    const counted = mutants.filter(({ status }) => ['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(status));
    const killed = counted.filter(({ status }) => status === 'Killed' || status === 'Timeout').length;
    const score = counted.length === 0 ? 0 : (100 * killed) / counted.length;
    const verdict = score >= config.thresholds.break ? 'holds' : `is under the break (${config.thresholds.break}%)`;
    process.stderr.write(`${file}: ${score.toFixed(1)}% (${killed} of ${counted.length} mutants killed) ${verdict}\n`);
    if (score < config.thresholds.break) process.exitCode = 1;
  }
}
