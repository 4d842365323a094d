import { describe, expect, test } from 'vitest';
import { Coordinator } from '../../../src/barrier/coordinator.js';
import type { Topology } from '../../../src/barrier/options.js';
import { MAX_SEEN, PROTOCOL_VERSION, type Datagram, type Hello } from '../../../src/transport/wire-format.js';
import type { Stop, WorkloadOutcome } from '../../../src/lifecycle/outcome.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeSession } from '../../support/fake-session.js';

const TOKEN = 'a'.repeat(32);
const SESSION_TIMEOUT_MS = 30_000;
const PROGRESS_MS = 500;

/**
 * A pod's generation: in production random, with no order of its own. These read like the base-36 start
 * times of earlier protocols, so that a test can show a later pod whose generation reads earlier.
 */
const gen = (startedAtMs: number, random = 'r') => `${startedAtMs.toString(36)}-${random}`;

function hello(index: number, generation = gen(1000 + index), size = 3): Hello {
  return { t: 'hello', v: PROTOCOL_VERSION, job: 'job', uid: '', size, index, gen: generation, role: 'member', nonce: '0'.repeat(32), mac: '' };
}

/** Index 0 of a group, on fake time, with its datagrams recorded and the members' sessions in the test's hands. */
function setUp(size = 3, topology: Topology = 'star', restarts = 0, stallTimeoutMs = 0, { min = size, lastCallMs = 0 } = {}) {
  const clock = new FakeClock();
  const datagrams = { sent: [] as { address: string; port: number; datagram: Datagram }[], closed: false };
  let ackByDatagram: (token: string, barrier: string) => void = () => {};
  const seen: number[] = [];
  const stops: Stop[] = [];
  const finished: { round: number; outcomes: WorkloadOutcome[] }[] = [];
  const role = new Coordinator({
    size,
    min,
    lastCallMs,
    topology,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    progressIntervalMs: PROGRESS_MS,
    reasonFor: () => 'no-such-name',
    onSeen: (index) => seen.push(index),
    restarts,
    fatalExitCodes: new Set([78]),
    stallTimeoutMs,
    onStop: (stop) => stops.push(stop),
    onAllFinished: (round, outcomes) => finished.push({ round, outcomes: [...outcomes.values()] }),
    clock,
    openDatagrams: (onAck) => {
      ackByDatagram = onAck;
      return {
        send: (address, port, datagram) => (datagrams.sent.push({ address, port, datagram }), true),
        close: () => void (datagrams.closed = true),
      };
    },
  });
  const join = (index: number, generation?: string) => {
    const session = new FakeSession(`10.0.0.${10 + index}`);
    role.addMember(session, hello(index, generation, size));
    return session;
  };
  const settledFlag = (barrier: string) => {
    const flag = { settled: false };
    void role.released(barrier).then(() => (flag.settled = true));
    return flag;
  };
  return { role, clock, datagrams, seen, stops, finished, join, settledFlag, ackByDatagram: (token: string, barrier: string) => ackByDatagram(token, barrier) };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('arrivals and the release', () => {
  test('nobody is released until the last arrival; then everyone is, at once, with the roster', async () => {
    const { role, join, settledFlag } = setUp();
    const [one, two] = [join(1), join(2)];
    const released = settledFlag('start');
    one.receive({ t: 'arrive', barrier: 'start', addrs: ['10.0.0.11'] });
    role.arrive('start', ['10.0.0.10']);
    await flush();
    expect(released.settled).toBe(false);
    expect(one.sentOf('release')).toEqual([]);
    two.receive({ t: 'arrive', barrier: 'start', addrs: ['10.0.0.12'] });
    await flush();
    expect(released.settled).toBe(true);
    const roster = [['10.0.0.10'], ['10.0.0.11'], ['10.0.0.12']];
    expect(await role.released('start')).toEqual({ roster });
    for (const session of [one, two]) expect(session.sentOf('release')).toEqual([{ t: 'release', barrier: 'start', roster }]);
  });

  test('the roster goes with the release up to 256 pods, and not above', async () => {
    for (const [size, withRoster] of [[256, true], [257, false]] as const) {
      const { role, join } = setUp(size);
      const sessions = Array.from({ length: size - 1 }, (_, i) => join(i + 1));
      for (const session of sessions) session.receive({ t: 'arrive', barrier: 'start', addrs: [] });
      role.arrive('start', []);
      expect((await role.released('start')).roster !== undefined, `size ${size}`).toBe(withRoster);
    }
  });

  test('in a mesh the release carries no roster: every member checked everyone itself', async () => {
    const { role, join } = setUp(2, 'mesh');
    const one = join(1);
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    expect(await role.released('start')).toEqual({ roster: undefined });
    expect(one.sentOf('release')).toEqual([{ t: 'release', barrier: 'start' }]);
  });

  test('a member that arrived and left before the release no longer counts; back and arrived again, it does', async () => {
    const { role, join, settledFlag } = setUp();
    const one = join(1);
    const two = join(2);
    const released = settledFlag('start');
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    one.drop();
    two.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    await flush();
    expect(released.settled).toBe(false);
    expect(role.view('start').missing).toEqual([[1, 'left']]);
    const back = join(1);
    expect(role.view('start').missing).toEqual([[1, 'still-checking']]);
    back.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    await flush();
    expect(released.settled).toBe(true);
  });

  test('a late joiner after the release is released at once, and its ack is awaited afresh', async () => {
    const { role, join, clock } = setUp(2);
    const first = join(1);
    first.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    first.receive({ t: 'ack', barrier: 'start' });
    first.drop();
    const replacement = join(1, gen(5000));
    replacement.receive({ t: 'arrive', barrier: 'start', addrs: ['10.0.0.99'] });
    expect(replacement.sentOf('release')).toHaveLength(1);
    // A fixed group's members are every index: its releases do not list them.
    expect(replacement.sentOf('release')[0]).not.toHaveProperty('members');
    // Not acked yet: close waits for it, up to its bound.
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    await flush();
    expect(closed).toBe(false);
    replacement.receive({ t: 'ack', barrier: 'start' });
    await flush();
    expect(closed).toBe(true);
    expect(clock.now()).toBe(0);
  });

  test('the same pod\'s arrival, re-sent while its release was on the way, is not awaited again', async () => {
    const { role, join } = setUp(2);
    const member = join(1);
    member.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    member.receive({ t: 'ack', barrier: 'start' });
    member.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    member.drop();
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    await flush();
    expect(closed).toBe(true);
  });
});

describe('one session per index', () => {
  test('a new session from the same pod replaces its old one', () => {
    const { role, join } = setUp();
    const old = join(1, gen(2000));
    const fresh = join(1, gen(2000));
    expect(old.closed).toBe(true);
    expect(fresh.closed).toBe(false);
    expect(role.view('start').missing.map(([index]) => index)).not.toContain(1);
  });

  test('a pod not met before at the index replaces the one there, whatever its generation reads (no clock is compared)', () => {
    const { join } = setUp();
    const older = join(1, gen(3000));
    const newer = join(1, gen(2000));
    expect(older.closed).toBe(true);
    expect(newer.closed).toBe(false);
    expect(newer.sentOf('refuse')).toEqual([]);
  });

  test('a pod once replaced is refused from then on: while its successor holds the index, and after it left', () => {
    const { join } = setUp();
    const first = join(1, gen(2000));
    const successor = join(1, gen(1000));
    const back = join(1, gen(2000));
    expect(back.sentOf('refuse')).toEqual([{ t: 'refuse', reason: 'superseded by a newer pod with index 1' }]);
    expect(back.ended).toBe(true);
    expect(first.closed).toBe(true);
    expect(successor.closed).toBe(false);
    successor.drop();
    const again = join(1, gen(2000));
    expect(again.sentOf('refuse')).toHaveLength(1);
    expect(join(1, gen(1000)).sentOf('refuse')).toEqual([]);
  });

  test('a frame a member may not send closes its session', () => {
    const { join } = setUp();
    const one = join(1);
    one.receive({ t: 'bye' });
    expect(one.closed).toBe(true);
  });
});

describe('acks, and datagrams until acked', () => {
  test('an unacked release is re-sent by datagram every 100 ms to where the member said, and stops at its ack', async () => {
    const { role, join, clock, datagrams, ackByDatagram } = setUp(2);
    const one = join(1);
    one.receive({ t: 'nudge', port: 7420, token: TOKEN });
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    expect(datagrams.sent).toEqual([]);
    clock.advance(100);
    expect(datagrams.sent).toEqual([{ address: '10.0.0.11', port: 7420, datagram: { t: 'release', barrier: 'start', token: TOKEN, roster: [[], []] } }]);
    clock.advance(200);
    expect(datagrams.sent).toHaveLength(3);
    ackByDatagram(TOKEN, 'start');
    clock.advance(1000);
    expect(datagrams.sent).toHaveLength(3);
    // Acked: close has nothing to wait for.
    await role.close(10_000);
    expect(one.sentOf('bye')).toHaveLength(1);
    expect(datagrams.closed).toBe(true);
  });

  test('a late joiner\'s release is re-sent by datagram too, once every other member has acked and the nudges had stopped', () => {
    const { role, join, clock, datagrams, ackByDatagram } = setUp(2);
    const first = join(1);
    first.receive({ t: 'nudge', port: 7420, token: TOKEN });
    first.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    ackByDatagram(TOKEN, 'start');
    clock.advance(1000);
    expect(datagrams.sent).toEqual([]);
    first.drop();
    const replacement = join(1, gen(5000));
    const token = 'b'.repeat(32);
    replacement.receive({ t: 'nudge', port: 7421, token });
    replacement.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    clock.advance(100);
    expect(datagrams.sent).toEqual([{ address: '10.0.0.11', port: 7421, datagram: expect.objectContaining({ t: 'release', barrier: 'start', token }) }]);
    ackByDatagram(token, 'start');
    clock.advance(1000);
    expect(datagrams.sent).toHaveLength(1);
  });

  test('the re-sent release goes only to whoever has not acked it', () => {
    const { role, join, clock, datagrams, ackByDatagram } = setUp(3);
    const [one, two] = [join(1), join(2)];
    const other = 'd'.repeat(32);
    one.receive({ t: 'nudge', port: 7420, token: TOKEN });
    two.receive({ t: 'nudge', port: 7420, token: other });
    for (const member of [one, two]) member.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    ackByDatagram(TOKEN, 'start');
    clock.advance(300);
    expect(datagrams.sent.map(({ address }) => address)).toEqual(['10.0.0.12', '10.0.0.12', '10.0.0.12']);
  });

  test('only the start barrier\'s release carries the roster: later barriers need no addresses', async () => {
    const { role, join } = setUp(2);
    const one = join(1);
    for (const barrier of ['start', 'finish-0']) {
      one.receive({ t: 'arrive', barrier, addrs: [] });
      role.arrive(barrier, []);
    }
    await flush();
    expect(one.sentOf('release').map((release) => [release.barrier, 'roster' in release])).toEqual([
      ['start', true],
      ['finish-0', false],
    ]);
  });

  test('an ack before the release counts for nothing', async () => {
    const { role, join } = setUp(2);
    const one = join(1);
    one.receive({ t: 'ack', barrier: 'start' });
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    await flush();
    expect(closed).toBe(false);
  });

  test('the token of a session that closed counts for nobody, not even a new session of the same index', async () => {
    const { role, join, ackByDatagram } = setUp(2);
    const old = join(1);
    old.receive({ t: 'nudge', port: 7420, token: TOKEN });
    old.drop();
    const fresh = join(1);
    fresh.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    ackByDatagram(TOKEN, 'start');
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    await flush();
    expect(closed).toBe(false);
  });

  test('an ack with an unknown token counts for nobody', () => {
    const { role, join, clock, datagrams, ackByDatagram } = setUp(2);
    const one = join(1);
    one.receive({ t: 'nudge', port: 7420, token: TOKEN });
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    ackByDatagram('b'.repeat(32), 'start');
    clock.advance(100);
    expect(datagrams.sent).toHaveLength(1);
  });

  test('a member with no datagram ear gets the release again over its session each progress tick', () => {
    const { role, join, clock, datagrams } = setUp(2);
    const one = join(1);
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    clock.advance(PROGRESS_MS);
    expect(one.sentOf('release')).toHaveLength(2);
    one.receive({ t: 'ack', barrier: 'start' });
    clock.advance(PROGRESS_MS * 4);
    expect(one.sentOf('release')).toHaveLength(2);
    expect(datagrams.sent).toEqual([]);
  });

  test('close waits for acks only up to its bound, then says goodbye to everyone', async () => {
    const { role, join, clock } = setUp(2);
    const one = join(1);
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    clock.advance(9_999);
    await flush();
    expect(closed).toBe(false);
    clock.advance(1);
    await flush();
    expect(closed).toBe(true);
    expect(one.sentOf('bye')).toHaveLength(1);
    expect(one.ended).toBe(true);
    expect(clock.pending).toBe(0);
  });

  test('past the exit barrier, close also waits for every member to hang up (index 0 leaves last), within what is left of its bound', async () => {
    const { role, join, clock } = setUp(3);
    const [one, two] = [join(1), join(2)];
    for (const barrier of ['start', 'finish-0']) {
      for (const member of [one, two]) member.receive({ t: 'arrive', barrier, addrs: [] });
      role.arrive(barrier, []);
    }
    await flush();
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    // The acks come 4 s into the bound; then one member hangs up and the other never does.
    clock.advance(4_000);
    for (const member of [one, two]) for (const barrier of ['start', 'finish-0']) member.receive({ t: 'ack', barrier });
    await flush();
    expect(closed).toBe(false);
    one.drop();
    await flush();
    expect(closed).toBe(false);
    clock.advance(5_999);
    await flush();
    expect(closed).toBe(false);
    clock.advance(1);
    await flush();
    expect(closed).toBe(true);
  });

  test('past the exit barrier, close is done once the last member hangs up', async () => {
    const { role, join } = setUp(2);
    const one = join(1);
    for (const barrier of ['start', 'finish-0']) {
      one.receive({ t: 'arrive', barrier, addrs: [] });
      role.arrive(barrier, []);
      one.receive({ t: 'ack', barrier });
    }
    await flush();
    let closed = false;
    void role.close(10_000).then(() => (closed = true));
    await flush();
    expect(closed).toBe(false);
    one.drop();
    await flush();
    await flush();
    expect(closed).toBe(true);
  });
});

describe('progress and liveness', () => {
  test('while a barrier waits, members hear k/N and who is missing each tick, and only when it changed', () => {
    const { role, join, clock } = setUp();
    const one = join(1);
    role.arrive('start', []);
    clock.advance(PROGRESS_MS);
    expect(one.sentOf('progress')).toEqual([{ t: 'progress', barrier: 'start', ready: 2, missing: [[2, 'no-such-name']] }]);
    clock.advance(PROGRESS_MS * 3);
    expect(one.sentOf('progress')).toHaveLength(1);
    const two = join(2);
    clock.advance(PROGRESS_MS);
    // Nobody is absent now, so who is here and still checking is listed instead.
    expect(one.sentOf('progress').at(-1)).toEqual({ t: 'progress', barrier: 'start', ready: 1, missing: [[1, 'still-checking'], [2, 'still-checking']] });
    expect(two.sentOf('progress')).toHaveLength(1);
    // A member that goes is news too: the next tick says it left.
    two.drop();
    clock.advance(PROGRESS_MS);
    expect(one.sentOf('progress').at(-1)).toEqual({ t: 'progress', barrier: 'start', ready: 2, missing: [[2, 'left']] });
  });

  test('a released barrier has no more progress to tell: a pod that joins after the release hears none of it, nor does anyone', async () => {
    const { role, join, clock } = setUp(2);
    const one = join(1);
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    role.arrive('start', []);
    await flush();
    one.receive({ t: 'ack', barrier: 'start' });
    one.drop();
    const replacement = join(1, gen(5000));
    clock.advance(PROGRESS_MS * 2);
    expect([...one.sentOf('progress'), ...replacement.sentOf('progress')]).toEqual([]);
  });

  test('index 0 is not news of a pod seen: only members\' arrivals at the start are', () => {
    const { role, join, seen } = setUp();
    role.arrive('start', []);
    join(1).receive({ t: 'arrive', barrier: 'start', addrs: [] });
    expect(seen.filter((index) => index === 0)).toEqual([]);
    expect(seen).toContain(1);
  });

  test('a named barrier lists who is here and not at it, and who left', () => {
    const { role, join } = setUp();
    const one = join(1);
    join(2).drop();
    role.arrive('exit', []);
    expect(role.view('exit')).toEqual({ ready: 1, missing: [[2, 'left'], [1, 'not-at-barrier']] });
    one.receive({ t: 'arrive', barrier: 'exit', addrs: [] });
    expect(role.view('exit')).toEqual({ ready: 2, missing: [[2, 'left']] });
  });

  test('a silent member is dropped after the session timeout and counts as gone; beats go out meanwhile', () => {
    const { role, join, clock } = setUp();
    const one = join(1);
    clock.advance(SESSION_TIMEOUT_MS / 6);
    expect(one.sentOf('beat')).toHaveLength(1);
    clock.advance(SESSION_TIMEOUT_MS - SESSION_TIMEOUT_MS / 6);
    expect(one.closed).toBe(false);
    clock.advance(SESSION_TIMEOUT_MS / 6);
    expect(one.closed).toBe(true);
    expect(role.view('start').missing).toContainEqual([1, 'left']);
  });

  test('a member that keeps talking is never dropped', () => {
    const { join, clock } = setUp();
    const one = join(1);
    for (let second = 0; second < 120; second++) {
      one.receive({ t: 'beat' });
      clock.advance(1000);
    }
    expect(one.closed).toBe(false);
  });
});

describe('news of joins', () => {
  test('star: a join or an arrival is seen by index 0 and sent to nobody', () => {
    const { join, seen, clock } = setUp();
    const one = join(1);
    const two = join(2);
    two.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    clock.advance(1000);
    expect(seen).toEqual([1, 2, 2]);
    expect([...one.sent, ...two.sent].filter((frame) => frame.t === 'seen')).toEqual([]);
  });

  test('an arrival at a named barrier is no news of a join', () => {
    const { join, seen } = setUp();
    const one = join(1);
    one.receive({ t: 'arrive', barrier: 'exit', addrs: [] });
    expect(seen).toEqual([1]);
  });

  test('mesh: joins go at once to members still checking, then gathered per 50 ms window', () => {
    const { join, clock } = setUp(4, 'mesh');
    const one = join(1);
    clock.advance(0);
    expect(one.sentOf('seen')).toEqual([{ t: 'seen', indexes: [1] }]);
    join(2);
    join(3);
    clock.advance(49);
    expect(one.sentOf('seen')).toHaveLength(1);
    clock.advance(1);
    expect(one.sentOf('seen').at(-1)).toEqual({ t: 'seen', indexes: [2, 3] });
  });

  test('mesh: a member that joins late hears at once who joined before it, itself not included', () => {
    const { join } = setUp(4, 'mesh');
    join(1);
    join(2);
    const three = join(3);
    expect(three.sentOf('seen')).toEqual([{ t: 'seen', indexes: [1, 2] }]);
  });

  test('mesh: that list goes in frames of at most MAX_SEEN indexes', () => {
    const size = MAX_SEEN + 3;
    const { join } = setUp(size, 'mesh');
    for (let index = 1; index < size - 1; index++) join(index);
    const last = join(size - 1);
    const lists = last.sentOf('seen').map((frame) => (frame as { indexes: number[] }).indexes);
    expect(lists.map((list) => list.length)).toEqual([MAX_SEEN, 1]);
    expect(lists.flat()).toEqual(Array.from({ length: size - 2 }, (_, index) => index + 1));
  });

  test('mesh: a member that has arrived hears no more news', () => {
    const { join, clock } = setUp(4, 'mesh');
    const one = join(1);
    clock.advance(0);
    one.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    clock.advance(50);
    const before = one.sentOf('seen').length;
    join(2);
    clock.advance(100);
    expect(one.sentOf('seen')).toHaveLength(before);
  });
});

describe('the group\'s life', () => {
  /** A group of three, released: every member arrived at the start barrier. */
  function running(restarts = 0, stallTimeoutMs = 0) {
    const setup = setUp(3, 'star', restarts, stallTimeoutMs);
    const members = [setup.join(1), setup.join(2)];
    for (const session of members) session.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    setup.role.arrive('start', []);
    return { ...setup, members };
  }
  const failed = { t: 'outcome' as const, round: 0, exit: 3, signal: null, ms: 2500 };

  test('a member\'s failure, reported on its own session, stops everyone: members by frame, index 0 by callback', () => {
    const { members, stops } = running();
    members[1]?.receive(failed);
    const frame = { t: 'stop', round: 0, next: null, index: 2, how: 'exit', exit: 3, signal: null, ms: 2500 };
    for (const session of members) expect(session.sentOf('stop')).toEqual([frame]);
    expect(stops).toEqual([{ round: 0, next: undefined, failure: { index: 2, how: 'exit', exitCode: 3, signal: null, afterMs: 2500 } }]);
  });

  test("a member's progress comes on its own session; one that stops making it is stalled, and every member hears whom", () => {
    const { role, members, stops, clock } = running(0, 5000);
    members[1]?.receive({ t: 'alive', round: 0 });
    clock.advance(300);
    members[0]?.receive({ t: 'alive', round: 0 });
    role.progressed(0);
    for (let step = 0; step < 9; step++) {
      clock.advance(500);
      members[0]?.receive({ t: 'alive', round: 0 });
      role.progressed(0);
    }
    expect(stops).toEqual([]);
    clock.advance(500);
    const frame = members[0]?.sentOf('stop')[0];
    expect(frame).toMatchObject({ t: 'stop', round: 0, next: null, index: 2, how: 'stalled', exit: null, signal: null });
    expect(frame?.stalled?.map(([index]) => index)).toEqual([2]);
    expect(stops[0]?.failure.stalled).toEqual([{ index: 2, silentMs: frame?.stalled?.[0]?.[1] }]);
  });

  test('a member leaving on a signal after its success stops everyone, naming it; index 0 leaving does too', () => {
    const { members, stops } = running();
    members[0]?.receive({ t: 'outcome', round: 0, exit: 0, signal: null, ms: 900 });
    members[0]?.receive({ t: 'leaving', round: 0, signal: 'SIGTERM' });
    expect(members[1]?.sentOf('stop')).toEqual([{ t: 'stop', round: 0, next: null, index: 1, how: 'signal', exit: 0, signal: 'SIGTERM', ms: 900 }]);
    const zero = running();
    zero.role.leaving(0, 'SIGTERM');
    expect(zero.members[0]?.sentOf('stop')).toEqual([expect.objectContaining({ index: 0, how: 'signal', signal: 'SIGTERM' })]);
    expect(stops).toHaveLength(1);
  });

  test("status: the referee's round and outcomes with each member's session (its address, last heard, also once gone), progress told", () => {
    const { role, members, clock } = running();
    members[0]?.receive({ t: 'alive', round: 0 });
    members[1]?.receive({ t: 'outcome', round: 0, exit: 0, signal: null, ms: 10 });
    clock.advance(400);
    members[1]?.drop();
    const status = role.status('job', (index) => `job-${index}`, '10.0.0.10');
    expect(status).toMatchObject({ view: 'index 0', round: 0, phase: 'running', healthy: true });
    expect(status.pods.map((pod) => [pod.state, pod.address, pod.lastHeardMs, pod.lastProgressMs])).toEqual([
      ['running', '10.0.0.10', undefined, undefined],
      ['running', '10.0.0.11', 400, 400],
      ['finished', undefined, 400, undefined],
    ]);
  });

  test('a pod can only report its own outcome: an index in the frame is not read, the session says whose it is', () => {
    const { members, stops } = running();
    members[0]?.receive({ ...failed, index: 2 } as never);
    expect(stops[0]?.failure.index).toBe(1);
  });

  test('an outcome before the start release counts for nothing', () => {
    const { join, stops } = setUp();
    join(1).receive(failed);
    expect(stops).toEqual([]);
  });

  test('index 0\'s own failure and every success are judged alike; all finished is reported once', () => {
    const { role, members, finished, stops } = running();
    for (const session of members) session.receive({ ...failed, exit: 0 });
    role.report(0, { exitCode: 0, signal: null, runMs: 10 });
    expect(finished.map((entry) => entry.outcomes.map((outcome) => outcome.exitCode))).toEqual([[0, 0, 0]]);
    expect(stops).toEqual([]);
  });

  test('a replacement while the round runs stops it, and the replacement hears the verdict too', () => {
    const { join, members, stops } = running(1);
    const replacement = join(1, gen(9000));
    expect(stops[0]).toMatchObject({ round: 0, next: 1, failure: { index: 1, how: 'replaced' } });
    expect(replacement.sentOf('stop')).toHaveLength(1);
    expect(members[1]?.sentOf('stop')).toHaveLength(1);
  });

  test('a replacement for a pod whose workload succeeded this round is told its index is done, the round runs on, and its arrival at the exit barrier counts', () => {
    const { role, join, members, stops } = running(1);
    members[0]?.receive({ ...failed, exit: 0 });
    members[0]?.drop();
    const replacement = join(1, gen(9000));
    expect(replacement.sentOf('done')).toEqual([{ t: 'done', round: 0 }]);
    expect(replacement.sentOf('stop')).toEqual([]);
    expect(stops).toEqual([]);
    expect(members[1]?.sentOf('done')).toEqual([]);
    replacement.receive({ t: 'arrive', barrier: 'finish-0', addrs: [] });
    members[1]?.receive({ ...failed, exit: 0 });
    members[1]?.receive({ t: 'arrive', barrier: 'finish-0', addrs: [] });
    role.arrive('finish-0', []);
    expect(replacement.sentOf('release').map((frame) => frame.barrier)).toContain('finish-0');
  });

  test('a pod joining after the verdict hears it first; the restart round, once everyone arrives, is judged anew', () => {
    const { role, join, members, stops } = running(1);
    members[0]?.receive(failed);
    members[0]?.drop();
    const back = join(1, gen(9000));
    expect(back.sentOf('stop')).toEqual([expect.objectContaining({ round: 0, next: 1 })]);
    for (const session of [back, members[1]]) session?.receive({ t: 'arrive', barrier: 'round-1', addrs: [] });
    role.arrive('round-1', []);
    back.receive({ ...failed, round: 1 });
    expect(stops.map((stop) => [stop.round, stop.next, stop.failure.index])).toEqual([
      [0, 1, 1],
      [1, undefined, 1],
    ]);
  });

  test('a new index 0: the members\' verdict (told before their arrivals) sets the round; start releases, then the restart round runs and is judged', () => {
    const { role, join, stops } = setUp(3, 'star', 1);
    const verdict = { t: 'stop' as const, round: 0, next: 1, index: 0, how: 'vanished' as const, exit: null, signal: null, ms: 4000 };
    const members = [join(1), join(2)];
    for (const [offset, session] of members.entries()) {
      session.receive(verdict);
      session.receive({ t: 'arrive', barrier: 'start', addrs: [`10.0.0.${11 + offset}`] });
    }
    role.arrive('start', ['10.0.0.10']);
    expect(stops).toEqual([{ round: 0, next: 1, failure: { index: 0, how: 'vanished', exitCode: null, signal: null, afterMs: 4000 } }]);
    // The round was stopped before this index 0 came: an outcome of it is history.
    members[0]?.receive({ t: 'outcome', round: 0, exit: 3, signal: null, ms: 10 });
    expect(stops).toHaveLength(1);
    for (const session of members) session.receive({ t: 'arrive', barrier: 'round-1', addrs: [] });
    role.arrive('round-1', []);
    members[1]?.receive({ t: 'outcome', round: 1, exit: 2, signal: null, ms: 10 });
    expect(stops.at(-1)).toMatchObject({ round: 1, next: undefined, failure: { index: 2, exitCode: 2 } });
  });

  test('a member whose session drops and is not back within the session timeout vanished', () => {
    const { clock, members, stops } = running();
    members[0]?.drop();
    clock.advance(SESSION_TIMEOUT_MS - 1);
    expect(stops).toEqual([]);
    clock.advance(1);
    expect(stops[0]?.failure).toMatchObject({ index: 1, how: 'vanished' });
  });

  test('the same pod reconnecting (same generation) while the round runs is no failure', () => {
    const { join, members, stops } = running();
    members[0]?.drop();
    join(1);
    expect(stops).toEqual([]);
  });

  test('a vanished member is timed from the last thing heard from it, not from the close', () => {
    const { clock, members, stops } = running();
    clock.advance(SESSION_TIMEOUT_MS / 2);
    for (const session of members) session.receive({ t: 'beat' });
    clock.advance(SESSION_TIMEOUT_MS / 4);
    members[1]?.receive({ t: 'beat' });
    members[0]?.drop();
    clock.advance(SESSION_TIMEOUT_MS - SESSION_TIMEOUT_MS / 4 - 1);
    expect(stops).toEqual([]);
    clock.advance(1);
    expect(stops[0]?.failure).toMatchObject({ index: 1, how: 'vanished' });
  });

  test('a checkpoint barrier released mid-round leaves the round as it was', () => {
    const { role, members, finished } = running();
    members[0]?.receive({ ...failed, exit: 0 });
    for (const session of members) session.receive({ t: 'arrive', barrier: 'checkpoint', addrs: [] });
    role.arrive('checkpoint', []);
    members[1]?.receive({ ...failed, exit: 0 });
    role.report(0, { exitCode: 0, signal: null, runMs: 1 });
    expect(finished).toHaveLength(1);
  });

  test('after close, members leaving are no failure', async () => {
    const { role, clock, stops } = running();
    const closing = role.close(0);
    clock.advance(1);
    await closing;
    clock.advance(SESSION_TIMEOUT_MS * 2);
    expect(stops).toEqual([]);
  });
});

describe('index 0 leaves last', () => {
  /** A group of two whose member arrived at `barrier`, was released and acked; close has begun. */
  function closingAfter(barrier: string) {
    const setup = setUp(2);
    const member = setup.join(1);
    member.receive({ t: 'arrive', barrier, addrs: [] });
    setup.role.arrive(barrier, []);
    member.receive({ t: 'ack', barrier });
    const flag = { closed: false };
    void setup.role.close(10_000).then(() => (flag.closed = true));
    return { ...setup, member, flag };
  }

  test('past an exit barrier, close waits for every member to hang up', async () => {
    const { member, flag, clock } = closingAfter('finish-0');
    await flush();
    expect(flag.closed).toBe(false);
    member.drop();
    await flush();
    expect(flag.closed).toBe(true);
    expect(clock.now()).toBe(0);
  });

  test('a member that never hangs up holds close only up to its bound', async () => {
    const { flag, clock } = closingAfter('finish-0');
    clock.advance(9_999);
    await flush();
    expect(flag.closed).toBe(false);
    clock.advance(1);
    await flush();
    expect(flag.closed).toBe(true);
  });

  test('without an exit barrier (a failure, an init container\'s wait), close does not wait for anyone to hang up', async () => {
    const { flag } = closingAfter('start');
    await flush();
    expect(flag.closed).toBe(true);
  });
});

describe('an elastic group (MIN:MAX)', () => {
  const LAST_CALL_MS = 5000;
  const elastic = (restarts = 0) => setUp(4, 'star', restarts, 0, { min: 2, lastCallMs: LAST_CALL_MS });
  const arrive = (session: FakeSession, barrier: string) => session.receive({ t: 'arrive', barrier, addrs: [] });

  test('at MIN and more, with everyone here arrived, it releases once the last call passes with no newcomer, naming the members; a newcomer calls again', async () => {
    const { role, clock, join, settledFlag } = elastic();
    const released = settledFlag('start');
    const one = join(1);
    arrive(one, 'start');
    role.arrive('start', []);
    clock.advance(LAST_CALL_MS - 1000);
    const two = join(2);
    clock.advance(500);
    arrive(two, 'start');
    // The first call would have ended now: the newcomer's arrival called again.
    clock.advance(500);
    await flush();
    expect(released.settled).toBe(false);
    clock.advance(LAST_CALL_MS - 501);
    await flush();
    expect(released.settled).toBe(false);
    clock.advance(1);
    await flush();
    expect(released.settled).toBe(true);
    expect(await role.released('start')).toMatchObject({ members: [0, 1, 2] });
    for (const session of [one, two]) expect(session.sentOf('release')).toEqual([expect.objectContaining({ barrier: 'start', members: '0-2' })]);
  });

  test('below MIN nothing releases, however long; a pod here and on its way holds a quorum; at MAX it releases at once', async () => {
    const { role, clock, join, settledFlag } = elastic();
    const released = settledFlag('start');
    role.arrive('start', []);
    clock.advance(LAST_CALL_MS * 10);
    await flush();
    expect(released.settled).toBe(false);
    for (const index of [1, 2]) arrive(join(index), 'start');
    const three = join(3);
    clock.advance(LAST_CALL_MS * 3);
    await flush();
    expect(released.settled).toBe(false);
    arrive(three, 'start');
    await flush();
    expect(released.settled).toBe(true);
    expect(await role.released('start')).toMatchObject({ members: [0, 1, 2, 3] });
  });

  test('a pod that joins a running round grows the group: a verdict that uses no restart, and the next round releases with it', async () => {
    const { role, clock, join, stops, settledFlag } = elastic();
    const sessions = [join(1), join(2)];
    for (const session of sessions) arrive(session, 'start');
    role.arrive('start', []);
    clock.advance(LAST_CALL_MS);
    await flush();
    const three = join(3);
    expect(stops).toEqual([{ round: 0, next: 1, used: 0, failure: expect.objectContaining({ index: 3, how: 'joined', membership: true }) }]);
    expect(three.sentOf('stop')).toEqual([expect.objectContaining({ how: 'joined', next: 1, membership: true })]);
    const next = settledFlag('round-1');
    for (const session of [...sessions, three]) arrive(session, 'round-1');
    role.arrive('round-1', []);
    await flush();
    expect(next.settled).toBe(true);
    expect(await role.released('round-1')).toMatchObject({ members: [0, 1, 2, 3] });
    // The round's release says the restarts used before it: none, for a pod that never heard a verdict.
    expect(three.sentOf('release').at(-1)).toMatchObject({ barrier: 'round-1', members: '0-3', used: 0 });
  });

  test('a pod arriving late at a round\'s assembly hears the members of the round that runs now, not those that assembly released', async () => {
    const { role, clock, join } = elastic();
    const sessions = [join(1), join(2)];
    for (const session of sessions) arrive(session, 'start');
    role.arrive('start', []);
    clock.advance(LAST_CALL_MS);
    await flush();
    const three = join(3);
    for (const session of [...sessions, three]) arrive(session, 'round-1');
    role.arrive('round-1', []);
    await flush();
    // Index 3's pod is replaced while round 1 runs; the new one assembles at the start, as every pod does.
    three.drop();
    const replacement = join(3, gen(9000));
    arrive(replacement, 'start');
    expect(replacement.sentOf('release')).toEqual([expect.objectContaining({ barrier: 'start', members: '0-3' })]);
  });

  test('a pod leaving on a signal shrinks it in place, using no restart; the next round releases without it after the last call', async () => {
    const { role, clock, join, stops, settledFlag } = elastic();
    const sessions = [join(1), join(2), join(3)];
    for (const session of sessions) arrive(session, 'start');
    role.arrive('start', []);
    await flush();
    const three = sessions[2] as FakeSession;
    three.receive({ t: 'leaving', round: 0, signal: 'SIGTERM' });
    expect(stops.at(-1)).toEqual({ round: 0, next: 1, used: 0, failure: expect.objectContaining({ index: 3, how: 'signal', membership: true }) });
    three.drop();
    const next = settledFlag('round-1');
    for (const session of sessions.slice(0, 2)) arrive(session, 'round-1');
    role.arrive('round-1', []);
    clock.advance(LAST_CALL_MS);
    await flush();
    expect(next.settled).toBe(true);
    expect(await role.released('round-1')).toMatchObject({ members: [0, 1, 2] });
    // The round's own barriers wait for its members only.
    const finish = settledFlag('finish-1');
    for (const session of sessions.slice(0, 2)) arrive(session, 'finish-1');
    role.arrive('finish-1', []);
    await flush();
    expect(finish.settled).toBe(true);
  });

  test('closing, index 0 opens nothing and calls no last call, though the sessions it ends make a quorum (no timer left)', async () => {
    const { role, clock, join, settledFlag } = setUp(4, 'star', 0, 0, { min: 1, lastCallMs: LAST_CALL_MS });
    join(1);
    role.arrive('start', []);
    const released = settledFlag('start');
    // Index 1 is here and on its way: no quorum yet. Index 0 closes, ending its session: index 0 alone would be one.
    await role.close(0);
    await flush();
    expect(released.settled).toBe(false);
    expect(clock.pending).toBe(0);
  });

  test('a pod lost with no restart left is a shrink while MIN remain, and the end of the group below', async () => {
    const { role, clock, join, stops } = elastic();
    const sessions = [join(1), join(2)];
    for (const session of sessions) arrive(session, 'start');
    role.arrive('start', []);
    clock.advance(LAST_CALL_MS);
    await flush();
    (sessions[1] as FakeSession).drop();
    // Index 1 beats on while index 2's silence runs out.
    for (let step = 0; step < 6; step++) {
      (sessions[0] as FakeSession).receive({ t: 'beat' });
      clock.advance(SESSION_TIMEOUT_MS / 6);
    }
    expect(stops.at(-1)).toEqual({ round: 0, next: 1, used: 0, failure: expect.objectContaining({ index: 2, how: 'vanished', membership: true }) });
    for (const session of sessions.slice(0, 1)) arrive(session, 'round-1');
    role.arrive('round-1', []);
    clock.advance(LAST_CALL_MS);
    await flush();
    expect(await role.released('round-1')).toMatchObject({ members: [0, 1] });
    (sessions[0] as FakeSession).drop();
    clock.advance(SESSION_TIMEOUT_MS);
    expect(stops.at(-1)).toEqual({ round: 1, next: undefined, used: 0, failure: expect.objectContaining({ index: 1, how: 'vanished' }) });
    expect(stops.at(-1)?.failure.membership).toBeUndefined();
  });
});
