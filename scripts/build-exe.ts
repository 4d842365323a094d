// Builds rollcall's single executables, dist/rollcall-linux-x64 and dist/rollcall-linux-arm64: the CLI
// bundled as CommonJS (what Node 22's single executables take) and injected into the registry's Node
// binaries; beside them the launcher that `rollcall install` also writes, and SHA256SUMS.
// With --if-possible (as `npm test` runs it), a machine without the strip tools builds nothing and says
// why, and stale executables are removed so that no test runs an old build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAUNCHER } from '../src/cli/launcher.js';
import { ARCHES, CACHE, NODE_VERSION, ROOT, isArch, registryNode, run, strippedNodePath, type Arch } from './executable-node.js';

const GNU_TRIPLE: Record<Arch, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
/** Where postject looks for the blob, and the fuse Node checks; both are Node's own constants. */
const SEA_RESOURCE = 'NODE_SEA_BLOB';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const DIST = join(ROOT, 'dist');

/** The registry's Node for `arch`, stripped: debug symbols are a fifth of it, and stripping after injection breaks the blob. */
function strippedNode(arch: Arch): string {
  const stripped = strippedNodePath(arch);
  if (existsSync(stripped)) return stripped;
  const partial = `${stripped}.partial`;
  copyFileSync(registryNode(arch), partial);
  run(stripTool(arch), [partial]);
  renameSync(partial, stripped);
  return stripped;
}

class MissingTool extends Error {}

function stripTool(arch: Arch): string {
  const candidates = [`${GNU_TRIPLE[arch]}-strip`, ...(arch === process.arch ? ['strip'] : []), 'llvm-strip'];
  const found = candidates.find((tool) => spawnSync(tool, ['--version']).status === 0);
  if (found === undefined) throw new MissingTool(`no strip for ${arch} (tried ${candidates.join(', ')}): apt-get install binutils binutils-aarch64-linux-gnu, or llvm`);
  return found;
}

/**
 * The blob is made by the very Node version it is injected into, run on this machine. Its code cache is
 * V8's compiled form of the bundle and fits only this machine's architecture; the other one parses the
 * bundle at start-up instead.
 */
function seaBlob(bundle: string, arch: Arch, hostNode: string): string {
  const useCodeCache = arch === process.arch;
  const config = join(CACHE, `sea-config-${arch}.json`);
  const output = join(CACHE, `sea-${arch}.blob`);
  writeFileSync(config, JSON.stringify({ main: bundle, output, disableExperimentalSEAWarning: true, useCodeCache }));
  run(hostNode, ['--experimental-sea-config', config]);
  return output;
}

async function main(): Promise<void> {
  if (!isArch(process.arch)) throw new MissingTool(`the executables are built on linux-x64 or linux-arm64, not ${process.platform}-${process.arch}`);
  for (const arch of ARCHES) stripTool(arch);
  for (const dir of [CACHE, DIST]) mkdirSync(dir, { recursive: true });
  const bundle = join(CACHE, 'rollcall.cjs');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${NODE_VERSION.split('.')[0]}`,
    // A CommonJS bundle has no import.meta; the executable's __filename is the executable itself.
    define: { 'import.meta.url': 'rollcallModuleUrl' },
    banner: { js: "const rollcallModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    external: ['net-ping'],
    logLevel: 'warning',
  });
  const hostNode = registryNode(process.arch as Arch);
  const sums: string[] = [];
  for (const arch of ARCHES) {
    const executable = join(DIST, `rollcall-linux-${arch}`);
    const partial = `${executable}.partial`;
    copyFileSync(strippedNode(arch), partial);
    // postject's own CLI, so that its parser's warnings about Node's notes stay out of the build's output.
    run(join(ROOT, 'node_modules/.bin/postject'), [partial, SEA_RESOURCE, seaBlob(bundle, arch, hostNode), '--sentinel-fuse', SEA_FUSE]);
    chmodSync(partial, 0o755);
    renameSync(partial, executable);
    sums.push(`${createHash('sha256').update(readFileSync(executable)).digest('hex')}  rollcall-linux-${arch}`);
    console.log(`${executable}: ${(statSync(executable).size / 1e6).toFixed(1)} MB`);
  }
  const launcher = join(DIST, 'rollcall-launcher.sh');
  writeFileSync(launcher, LAUNCHER, { mode: 0o755 });
  writeFileSync(join(DIST, 'SHA256SUMS'), `${sums.join('\n')}\n`);
}

try {
  await main();
} catch (error) {
  if (!(error instanceof MissingTool) || !process.argv.includes('--if-possible')) throw error;
  for (const arch of ARCHES) rmSync(join(DIST, `rollcall-linux-${arch}`), { force: true });
  console.error(`not building the single executables: ${error.message}`);
}
