import { describe, expect, test } from 'vitest';
import type { Stop, WorkloadOutcome } from '../../../src/lifecycle/outcome.js';
import { Referee } from '../../../src/lifecycle/referee.js';
import { FakeClock } from '../../support/fake-clock.js';

const VANISH_MS = 10_000;
const ok = (runMs = 1000): WorkloadOutcome => ({ exitCode: 0, signal: null, runMs });
const exit = (exitCode: number, runMs = 1000): WorkloadOutcome => ({ exitCode, signal: null, runMs });

function setUp({ size = 4, min = size, restarts = 0, fatal = [78], stallTimeoutMs = 0 }: { size?: number; min?: number; restarts?: number; fatal?: number[]; stallTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const stops: Stop[] = [];
  const finished: { round: number; outcomes: WorkloadOutcome[] }[] = [];
  const referee = new Referee({
    size,
    min,
    restarts,
    fatalExitCodes: new Set(fatal),
    vanishAfterMs: VANISH_MS,
    stallTimeoutMs,
    clock,
    onStop: (stop) => stops.push(stop),
    onAllFinished: (round, outcomes) => finished.push({ round, outcomes: [...outcomes.values()] }),
  });
  return { referee, clock, stops, finished };
}

describe('the first failure ends the round for everyone', () => {
  test('a non-zero exit: one verdict naming the pod, how and after how long; later failures add nothing', () => {
    const { referee, stops } = setUp();
    referee.begin(0);
    referee.reported(1, 0, ok());
    referee.reported(2, 0, exit(1, 4200));
    referee.reported(3, 0, exit(137));
    expect(stops).toEqual([{ round: 0, next: undefined, failure: { index: 2, how: 'exit', exitCode: 1, signal: null, afterMs: 4200 } }]);
    expect(referee.current).toEqual(stops[0]);
  });

  test('a signal is its own kind of failure', () => {
    const { referee, stops } = setUp();
    referee.begin(0);
    referee.reported(3, 0, { exitCode: null, signal: 'SIGKILL', runMs: 50 });
    expect(stops[0]?.failure).toMatchObject({ index: 3, how: 'signal', signal: 'SIGKILL', exitCode: null });
  });

  test('nothing is judged before the start barrier released, nor for another round', () => {
    const { referee, stops } = setUp();
    referee.reported(1, 0, exit(1));
    referee.left(2, 0);
    referee.begin(0);
    referee.reported(1, 3, exit(1));
    expect(stops).toEqual([]);
  });

  test('every pod succeeding is reported once, with each index\'s outcome in order', () => {
    const { referee, finished, stops } = setUp({ size: 3 });
    referee.begin(0);
    referee.reported(2, 0, ok(3));
    referee.reported(0, 0, ok(1));
    expect(finished).toEqual([]);
    referee.reported(1, 0, ok(2));
    referee.reported(1, 0, ok(2));
    expect(finished).toEqual([{ round: 0, outcomes: [ok(1), ok(2), ok(3)] }]);
    expect(stops).toEqual([]);
  });
});

describe('pods that vanish or are replaced', () => {
  test('a session gone and not back within the window: vanished, timed from the last thing heard', () => {
    const { referee, clock, stops } = setUp();
    referee.begin(0);
    clock.advance(5000);
    referee.left(2, clock.now() - 4000);
    clock.advance(5999);
    expect(stops).toEqual([]);
    clock.advance(1);
    expect(stops).toEqual([{ round: 0, next: undefined, failure: { index: 2, how: 'vanished', exitCode: null, signal: null, afterMs: 11_000 } }]);
  });

  test('a session that drops and comes back in time is no failure', () => {
    const { referee, clock, stops } = setUp();
    referee.begin(0);
    referee.left(2, clock.now());
    clock.advance(VANISH_MS - 1);
    referee.joined(2, false);
    clock.advance(VANISH_MS * 3);
    expect(stops).toEqual([]);
  });

  test('a newer pod at an index while the round runs: its predecessor is gone, at once', () => {
    const { referee, clock, stops } = setUp();
    clock.advance(2000);
    referee.begin(0);
    clock.advance(700);
    referee.joined(1, true);
    expect(stops[0]?.failure).toEqual({ index: 1, how: 'replaced', exitCode: null, signal: null, afterMs: 700 });
  });

  test("a newer pod at an index whose workload succeeded this round is no failure: it is told the round is done for it, while the round stands", () => {
    const { referee, stops } = setUp({ restarts: 1 });
    referee.begin(0);
    expect(referee.doneBy(3)).toBeUndefined();
    referee.reported(3, 0, ok());
    referee.reported(2, 0, { exitCode: 0, signal: 'SIGKILL', runMs: 5 });
    expect(referee.doneBy(2)).toBeUndefined();
    const fresh = setUp({ restarts: 1 });
    fresh.referee.begin(0);
    fresh.referee.reported(3, 0, ok());
    fresh.referee.joined(3, true);
    expect(fresh.stops).toEqual([]);
    expect(fresh.referee.doneBy(3)).toBe(0);
    for (const index of [0, 1, 2]) fresh.referee.reported(index, 0, ok());
    expect(fresh.referee.doneBy(3)).toBe(0);
    // A stopped round is done for nobody: its verdict says what comes next.
    expect(stops).toHaveLength(1);
    expect(referee.doneBy(3)).toBeUndefined();
  });

  test('a pod that reported success and left went home: not vanished', () => {
    const { referee, clock, stops } = setUp();
    referee.begin(0);
    referee.reported(3, 0, ok());
    referee.left(3, clock.now());
    clock.advance(VANISH_MS * 2);
    expect(stops).toEqual([]);
  });
});

describe('restarts', () => {
  test('with restarts left, the verdict names the next round; index 0 counts them, the last failure ends the group', () => {
    const { referee, stops } = setUp({ restarts: 2 });
    referee.begin(0);
    referee.reported(1, 0, exit(1));
    referee.begin(1);
    referee.reported(2, 1, exit(1));
    referee.begin(2);
    referee.reported(3, 2, exit(1));
    expect(stops.map((stop) => [stop.round, stop.next])).toEqual([
      [0, 1],
      [1, 2],
      [2, undefined],
    ]);
  });

  test('a pod that went home and is back can run a restart round again', () => {
    const { referee, stops } = setUp({ restarts: 1 });
    referee.begin(0);
    referee.reported(1, 0, ok());
    referee.left(1, 0);
    referee.joined(1, false);
    referee.reported(2, 0, exit(1));
    expect(stops).toEqual([{ round: 0, next: 1, failure: { index: 2, how: 'exit', exitCode: 1, signal: null, afterMs: 1000 } }]);
  });

  test('a fatal exit code ends the group with restarts left', () => {
    const { referee, stops } = setUp({ restarts: 5 });
    referee.begin(0);
    referee.reported(1, 0, exit(78));
    expect(stops[0]?.next).toBeUndefined();
  });

  test('no restart when a pod already succeeded and left: the round could never assemble', () => {
    const { referee, clock, stops } = setUp({ restarts: 1 });
    referee.begin(0);
    referee.reported(3, 0, ok());
    referee.left(3, clock.now());
    referee.reported(1, 0, exit(1));
    expect(stops[0]?.next).toBeUndefined();
  });

  test('a verdict ends the round\'s vanish windows: no timer is left for a pod that was away', () => {
    const { referee, clock, stops } = setUp();
    referee.begin(0);
    referee.left(1, clock.now());
    expect(clock.pending).toBe(1);
    referee.reported(2, 0, exit(1));
    expect(stops).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  test('a new round forgets the old one\'s outcomes and verdict; a stale begin changes nothing', () => {
    const { referee, stops } = setUp({ restarts: 1, size: 2 });
    referee.begin(0);
    referee.reported(1, 0, exit(1));
    referee.begin(1);
    expect(referee.current).toBeUndefined();
    referee.begin(0);
    referee.reported(1, 1, exit(2));
    expect(stops.at(-1)).toMatchObject({ round: 1, next: undefined, failure: { exitCode: 2 } });
  });
});

test('once closed, nothing is judged and no timer is left', () => {
  const { referee, clock, stops } = setUp();
  referee.begin(0);
  referee.left(1, clock.now());
  referee.close();
  expect(clock.pending).toBe(0);
  referee.left(2, clock.now());
  referee.reported(3, 0, exit(1));
  clock.advance(VANISH_MS * 2);
  referee.begin(1);
  referee.reported(3, 1, exit(1));
  expect(stops).toEqual([]);
  expect(clock.pending).toBe(0);
});

describe('the standing, as a status shows it', () => {
  test('progress and outcomes of the running round only; a new round starts with none', () => {
    const { referee, clock } = setUp({ restarts: 1 });
    referee.begin(0);
    clock.advance(100);
    referee.progressed(1, 0);
    referee.reported(2, 0, ok());
    expect(referee.standing).toMatchObject({ round: 0, phase: 'running', verdict: undefined });
    expect([...referee.standing.progressAt]).toEqual([[1, 100]]);
    referee.reported(3, 0, exit(1));
    expect(referee.standing).toMatchObject({ phase: 'stopped', verdict: { round: 0, next: 1 } });
    // A stopped round's progress is news of nothing.
    clock.advance(100);
    referee.progressed(0, 0);
    expect([...referee.standing.progressAt]).toEqual([[1, 100]]);
    referee.begin(1);
    expect(referee.standing).toMatchObject({ round: 1, phase: 'running', verdict: undefined });
    expect(referee.standing.progressAt.size).toBe(0);
    expect(referee.standing.outcomes.size).toBe(0);
  });
});

describe('a pod leaving on a signal', () => {
  test('after its success, at the exit barrier: a failure naming it, its workload\'s code and run time kept', () => {
    const { referee, stops } = setUp({ restarts: 1 });
    referee.begin(0);
    referee.reported(2, 0, ok(4000));
    referee.signalled(2, 0, 'SIGTERM');
    expect(stops).toEqual([{ round: 0, next: 1, failure: { index: 2, how: 'signal', exitCode: 0, signal: 'SIGTERM', afterMs: 4000 } }]);
  });

  test('index 0 itself, before any outcome: timed from the round\'s start', () => {
    const { referee, stops, clock } = setUp();
    referee.begin(0);
    clock.advance(2500);
    referee.signalled(0, 0, 'SIGINT');
    expect(stops).toEqual([{ round: 0, next: undefined, failure: { index: 0, how: 'signal', exitCode: null, signal: 'SIGINT', afterMs: 2500 } }]);
  });

  test('nothing once every workload has finished, between rounds, or for another round', () => {
    const { referee, stops } = setUp({ size: 2, restarts: 1 });
    referee.begin(0);
    referee.signalled(1, 3, 'SIGTERM');
    referee.reported(0, 0, ok());
    referee.reported(1, 0, ok());
    referee.signalled(1, 0, 'SIGTERM');
    expect(stops).toEqual([]);
    const between = setUp({ restarts: 1 });
    between.referee.begin(0);
    between.referee.reported(1, 0, exit(1));
    between.referee.signalled(2, 0, 'SIGTERM');
    expect(between.stops).toHaveLength(1);
  });
});

describe('a new index 0, taking over a group its predecessor judged', () => {
  const lostZero = (round: number, next: number | undefined): Stop => ({ round, next, failure: { index: 0, how: 'vanished', exitCode: null, signal: null, afterMs: 5000 } });

  test('adopts the round and the restarts used from a member\'s verdict, says it once, and runs the restart round with the budget left', () => {
    const { referee, stops } = setUp({ restarts: 2 });
    referee.adopt(lostZero(1, 2));
    // Every member tells the same; the start release of this index 0 changes nothing.
    referee.adopt(lostZero(1, 2));
    referee.begin(0);
    expect(stops).toEqual([lostZero(1, 2)]);
    expect(referee.current).toEqual(lostZero(1, 2));
    referee.begin(2);
    expect(referee.current).toBeUndefined();
    // Two of two restarts are used: the next failure ends the group.
    referee.reported(3, 2, exit(1));
    expect(stops.at(-1)).toMatchObject({ round: 2, next: undefined, failure: { index: 3 } });
  });

  test('the latest round told wins over an earlier one (a member that missed a release)', () => {
    const { referee, stops } = setUp({ restarts: 3 });
    referee.adopt(lostZero(1, 2));
    referee.adopt(lostZero(0, 1));
    referee.adopt(lostZero(2, 3));
    expect(stops.map((stop) => stop.round)).toEqual([1, 2]);
    expect(referee.current).toEqual(lostZero(2, 3));
  });

  test("in an elastic group, a member's later round ends the round a new index 0 released with the first pods to come", () => {
    const { referee, stops } = setUp({ size: 4, min: 1, restarts: 1 });
    referee.begin(0, [0]);
    referee.adopt(lostZero(0, 1));
    expect(stops).toEqual([]);
    referee.adopt(lostZero(6, 7));
    expect(stops).toEqual([lostZero(6, 7)]);
    referee.begin(7, [0, 1, 2]);
    expect(referee.standing).toMatchObject({ round: 7, phase: 'running' });
  });

  test('an index 0 that has released a round itself takes no member\'s word for it', () => {
    const { referee, stops } = setUp({ restarts: 1 });
    referee.begin(0);
    referee.adopt(lostZero(0, 1));
    referee.adopt(lostZero(4, 5));
    expect(stops).toEqual([]);
    referee.close();
    const closed = setUp();
    closed.referee.close();
    closed.referee.adopt(lostZero(0, undefined));
    expect(closed.stops).toEqual([]);
  });
});

describe('stalls: a running workload that reported progress, then none for the stall timeout', () => {
  const STALL_MS = 5000;

  test('is a failure naming every pod stalled at that moment, the longest silent first, within the timeout and a look', () => {
    const { referee, clock, stops } = setUp({ stallTimeoutMs: STALL_MS });
    referee.begin(0);
    clock.advance(1000);
    referee.progressed(2, 0);
    clock.advance(100);
    referee.progressed(1, 0);
    referee.progressed(3, 0);
    // Index 3 keeps going; 1 and 2 fall silent. At 6 s, index 2 has been silent for exactly the timeout.
    for (let step = 0; step < 49; step++) {
      clock.advance(100);
      referee.progressed(3, 0);
    }
    expect(clock.now()).toBe(6000);
    expect(stops).toEqual([]);
    clock.advance(250);
    expect(stops).toHaveLength(1);
    const { failure } = stops[0] as Stop;
    expect(failure).toMatchObject({ index: 2, how: 'stalled', exitCode: null, signal: null });
    expect(failure.stalled?.map((pod) => pod.index)).toEqual([2, 1]);
    expect(failure.stalled?.[0]?.silentMs).toBeGreaterThan(STALL_MS);
    expect(failure.stalled?.[0]?.silentMs).toBeLessThanOrEqual(STALL_MS + 250);
    expect(failure.afterMs).toBe(clock.now());
  });

  test('a pod that never reported progress, or whose workload has ended, is never stalled', () => {
    const { referee, clock, stops } = setUp({ stallTimeoutMs: STALL_MS });
    referee.begin(0);
    referee.progressed(1, 0);
    referee.reported(1, 0, ok());
    clock.advance(60_000);
    expect(stops).toEqual([]);
  });

  test('a pod whose session closed is not called stalled: its silence is timed as a vanish, and it is watched again once back', () => {
    const { referee, clock, stops } = setUp({ stallTimeoutMs: STALL_MS });
    referee.begin(0);
    referee.progressed(1, 0);
    referee.left(1, clock.now());
    clock.advance(STALL_MS + 1000);
    expect(stops).toEqual([]);
    clock.advance(VANISH_MS);
    expect(stops.map((stop) => [stop.failure.index, stop.failure.how])).toEqual([[1, 'vanished']]);
    const back = setUp({ stallTimeoutMs: STALL_MS });
    back.referee.begin(0);
    back.referee.progressed(1, 0);
    back.referee.left(1, back.clock.now());
    back.referee.joined(1, false);
    back.referee.progressed(1, 0);
    back.clock.advance(STALL_MS * 2);
    expect(back.stops.map((stop) => [stop.failure.index, stop.failure.how])).toEqual([[1, 'stalled']]);
  });

  test("progress from another round, or after the pod's outcome, counts for nothing", () => {
    const { referee, clock, stops } = setUp({ stallTimeoutMs: STALL_MS });
    referee.begin(1);
    referee.progressed(2, 0);
    referee.reported(3, 1, ok());
    referee.progressed(3, 1);
    clock.advance(60_000);
    expect(stops).toEqual([]);
  });

  test('off (0): nobody is ever stalled', () => {
    const { referee, clock, stops } = setUp();
    referee.begin(0);
    referee.progressed(1, 0);
    clock.advance(3_600_000);
    expect(stops).toEqual([]);
  });

  test('under --restarts a stall starts the next round, whose watch starts afresh', () => {
    const { referee, clock, stops } = setUp({ restarts: 1, stallTimeoutMs: STALL_MS });
    referee.begin(0);
    referee.progressed(1, 0);
    clock.advance(STALL_MS + 500);
    expect(stops.map((stop) => [stop.round, stop.next, stop.failure.how])).toEqual([[0, 1, 'stalled']]);
    referee.begin(1);
    clock.advance(60_000);
    expect(stops).toHaveLength(1);
    referee.progressed(1, 1);
    clock.advance(STALL_MS + 500);
    expect(stops.map((stop) => [stop.round, stop.next, stop.failure.how])).toEqual([[0, 1, 'stalled'], [1, undefined, 'stalled']]);
  });

  test('once the round is stopped or the referee closed, no stall is judged', () => {
    const { referee, clock, stops } = setUp({ stallTimeoutMs: STALL_MS });
    referee.begin(0);
    referee.progressed(1, 0);
    referee.reported(2, 0, exit(1));
    clock.advance(60_000);
    expect(stops).toHaveLength(1);
    const closed = setUp({ stallTimeoutMs: STALL_MS });
    closed.referee.begin(0);
    closed.referee.progressed(1, 0);
    closed.referee.close();
    closed.clock.advance(60_000);
    expect(closed.stops).toEqual([]);
    expect(closed.clock.pending).toBe(0);
  });
});

describe('an elastic group (MIN 2 of 4): what changes the membership and what is a failure', () => {
  test('a workload that fails or stalls is a failure as in a fixed group: with no restart left the group ends, however many remain', () => {
    const { referee, stops } = setUp({ size: 4, min: 2 });
    referee.begin(0, [0, 1, 2, 3]);
    referee.reported(3, 0, exit(1));
    expect(stops).toEqual([{ round: 0, next: undefined, failure: { index: 3, how: 'exit', exitCode: 1, signal: null, afterMs: 1000 } }]);
  });

  test('a pod leaving on a signal shrinks it while MIN remain; below MIN it is the end', () => {
    const { referee, stops } = setUp({ size: 4, min: 2 });
    referee.begin(0, [0, 1, 2]);
    referee.signalled(2, 0, 'SIGTERM');
    expect(stops.at(-1)).toMatchObject({ round: 0, next: 1, used: 0, failure: { index: 2, how: 'signal', membership: true } });
    referee.begin(1, [0, 1]);
    referee.signalled(1, 1, 'SIGTERM');
    expect(stops.at(-1)).toEqual({ round: 1, next: undefined, used: 0, failure: { index: 1, how: 'signal', exitCode: null, signal: 'SIGTERM', afterMs: 0 } });
  });

  test('a pod lost with no restart left, vanished or replaced, shrinks it while MIN remain, using none; below MIN, or once a member went home, it is the end', () => {
    const vanished = setUp({ size: 4, min: 2 });
    vanished.referee.begin(0, [0, 1, 2]);
    vanished.referee.left(2, 0);
    vanished.clock.advance(VANISH_MS);
    expect(vanished.stops).toEqual([{ round: 0, next: 1, used: 0, failure: { index: 2, how: 'vanished', exitCode: null, signal: null, afterMs: VANISH_MS, membership: true } }]);
    const replaced = setUp({ size: 4, min: 2 });
    replaced.referee.begin(0, [0, 1, 2]);
    replaced.referee.joined(2, true);
    expect(replaced.stops).toEqual([{ round: 0, next: 1, used: 0, failure: { index: 2, how: 'replaced', exitCode: null, signal: null, afterMs: 0, membership: true } }]);
    const belowMin = setUp({ size: 4, min: 2 });
    belowMin.referee.begin(0, [0, 1]);
    belowMin.referee.joined(1, true);
    expect(belowMin.stops).toEqual([{ round: 0, next: undefined, failure: { index: 1, how: 'replaced', exitCode: null, signal: null, afterMs: 0 } }]);
    // A member that succeeded and went home could never rejoin a next round: the group ends.
    const wentHome = setUp({ size: 4, min: 2 });
    wentHome.referee.begin(0, [0, 1, 2]);
    wentHome.referee.reported(1, 0, ok());
    wentHome.referee.left(1, 0);
    wentHome.referee.joined(2, true);
    expect(wentHome.stops).toEqual([{ round: 0, next: undefined, failure: { index: 2, how: 'replaced', exitCode: null, signal: null, afterMs: 0 } }]);
  });

  test('a pod the round did not count joins: it grows, using no restart; one that comes once every workload has finished is told it is done', () => {
    const { referee, stops } = setUp({ size: 4, min: 2 });
    referee.begin(0, [0, 1]);
    referee.joined(3, false);
    expect(stops.at(-1)).toMatchObject({ round: 0, next: 1, used: 0, failure: { index: 3, how: 'joined', membership: true } });
    referee.begin(1, [0, 1, 3]);
    for (const index of [0, 1, 3]) referee.reported(index, 1, ok());
    expect(referee.doneBy(2)).toBe(1);
    referee.joined(2, false);
    expect(stops).toHaveLength(1);
  });

  test('a pod that comes once a workload of the round succeeded stops nothing: it is told it is done, whether that member waits at the exit barrier or went home', () => {
    for (const gone of [false, true]) {
      const { referee, stops } = setUp({ size: 4, min: 2 });
      referee.begin(0, [0, 1, 2]);
      expect(referee.doneBy(3)).toBeUndefined();
      referee.reported(1, 0, ok());
      if (gone) referee.left(1, 0);
      referee.joined(3, false);
      expect(stops).toEqual([]);
      expect(referee.doneBy(3)).toBe(0);
      // A member of the round still running is not done, whoever else is.
      expect(referee.doneBy(2)).toBeUndefined();
    }
  });
});
