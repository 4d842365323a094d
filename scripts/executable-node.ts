// Which Node the single executables carry, and where build:exe keeps it stripped: shared by the build
// and the start-up benchmark, which measures the executable against this very Node.
import { join, resolve } from 'node:path';

/** Node 22 is the newest line whose single executables take a CommonJS entry as ours is, and is in LTS. */
export const NODE_VERSION = '22.23.3';
export type Arch = 'x64' | 'arm64';
export const CACHE = join(resolve(import.meta.dirname, '..'), 'node_modules/.cache/rollcall-exe');

export function strippedNodePath(arch: Arch): string {
  return join(CACHE, `node-${NODE_VERSION}-linux-${arch}`, 'node');
}
