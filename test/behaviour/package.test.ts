import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt } from '../integration/support.js';
import { runProcess } from '../support/process.js';
import { scratchDir } from '../support/scratch.js';

const REPO = join(import.meta.dirname, '../..');
interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * An empty project that depends on the tarball, with a lockfile pinning its dependencies to the
 * repository's own: `npm ci --offline` then takes them from the npm cache that installing this repository
 * filled, by their integrity, and asks no registry (tests send nothing beyond this machine).
 */
function writeEmptyProject(project: string, tarball: string, devDependencies: string[] = []): void {
  const repoLock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    dependencies: Record<string, string>;
    optionalDependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: object;
    devDependencies: Record<string, string>;
    engines: object;
  };
  const spec = `file:${tarball}`;
  const dev = Object.fromEntries(devDependencies.map((name) => [name, manifest.devDependencies[name] as string]));
  const packages: Record<string, object> = {
    '': { name: 'empty-project', version: '1.0.0', dependencies: { rollcall: spec }, devDependencies: dev },
    'node_modules/rollcall': {
      version: manifest.version,
      resolved: spec,
      license: manifest.license,
      dependencies: manifest.dependencies,
      optionalDependencies: manifest.optionalDependencies,
      peerDependencies: manifest.peerDependencies,
      peerDependenciesMeta: manifest.peerDependenciesMeta,
      bin: { rollcall: 'dist/rollcall.mjs' },
      engines: manifest.engines,
    },
  };
  const wanted = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.optionalDependencies), ...devDependencies];
  for (let name = wanted.pop(); name !== undefined; name = wanted.pop()) {
    const key = `node_modules/${name}`;
    const entry = repoLock.packages[key];
    if (packages[key] !== undefined || entry === undefined) continue;
    packages[key] = devDependencies.includes(name) ? { ...entry, dev: true } : entry;
    // A compiler's binary for this machine is an optional dependency of its own (TypeScript 7's).
    wanted.push(...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}));
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', type: 'module', private: true, dependencies: { rollcall: spec }, devDependencies: dev }));
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
}

/** Bounds of the steps, each a process of its own; a test's bound is the sum of its steps' and then some. */
const NPM_MS = 120_000;
const TSC_MS = 60_000;
const npm = (args: string[], cwd: string) => runProcess(['npm', ...args], { HOME: process.env.HOME ?? '/root' }, { cwd, timeoutMs: NPM_MS });

/**
 * The package is not on the registry yet; the README says to `npm pack` it and install the tarball. That
 * path is what this checks: what the tarball holds, and that an empty project can install and use it.
 */
describe('the npm package, packed and installed into an empty project', () => {
  const work = scratchDir('rollcall-pack-');
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    const packed = await npm(['pack', '--json', '--pack-destination', work], REPO);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    tarball = join(work, info.filename);
    files = info.files.map((file) => file.path);
  }, 150_000);

  test('holds the library, its types, the CLI, the README, the docs it links and the licence; no sources, tests or executables', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/rollcall.mjs', 'README.md', 'LICENSE', 'docs/configuration.md', 'docs/troubleshooting.md', 'package.json']) expect(files).toContain(file);
    expect(files.filter((file) => /^(src|test|harness|bench|scripts|examples)\//.test(file) || file.includes('rollcall-linux'))).toEqual([]);
  });

  test('installs into an empty project (from the npm cache, no registry) and is imported by its name, types and CLI included', { timeout: NPM_MS + 30_000 }, async () => {
    const project = join(work, 'project');
    mkdirSync(project);
    writeEmptyProject(project, tarball);
    const installed = await npm(['ci', '--offline', '--no-audit', '--no-fund', '--omit=optional'], project);
    expect(installed.code, installed.stderr).toBe(0);
    const imported = await runProcess([process.execPath, '--input-type=module', '-e', 'const { waitForPeers, readIdentity } = await import("rollcall"); console.log(typeof waitForPeers, typeof readIdentity)'], {}, { cwd: project });
    expect(imported.stdout.trim(), imported.stderr).toBe('function function');
    const cli = await runProcess([join(project, 'node_modules/.bin/rollcall'), '--version'], {}, { cwd: project });
    expect(cli.stdout, cli.stderr).toMatch(/^rollcall 0\.1\.0 /);
    const types = await runProcess(['test', '-f', join(project, 'node_modules/rollcall/dist/index.d.ts')]);
    expect(types.code).toBe(0);
  });

  test("its declarations stand alone: a TypeScript project type-checks against them with TypeScript 7 (npm's default, which includes no @types unasked) and 5", { timeout: NPM_MS + 2 * TSC_MS + 30_000 }, async () => {
    const project = join(work, 'typed');
    mkdirSync(project);
    writeEmptyProject(project, tarball, ['typescript', 'typescript-7', '@types/node']);
    // The compilers' binaries are optional dependencies, so optional ones stay; no install script runs
    // (the icmp probe's native module is not built: nothing here loads it).
    const installed = await npm(['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], project);
    expect(installed.code, installed.stderr).toBe(0);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true } }));
    writeFileSync(
      join(project, 'index.ts'),
      [
        "import { waitForPeers, PeerFailedError, type Group, type WaitForPeersOptions } from 'rollcall';",
        "const options: WaitForPeersOptions = { timeoutMs: 1000, onProgress: (progress) => console.log(progress.ready, progress.missing.map((peer) => peer.reason)) };",
        'const group: Group = await waitForPeers(options);',
        "group.signal.addEventListener('abort', () => console.log(group.signal.reason instanceof PeerFailedError));",
        'await group.close({ exitCode: 0 });',
        '',
      ].join('\n'),
    );
    for (const [compiler, version] of [['typescript-7', /^Version 7\./], ['typescript', /^Version 5\./]] as const) {
      const tsc = join(project, 'node_modules', compiler, 'bin/tsc');
      const said = await runProcess([process.execPath, tsc, '--version'], {}, { cwd: project });
      expect(said.stdout).toMatch(version);
      const checked = await runProcess([process.execPath, tsc, '-p', '.'], {}, { cwd: project, timeoutMs: TSC_MS });
      expect(checked.code, `${compiler}: ${checked.stdout}${checked.stderr}`).toBe(0);
    }
  });
});
