import { describe, expect, test } from 'vitest';
import { PeerFailedError } from '../../../src/errors.js';
import type { Stop } from '../../../src/lifecycle/outcome.js';
import { Rounds } from '../../../src/lifecycle/rounds.js';
import { FakeClock } from '../../support/fake-clock.js';

const failure = (index: number) => ({ index, how: 'exit' as const, exitCode: 1, signal: null, afterMs: 1500 });
const stop = (round: number, next: number | undefined, index = 2): Stop => ({ round, next, failure: failure(index) });

function setUp() {
  const clock = new FakeClock();
  const said: PeerFailedError[] = [];
  const rounds = new Rounds((index) => `job-${index}.svc`, (error) => said.push(error), clock);
  return { rounds, clock, said };
}

describe('a round\'s signal', () => {
  test('aborts with a PeerFailedError naming the pod and the next round, said once', () => {
    const { rounds, said } = setUp();
    rounds.begin(0);
    const signal = rounds.signal;
    rounds.stopped(stop(0, 1));
    rounds.stopped(stop(0, 1, 3));
    expect(signal.aborted).toBe(true);
    const error = signal.reason as PeerFailedError;
    expect(error).toBeInstanceOf(PeerFailedError);
    expect(error).toMatchObject({ code: 'ERR_ROLLCALL_PEER_FAILED', round: 0, next: 1, failure: { ...failure(2), name: 'job-2.svc' } });
    expect(error.message).toBe('job-2.svc failed (exit 1) after 1.5s; restart round 1 follows');
    expect(said).toEqual([error]);
    expect(rounds.next).toBe(1);
    expect(rounds.over.aborted).toBe(false);
  });

  test('the next round gets a fresh signal; a stale verdict does not touch it', () => {
    const { rounds } = setUp();
    rounds.begin(0);
    rounds.stopped(stop(0, 1));
    rounds.begin(1);
    expect(rounds.round).toBe(1);
    expect(rounds.signal.aborted).toBe(false);
    expect(rounds.next).toBeUndefined();
    rounds.stopped(stop(0, 1));
    expect(rounds.signal.aborted).toBe(false);
  });

  test('a verdict without a next round ends the group', () => {
    const { rounds } = setUp();
    rounds.begin(0);
    rounds.stopped(stop(0, undefined));
    expect(rounds.over.aborted).toBe(true);
    expect((rounds.over.reason as PeerFailedError).message).toMatch(/the group stops$/);
  });

  test('a verdict heard before this pod\'s own start release (round 0) stands after it', () => {
    const { rounds } = setUp();
    rounds.stopped(stop(0, 1));
    rounds.begin(0);
    expect(rounds.signal.aborted).toBe(true);
    expect(rounds.next).toBe(1);
  });

  test('a pod that joins mid-run adopts the round the verdict names, and its start release does not undo it', () => {
    const { rounds } = setUp();
    rounds.stopped(stop(2, 3));
    rounds.begin(0);
    expect(rounds.round).toBe(2);
    expect(rounds.signal.aborted).toBe(true);
    expect(rounds.next).toBe(3);
  });
});

describe('index 0 vanishing', () => {
  test('ends the group for this pod, timed from the round\'s start; not before the start release', () => {
    const { rounds, clock } = setUp();
    rounds.coordinatorVanished();
    expect(rounds.signal.aborted).toBe(false);
    clock.advance(3000);
    rounds.begin(0);
    clock.advance(12_000);
    rounds.coordinatorVanished();
    expect(rounds.over.aborted).toBe(true);
    expect((rounds.signal.reason as PeerFailedError).failure).toEqual({ index: 0, name: 'job-0.svc', how: 'vanished', exitCode: null, signal: null, afterMs: 12_000 });
  });

  test('while a restart was pending, the restart is off: `over` aborts, the round keeps its verdict', () => {
    const { rounds } = setUp();
    rounds.begin(0);
    rounds.stopped(stop(0, 1));
    rounds.coordinatorVanished();
    expect(rounds.over.aborted).toBe(true);
    expect((rounds.signal.reason as PeerFailedError).next).toBe(1);
  });
});
