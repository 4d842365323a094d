import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt } from '../integration/support.js';
import { runProcess } from '../support/process.js';
import { testScratchDir } from '../support/scratch.js';

const REPO = join(import.meta.dirname, '../..');
/** The shortest bench there is: start-up alone, five runs; a test's bound is the run's and then some. */
const BENCH_MS = 120_000;
const bench = (out: string) => runProcess([process.execPath, '--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'startup', '--out', out], { HOME: process.env.HOME ?? '/root' }, { cwd: REPO, timeoutMs: BENCH_MS });

describe('npm run bench -- --out', () => {
  beforeAll(() => assertBuilt());

  test('takes a folder, and writes results.json into it', { timeout: BENCH_MS + 30_000 }, async () => {
    const dir = testScratchDir('rollcall-bench-out-');
    const { code, stderr } = await bench(dir);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toMatchObject({ quick: true });
  });

  test('refuses a path whose folder does not exist before measuring anything', { timeout: BENCH_MS + 30_000 }, async () => {
    const { code, stdout, stderr } = await bench('/nonexistent-rollcall/results.json');
    expect(code).not.toBe(0);
    expect(stderr).toContain('--out /nonexistent-rollcall/results.json: its folder /nonexistent-rollcall does not exist');
    expect(stdout).not.toContain('Measured on');
    expect(existsSync('/nonexistent-rollcall')).toBe(false);
  });
});
