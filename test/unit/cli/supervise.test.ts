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
function fakeGroup(
  index: number,
  verdict: (reported: { exitCode: number | null }) => PeerFailedError | undefined,
  { exitBarrier = async () => true, nextRound }: { exitBarrier?: () => Promise<boolean>; nextRound?: () => Promise<number> } = {},
): Group & { reports: unknown[]; left: string[]; stop(error: PeerFailedError): void } {
  const controller = new AbortController();
  const reports: unknown[] = [];
  const left: string[] = [];
  return {
    index,
    rank: index,
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
    exitBarrier,
    nextRound:
      nextRound ??
      (async () => {
        throw controller.signal.reason;
      }),
    left,
    leave: async (signal: string) => void left.push(signal),
  } as unknown as Group & { reports: unknown[]; left: string[]; stop(error: PeerFailedError): void };
}

const failure = (index: number) => new PeerFailedError({ index, name: `job-${index}.svc`, how: 'exit', exitCode: 3, signal: null, afterMs: 10 }, 0, undefined);

/** Supervises `script` as the workload of every round, with a real process and a log to read. */
const run = (group: Group, script: string, leave = new AbortController().signal) => {
  const stream = new PassThrough();
  const logged: string[] = [];
  stream.on('data', (chunk) => logged.push(String(chunk)));
  const logger = new Logger('text', stream as unknown as NodeJS.WriteStream);
  const runRound = (_round: number, stop: AbortSignal) => runWorkload(['sh', '-c', script], { env: process.env, stop, graceMs: 1000, logger });
  const written: string[] = [];
  return superviseRounds(group, { describe: `running ${script}`, runRound, leave, logger, onGroupFailed: (message) => written.push(message) }).then((code) => ({ code, log: logged.join(''), written }));
};

describe('the exit code a pod leaves with', () => {

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
      codes.push(await superviseRounds(group, { describe: 'sleeping', runRound, leave: new AbortController().signal, logger, onGroupFailed: () => {} }));
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

describe('a signal to the pod: it leaves once its workload has ended, with the code it had', () => {
  const never = <T>() => new Promise<T>(() => {});
  const restartFollows = (index: number) => new PeerFailedError({ index, name: `job-${index}.svc`, how: 'exit', exitCode: 3, signal: null, afterMs: 10 }, 0, 1);

  test('at the exit barrier: its workload\'s 0, index 0 told, the reason written', async () => {
    const group = fakeGroup(2, () => undefined, { exitBarrier: never });
    const leave = new AbortController();
    const running = run(group, 'exit 0', leave.signal);
    setImmediate(() => leave.abort('SIGTERM'));
    const { code, log, written } = await running;
    expect(code).toBe(0);
    expect(group.left).toEqual(['SIGTERM']);
    expect(log).toContain('received SIGTERM: leaving the group (this workload ended with 0), exiting 0');
    expect(written).toEqual(['received SIGTERM: leaving the group (this workload ended with 0), exiting 0']);
  });

  test('waiting for the verdict on its own failure: its own code, without waiting for index 0', async () => {
    const leave = new AbortController();
    // The signal comes as the workload ends (it got it too); no verdict ever comes.
    const group = fakeGroup(2, () => void leave.abort('SIGINT'));
    const { code } = await run(group, 'exit 6', leave.signal);
    expect(code).toBe(6);
    expect(group.left).toEqual(['SIGINT']);
  });

  test('a signal before a round\'s workload starts: nothing runs, and the shell\'s 128 + n', async () => {
    const group = fakeGroup(2, () => undefined);
    const leave = new AbortController();
    leave.abort('SIGINT');
    const { code, log } = await run(group, 'exit 0', leave.signal);
    expect(code).toBe(130);
    expect(group.reports).toEqual([]);
    expect(log).not.toContain('running');
  });

  test('between rounds: 75, or its own code when its failure came first; no restart round runs', async () => {
    for (const [failing, expected] of [
      [1, PEER_FAILED_EXIT],
      [2, 3],
    ] as const) {
      const leave = new AbortController();
      const group = fakeGroup(2, () => restartFollows(failing), {
        nextRound: () => {
          setImmediate(() => leave.abort('SIGTERM'));
          return never();
        },
      });
      const { code, log } = await run(group, 'exit 3', leave.signal);
      expect(code).toBe(expected);
      expect(group.left).toEqual(['SIGTERM']);
      expect(log).not.toContain('(restart round 1)');
    }
  });
});
