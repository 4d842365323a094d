import { join } from 'node:path';

/** What `npm run build` and `npm run build:exe` make, as the tests and benchmarks run them. */
const REPO = join(import.meta.dirname, '..');
export const ROLLCALL = join(REPO, 'dist/rollcall.mjs');
export const EXECUTABLE = { x64: join(REPO, 'dist/rollcall-linux-x64'), arm64: join(REPO, 'dist/rollcall-linux-arm64') } as const;
