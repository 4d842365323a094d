import { describe, expect, test } from 'vitest';
import { PeerFailedError } from '../../../src/errors.js';
import type { Stop } from '../../../src/lifecycle/outcome.js';
import { Rounds } from '../../../src/lifecycle/rounds.js';
import { FakeClock } from '../../support/fake-clock.js';

const failure = (index: number) => ({ index, how: 'exit' as const, exitCode: 1, signal: null, afterMs: 1500 });
const stop = (round: number, next: number | undefined, index = 2): Stop => ({ round, next, failure: failure(index) });

function setUp(restarts = 0) {
  const clock = new FakeClock();
  const said: PeerFailedError[] = [];
  const rounds = new Rounds((index) => `job-${index}.svc`, (error) => said.push(error), restarts, clock);
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

  test('`moved` aborts when the pod moves on to a later round, whether the next or a later verdict\'s, and only then', () => {
    const { rounds } = setUp();
    rounds.begin(0);
    const inZero = rounds.moved;
    rounds.stopped(stop(0, 1));
    rounds.begin(0);
    expect(inZero.aborted).toBe(false);
    rounds.stopped(stop(2, 3));
    expect(inZero.aborted).toBe(true);
    expect(rounds.moved.aborted).toBe(false);
    expect(rounds.next).toBe(3);
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

  test("a pod told before its start that its index finished a round joins that round with nothing to run; once running, it knows better", () => {
    const { rounds } = setUp(2);
    rounds.doneBefore(1);
    rounds.begin(0);
    expect(rounds.round).toBe(1);
    expect(rounds.done).toBe(true);
    expect(rounds.signal.aborted).toBe(false);
    // A failure elsewhere in that round stops it as for anyone; the restart round is run, not done.
    rounds.stopped(stop(1, 2));
    rounds.begin(2);
    expect(rounds.done).toBe(false);
    const running = setUp();
    running.rounds.begin(0);
    running.rounds.doneBefore(0);
    expect(running.rounds.done).toBe(false);
  });

  test('told its index finished an earlier round after a later one, the pod keeps the later', () => {
    const { rounds } = setUp(2);
    rounds.doneBefore(1);
    rounds.doneBefore(0);
    rounds.begin(0);
    expect(rounds.round).toBe(1);
    expect(rounds.done).toBe(true);
  });

  test("a later round's verdict while this pod still runs an earlier round stops that one too: the group has moved on", () => {
    const { rounds } = setUp();
    rounds.begin(0);
    const running = rounds.signal;
    rounds.stopped(stop(1, 2));
    expect(rounds.round).toBe(1);
    expect(running.aborted).toBe(true);
    expect((running.reason as PeerFailedError).next).toBe(2);
    expect(rounds.next).toBe(2);
  });
});

describe('index 0 lost', () => {
  test('without restarts, it ends the group for this pod, timed from the round\'s start; not before the start release', () => {
    const { rounds, clock } = setUp();
    rounds.coordinatorLost('vanished');
    expect(rounds.signal.aborted).toBe(false);
    clock.advance(3000);
    rounds.begin(0);
    clock.advance(12_000);
    rounds.coordinatorLost('vanished');
    expect(rounds.over.aborted).toBe(true);
    expect((rounds.signal.reason as PeerFailedError).failure).toEqual({ index: 0, name: 'job-0.svc', how: 'vanished', exitCode: null, signal: null, afterMs: 12_000 });
    expect(rounds.verdict).toMatchObject({ round: 0, next: undefined, failure: { index: 0, how: 'vanished' } });
  });

  test("an elastic group's restarts used, as a verdict or a round's release says, not the round's number: round 3 with none used judges a restart round", () => {
    for (const told of ['verdict', 'release'] as const) {
      const { rounds } = setUp(1);
      rounds.begin(0);
      if (told === 'verdict') rounds.stopped({ ...stop(2, 3, 3), used: 0 });
      rounds.begin(3);
      if (told === 'release') rounds.restartsUsedBefore(0);
      rounds.coordinatorLost('vanished');
      expect(rounds.verdict, told).toMatchObject({ round: 3, next: 4, used: 1 });
    }
    // Told nothing, round 3 counts as 3 used: no restart is left.
    const { rounds } = setUp(1);
    rounds.begin(3);
    rounds.coordinatorLost('vanished');
    expect(rounds.verdict?.next).toBeUndefined();
  });

  test('with restarts left (round k has used k), the pod judges a restart round, as index 0 would have', () => {
    const { rounds, said } = setUp(2);
    rounds.begin(0);
    rounds.stopped(stop(0, 1));
    rounds.begin(1);
    rounds.coordinatorLost('replaced');
    expect(rounds.over.aborted).toBe(false);
    expect(rounds.next).toBe(2);
    expect(rounds.verdict).toMatchObject({ round: 1, next: 2, failure: { index: 0, how: 'replaced' } });
    expect(said.at(-1)?.message).toMatch(/^job-0\.svc failed \(replaced by a newer pod\) after 0ms in restart round 1; restart round 2 follows$/);
    rounds.begin(2);
    rounds.coordinatorLost('vanished');
    expect(rounds.next).toBeUndefined();
    expect(rounds.over.aborted).toBe(true);
  });

  test('while a restart is pending, the pending restart stands: a new index 0 takes it from the members', () => {
    const { rounds, said } = setUp(1);
    rounds.begin(0);
    rounds.stopped(stop(0, 1));
    rounds.coordinatorLost('vanished');
    expect(rounds.over.aborted).toBe(false);
    expect(rounds.next).toBe(1);
    expect(rounds.verdict).toEqual(stop(0, 1));
    expect(said).toHaveLength(1);
  });

  test("a pod that judged index 0 lost (cut off itself) and then hears index 0's own verdict follows index 0's", () => {
    const { rounds, said } = setUp(1);
    rounds.begin(0);
    rounds.coordinatorLost('vanished');
    expect(rounds.next).toBe(1);
    const waiting = rounds.moved;
    rounds.stopped(stop(0, undefined, 5));
    expect(rounds.next).toBeUndefined();
    expect(rounds.over.aborted).toBe(true);
    expect(waiting.aborted).toBe(true);
    expect(said.map((error) => error.message)).toEqual(['job-0.svc failed (vanished) after 0ms; restart round 1 follows', 'job-5.svc failed (exit 1) after 1.5s; the group stops']);
    // Index 0's word is the last: nothing after it changes the verdict again.
    rounds.stopped(stop(0, 1, 6));
    expect(rounds.next).toBeUndefined();
    expect(said).toHaveLength(2);
  });

  test("index 0's verdict that names the same next round changes nothing; only a pod's own judgement yields", () => {
    const { rounds, said } = setUp(1);
    rounds.begin(0);
    rounds.coordinatorLost('vanished');
    const waiting = rounds.moved;
    rounds.stopped(stop(0, 1, 5));
    expect(waiting.aborted).toBe(false);
    expect(said).toHaveLength(1);
    const other = setUp(1);
    other.rounds.begin(0);
    other.rounds.stopped(stop(0, 1, 5));
    other.rounds.stopped(stop(0, undefined, 6));
    expect(other.rounds.next).toBe(1);
    expect(other.rounds.over.aborted).toBe(false);
  });

  test('a judgement of its own is over once the round it named begins: a second verdict on that round is ignored like anyone\'s', () => {
    const { rounds, said } = setUp(2);
    rounds.begin(0);
    rounds.coordinatorLost('vanished');
    rounds.begin(1);
    rounds.stopped(stop(1, 2, 5));
    rounds.stopped(stop(1, undefined, 6));
    expect(rounds.next).toBe(2);
    expect(rounds.over.aborted).toBe(false);
    expect(said).toHaveLength(2);
  });

  test('the verdict is there only while the current round is stopped', () => {
    const { rounds } = setUp(1);
    rounds.begin(0);
    expect(rounds.verdict).toBeUndefined();
    rounds.stopped(stop(0, 1));
    rounds.begin(1);
    expect(rounds.verdict).toBeUndefined();
  });
});
