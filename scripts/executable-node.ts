// The Node the single executables carry, fetched from the npm registry and checked against its pinned
// bytes: build:exe injects into it, the start-up benchmark measures against it, and `npm run mutation`
// runs StrykerJS (which needs Node 22) on it when this machine's Node is older.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Node 22 is the newest line whose single executables take a CommonJS entry as ours is, and is in LTS. */
export const NODE_VERSION = '22.23.3';
/** The registry's tarballs, pinned to their bytes. */
const NODE_INTEGRITY = {
  x64: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
  arm64: 'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
} as const;
export type Arch = keyof typeof NODE_INTEGRITY;
export const ARCHES = Object.keys(NODE_INTEGRITY) as Arch[];
export const ROOT = resolve(import.meta.dirname, '..');
export const CACHE = join(ROOT, 'node_modules/.cache/rollcall-exe');

export function isArch(arch: string): arch is Arch {
  return arch in NODE_INTEGRITY;
}

export function run(command: string, args: string[], cwd = ROOT): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`);
  return result.stdout;
}

const nodeDir = (arch: Arch) => join(CACHE, `node-v${NODE_VERSION}-linux-${arch}`);

/** The registry's Node binary for `arch` as published, fetched once. */
export function registryNode(arch: Arch): string {
  const dir = nodeDir(arch);
  const node = join(dir, 'bin/node');
  if (existsSync(node)) return node;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [packed] = JSON.parse(run('npm', ['pack', `node-linux-${arch}@${NODE_VERSION}`, '--json', '--pack-destination', dir])) as { filename: string }[];
  const tarball = join(dir, packed?.filename ?? '');
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  if (integrity !== NODE_INTEGRITY[arch]) throw new Error(`${tarball} is not the pinned node-linux-${arch}@${NODE_VERSION} (integrity ${integrity})`);
  run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', 'package/bin/node']);
  rmSync(tarball);
  return node;
}

/** Where build:exe keeps the stripped copy it injects into. */
export function strippedNodePath(arch: Arch): string {
  return join(nodeDir(arch), 'node-stripped');
}
