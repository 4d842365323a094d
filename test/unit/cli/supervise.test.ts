import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Group, OutcomeReport } from '../../../src/barrier/group.js';
import { PEER_FAILED_EXIT, STALLED_EXIT, superviseRounds } from '../../../src/cli/supervise.js';
import { Logger } from '../../../src/cli/logger.js';
import { runWorkload } from '../../../src/cli/workload.js';
import { PeerFailedError } from '../../../src/errors.js';

/**
 * A group of which only the lifecycle is played: the test decides the verdict a report brings. The
 * workloads are real processes.
 */
function fakeGroup(index: number, verdict: (reported: { exitCode: number | null }) => PeerFailedError | undefined): Group & { reports: unknown[]; stop(error: PeerFailedError): void } {
  const controller = new AbortController();
  const reports: unknown[] = [];
  return {
    index,
    round: 0,
    get signal() {
      return controller.signal;
    },
    reports,
    stop: (error: PeerFailedError) => controller.abort(error),
    report: (outcome: OutcomeReport = {}) => {
      reports.push(outcome);
      const error = verdict({ exitCode: outcome.exitCode ?? null });
      if (error !== undefined) controller.abort(error);
    },
    exitBarrier: async () => true,
    nextRound: async () => {
      throw controller.signal.reason;
    },
  } as unknown as Group & { reports: unknown[]; stop(error: PeerFailedError): void };
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

  test('a stall stops the workloads: the pod silent longest exits 124 (as timeout(1)), every other 75, also one stalled after it', async () => {
    const stall = new PeerFailedError(
      { index: 1, name: 'job-1.svc', how: 'stalled', exitCode: null, signal: null, afterMs: 9000, stalled: [1, 2].map((index) => ({ index, name: `job-${index}.svc`, silentMs: 6000 })) },
      0,
      undefined,
    );
    const codes: number[] = [];
    for (const index of [1, 2, 3]) {
      const group = fakeGroup(index, () => undefined);
      const logger = new Logger('text', new PassThrough() as unknown as NodeJS.WriteStream);
      // The verdict comes while the workload runs: it is stopped, as the group would stop it.
      const runRound = (_round: number, stop: AbortSignal) => {
        const running = runWorkload(['sleep', '30'], { env: process.env, stop, graceMs: 1000, logger });
        group.stop(stall);
        return running;
      };
      codes.push(await superviseRounds(group, { describe: 'sleeping', runRound, logger, onGroupFailed: () => {} }));
      expect(group.reports).toEqual([]);
    }
    expect(codes).toEqual([STALLED_EXIT, PEER_FAILED_EXIT, PEER_FAILED_EXIT]);
    expect(STALLED_EXIT).toBe(124);
  });

  test('success with everyone finished exits 0', async () => {
    const group = fakeGroup(0, () => undefined);
    expect((await run(group, 'exit 0')).code).toBe(0);
    expect(group.reports).toEqual([expect.objectContaining({ exitCode: 0, signal: null })]);
  });
});
