// `npm run mutation`: StrykerJS over the roles' state machines, the wire format, authentication, options
// and identity (stryker.config.json), against the tests vitest.mutation.config.ts names. StrykerJS 10
// needs Node 22: on an older Node it runs on the registry's Node 22 that build:exe uses too.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, isArch, registryNode } from './executable-node.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22 && !isArch(process.arch)) throw new Error(`StrykerJS needs Node 22 or later; this is ${process.version} on ${process.arch}`);
const node = major >= 22 || !isArch(process.arch) ? process.execPath : registryNode(process.arch);
const result = spawnSync(node, [join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
process.exit(result.status ?? 1);
