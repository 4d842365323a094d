import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { describeWith } from '../../harness/requirements.js';
import { runProcess } from '../support/process.js';
import { assertBuilt } from './support.js';

const run = promisify(execFile);
const TRAIN = join(import.meta.dirname, 'fixtures/train.py');

/**
 * An empty network namespace: loopback only, no resolver that knows the replicas' names (its
 * resolv.conf is the host's, which must not be asked, and nothing else is there). Named as the harness
 * names its namespaces, so that a sweep by a concurrent run knows this process still owns it.
 */
async function inEmptyNamespace<T>(body: (prefix: string[]) => Promise<T>): Promise<T> {
  const name = `rcl-${process.pid.toString(36)}-local`;
  await run('ip', ['netns', 'add', name]);
  try {
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return await body(['ip', 'netns', 'exec', name]);
  } finally {
    await run('ip', ['netns', 'del', name]).catch(() => {});
  }
}

describeWith(['root', 'ip', 'torch'], 'rollcall local runs a real framework: PyTorch (gloo), 3 replicas, in an empty network namespace', () => {
  beforeAll(assertBuilt);

  test('every rank connects to MASTER_ADDR and all-reduces the right sum', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await inEmptyNamespace((prefix) =>
      runProcess([...prefix, process.execPath, ROLLCALL, 'local', '-n', '3', '--', '/usr/bin/python3', TRAIN], {}, { timeoutMs: 150_000 }),
    );
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    // 1 + 2 + 3: each rank contributed its rank + 1.
    for (let rank = 0; rank < 3; rank++) expect(stdout).toContain(`[local-job-${rank}] rank ${rank} of 3 round 0 sum 6`);
  });
});
