import { expect, test } from 'vitest';
import { formatStatus } from '../../../src/cli/status.js';
import type { GroupStatus } from '../../../src/lifecycle/group-status.js';

const pod = (index: number, more: Partial<GroupStatus['pods'][number]> = {}) => ({
  index,
  name: `job-${index}.svc`,
  address: `10.0.0.${10 + index}`,
  state: 'running' as const,
  round: 1 as number | undefined,
  exitCode: undefined,
  signal: undefined,
  lastHeardMs: undefined,
  lastProgressMs: undefined,
  ...more,
});

test('a header with whose view and the health, the verdict when there is one, then aligned rows', () => {
  const status: GroupStatus = {
    job: 'job',
    size: 3,
    view: 'index 0',
    from: 0,
    round: 1,
    phase: 'stopped',
    verdict: { failure: { index: 2, name: 'job-2.svc', how: 'exit', exitCode: 3, signal: null, afterMs: 4200 }, next: 2 },
    pods: [pod(0, { lastProgressMs: 300 }), pod(1, { state: 'finished', exitCode: 0, signal: null, lastHeardMs: 1500 }), pod(2, { state: 'failed', exitCode: null, signal: 'SIGKILL', address: undefined, round: undefined })],
    note: undefined,
    healthy: false,
  };
  expect(formatStatus(status)).toBe(
    [
      "job: 3 pods, round 1, stopped; index 0's view; not healthy",
      'job-2.svc failed (exit 3) after 4.2s in restart round 1; restart round 2 follows',
      'INDEX  NAME       ADDRESS    ROUND  STATE              HEARD     PROGRESS',
      '0      job-0.svc  10.0.0.10  1      running            -         300ms ago',
      '1      job-1.svc  10.0.0.11  1      finished (exit 0)  1.5s ago  -',
      '2      job-2.svc  -          -      failed (SIGKILL)   -         -',
      '',
    ].join('\n'),
  );
});

test("a member's own view says so, and why", () => {
  const status: GroupStatus = { job: 'job', size: 1, view: 'local', from: 1, round: 0, phase: 'running', verdict: undefined, pods: [pod(0, { state: 'unknown' })], note: 'index 0 could not be asked: timed out', healthy: false };
  expect(formatStatus(status).split('\n')[0]).toBe("job: 1 pods, round 0, running; index 1's own view (index 0 could not be asked: timed out); not healthy");
});

test("an elastic group: its range and every round's size in the header, the change of membership worded as the pods logged it", () => {
  const status: GroupStatus = {
    job: 'job',
    size: 3,
    membership: { min: 2, max: 4, members: [0, 1, 2], rounds: [{ round: 0, size: 4 }, { round: 1, size: 3 }] },
    view: 'index 0',
    from: 0,
    round: 1,
    phase: 'running',
    verdict: undefined,
    pods: [pod(0), pod(1), pod(2), pod(3, { state: 'outside', round: undefined, address: undefined })],
    note: undefined,
    healthy: true,
  };
  const [header, ...rest] = formatStatus(status).split('\n');
  expect(header).toBe("job: 3 pods (elastic, 2 to 4; round 0: 4, round 1: 3), round 1, running; index 0's view; healthy");
  expect(rest[4]).toMatch(/^3 +job-3\.svc +- +- +outside/);
  const shrinking = formatStatus({ ...status, phase: 'stopped', healthy: false, verdict: { failure: { index: 2, name: 'job-2.svc', how: 'signal', exitCode: null, signal: 'SIGTERM', afterMs: 4200, membership: true }, next: 2 } });
  expect(shrinking.split('\n')[1]).toBe('job-2.svc failed (SIGTERM) after 4.2s in restart round 1: the group shrinks; restart round 2 follows in place, using no restart');
});
