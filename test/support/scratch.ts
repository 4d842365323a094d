import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

const make = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const remove = (dir: string) => () => rmSync(dir, { recursive: true, force: true });

/**
 * A directory of its own under TMPDIR for a test file or a describe block (call it there), removed after
 * their tests: a suite run again and again on one machine leaves nothing behind.
 */
export function scratchDir(prefix: string): string {
  const dir = make(prefix);
  afterAll(remove(dir));
  return dir;
}

/** The same for one test (call it in the test), removed once the test has finished. */
export function testScratchDir(prefix: string): string {
  const dir = make(prefix);
  onTestFinished(remove(dir));
  return dir;
}
