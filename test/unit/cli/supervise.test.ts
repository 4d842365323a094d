import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Group, OutcomeReport } from '../../../src/barrier/group.js';
import { PEER_FAILED_EXIT, superviseRounds } from '../../../src/cli/supervise.js';
import { Logger } from '../../../src/cli/logger.js';
import { runWorkload } from '../../../src/cli/workload.js';
import { PeerFailedError } from '../../../src/errors.js';

/**
 * A group of which only the lifecycle is played: the test decides the verdict a report brings. The
 * workloads are real processes.
 */
function fakeGroup(index: number, verdict: (reported: { exitCode: number | null }) => PeerFailedError | undefined): Group & { reports: unknown[] } {
  const controller = new AbortController();
  const reports: unknown[] = [];
  return {
    index,
    round: 0,
    get signal() {
      return controller.signal;
    },
    reports,
    report: (outcome: OutcomeReport = {}) => {
      reports.push(outcome);
      const error = verdict({ exitCode: outcome.exitCode ?? null });
      if (error !== undefined) controller.abort(error);
    },
    exitBarrier: async () => true,
    nextRound: async () => {
      throw controller.signal.reason;
    },
  } as unknown as Group & { reports: unknown[] };
}

const failure = (index: number) => new PeerFailedError({ index, name: `job-${index}.svc`, how: 'exit', exitCode: 3, signal: null, afterMs: 10 }, 0, undefined);

describe('the exit code a pod leaves with', () => {
  const run = (group: Group, script: string) => {
    const stream = new PassThrough();
    const logged: string[] = [];
    stream.on('data', (chunk) => logged.push(String(chunk)));
    const logger = new Logger('text', stream as unknown as NodeJS.WriteStream);
    const runRound = (_round: number, stop: AbortSignal) => runWorkload(['sh', '-c', script], { env: process.env, stop, graceMs: 1000, logger });
    return superviseRounds(group, { describe: `running ${script}`, runRound, logger, onGroupFailed: () => {} }).then((code) => ({ code, log: logged.join('') }));
  };

  test('the first failure keeps its workload\'s own code', async () => {
    const group = fakeGroup(1, () => failure(1));
    expect((await run(group, 'exit 3')).code).toBe(3);
  });

  test('a workload that failed after another pod\'s failure (a consequence) exits 75, and says so', async () => {
    const group = fakeGroup(2, () => failure(1));
    const { code, log } = await run(group, 'exit 4');
    expect(code).toBe(PEER_FAILED_EXIT);
    expect(log).toContain('this workload ended with 4 after job-1.svc had failed: exiting 75');
  });

  test('success with everyone finished exits 0', async () => {
    const group = fakeGroup(0, () => undefined);
    expect((await run(group, 'exit 0')).code).toBe(0);
    expect(group.reports).toEqual([expect.objectContaining({ exitCode: 0, signal: null })]);
  });
});
