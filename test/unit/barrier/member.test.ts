import { describe, expect, test } from 'vitest';
import type { Connection, CoordinatorSession } from '../../../src/barrier/member-ports.js';
import { Member } from '../../../src/barrier/member.js';
import type { MissingReasonCode } from '../../../src/errors.js';
import type { OnRelease } from '../../../src/transport/release-datagrams.js';
import type { Stop } from '../../../src/lifecycle/outcome.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeSession } from '../../support/fake-session.js';

const SESSION_TIMEOUT_MS = 30_000;
const TOKEN = 'c'.repeat(32);
/** Index 0's pods by generation: the second started later, as its replacement. */
const FIRST_GEN = 'lz0-aaaa';
const SECOND_GEN = 'lz9-bbbb';

/** One series of attempts to reach index 0, that succeeds when the test says. */
class FakeConnection implements Connection {
  reason: MissingReasonCode = 'no-such-name';
  detail: string | undefined = 'NXDOMAIN';
  kicks = 0;
  running = false;
  private succeed: (connected: CoordinatorSession) => void = () => {};

  run(signal: AbortSignal): Promise<CoordinatorSession> {
    this.running = true;
    return new Promise((resolve, reject) => {
      this.succeed = resolve;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  kick(): void {
    this.kicks += 1;
  }

  /** The attempt gets through: here is the session, with the index 0 pod of generation `gen`. */
  connect(session = new FakeSession(), gen = FIRST_GEN): FakeSession {
    this.succeed({ session, gen });
    return session;
  }
}

interface Ear {
  port: number;
  token: string;
  closed: boolean;
  onRelease: OnRelease;
  close(): void;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A member on fake time, its connections and datagram ears in the test's hands. */
function setUp() {
  const clock = new FakeClock();
  const connections: FakeConnection[] = [];
  const ears: Ear[] = [];
  const seen: number[] = [];
  const stops: Stop[] = [];
  const done: number[] = [];
  const vanished = { count: 0 };
  const lost: string[] = [];
  const held: { verdict: Stop | undefined } = { verdict: undefined };
  const role = new Member({
    connection: () => {
      const connection = new FakeConnection();
      connections.push(connection);
      return connection;
    },
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    openDatagramEar: async (_session, onRelease) => {
      const ear: Ear = { port: 7420, token: TOKEN, closed: false, onRelease, close: () => void (ear.closed = true) };
      ears.push(ear);
      return ear;
    },
    onSeen: (index) => seen.push(index),
    onStop: (stop) => stops.push(stop),
    onDone: (round) => done.push(round),
    onCoordinatorLost: (how) => {
      lost.push(how);
      if (how === 'vanished') vanished.count++;
    },
    verdict: () => held.verdict,
    clock,
  });
  const stop = new AbortController();
  role.start(stop.signal);
  const latest = () => connections.at(-1) as FakeConnection;
  const connect = async (gen = FIRST_GEN) => {
    const session = latest().connect(new FakeSession(), gen);
    await flush();
    return session;
  };
  const settledFlag = (barrier: string) => {
    const flag = { settled: false };
    void role.released(barrier).then(() => (flag.settled = true));
    return flag;
  };
  return { role, clock, connections, ears, seen, stops, done, vanished, lost, held, latest, connect, settledFlag, stop };
}

describe('the session to index 0', () => {
  test('before it connects, index 0 is missing for the reason its attempts give', () => {
    const { role } = setUp();
    expect(role.missingLinks()).toEqual([{ index: 0, reason: 'no-such-name', detail: 'NXDOMAIN' }]);
  });

  test('connected, nothing is missing; lost, index 0 has left the group and a new series of attempts starts', async () => {
    const { role, connections, connect } = setUp();
    const session = await connect();
    expect(role.missingLinks()).toEqual([]);
    session.drop();
    await flush();
    expect(role.missingLinks()).toEqual([{ index: 0, reason: 'left', detail: undefined }]);
    expect(connections).toHaveLength(2);
    expect(connections[1]?.running).toBe(true);
  });

  test('its link as `rollcall status` shows it: not connected; connected, heard from at each frame; not connected once lost', async () => {
    const { role, clock, connect } = setUp();
    expect(role.link()).toEqual({ connected: false, heardAt: undefined });
    clock.advance(1000);
    const session = await connect();
    expect(role.link()).toEqual({ connected: true, heardAt: 1000 });
    clock.advance(2000);
    session.receive({ t: 'beat' });
    expect(role.link()).toEqual({ connected: true, heardAt: 3000 });
    session.drop();
    await flush();
    expect(role.link()).toEqual({ connected: false, heardAt: 3000 });
  });

  test('a handshake from index 0 cuts the backoff short; from anyone else it does not', () => {
    const { role, latest } = setUp();
    role.heardFrom(3, FIRST_GEN);
    expect(latest().kicks).toBe(0);
    role.heardFrom(0, FIRST_GEN);
    expect(latest().kicks).toBe(1);
  });

  test('after index 0 says goodbye it is not called again until it calls', async () => {
    const { role, connections, connect } = setUp();
    const session = await connect();
    session.receive({ t: 'bye' });
    session.drop();
    await flush();
    expect(connections).toHaveLength(2);
    expect(connections[1]?.running).toBe(false);
    role.heardFrom(0, FIRST_GEN);
    await flush();
    expect(connections[1]?.running).toBe(true);
  });

  test('a silent index 0 is dropped after the session timeout; beats go out meanwhile', async () => {
    const { clock, connect } = setUp();
    const session = await connect();
    clock.advance(SESSION_TIMEOUT_MS / 6);
    expect(session.sentOf('beat')).toHaveLength(1);
    clock.advance(SESSION_TIMEOUT_MS - SESSION_TIMEOUT_MS / 6);
    expect(session.closed).toBe(false);
    clock.advance(SESSION_TIMEOUT_MS / 6);
    expect(session.closed).toBe(true);
  });

  test('a frame index 0 may not send closes the session', async () => {
    const { connect } = setUp();
    const session = await connect();
    session.receive({ t: 'arrive', barrier: 'start', addrs: [] });
    expect(session.closed).toBe(true);
  });

  test('close ends the session and stops reconnecting', async () => {
    const { role, connections, connect } = setUp();
    const session = await connect();
    await role.close();
    await flush();
    expect(session.ended).toBe(true);
    expect(connections).toHaveLength(2);
    expect(connections[1]?.running).toBe(false);
  });
});

describe('arrivals and releases', () => {
  test('an arrival made before the session goes out once it is up; one made after, at once', async () => {
    const { role, connect } = setUp();
    role.arrive('start', ['10.0.0.11']);
    const session = await connect();
    expect(session.sentOf('arrive')).toEqual([{ t: 'arrive', barrier: 'start', addrs: ['10.0.0.11'] }]);
    role.arrive('exit', []);
    expect(session.sentOf('arrive').at(-1)).toEqual({ t: 'arrive', barrier: 'exit', addrs: [] });
  });

  test('an arrival is re-sent every second until its release, then acked and never again', async () => {
    const { role, clock, connect, settledFlag } = setUp();
    role.arrive('start', []);
    const session = await connect();
    const released = settledFlag('start');
    clock.advance(2000);
    expect(session.sentOf('arrive')).toHaveLength(3);
    session.receive({ t: 'release', barrier: 'start', roster: [['10.0.0.10'], []] });
    await flush();
    expect(released.settled).toBe(true);
    expect(await role.released('start')).toEqual({ roster: [['10.0.0.10'], []] });
    expect(session.sentOf('ack')).toEqual([{ t: 'ack', barrier: 'start' }]);
    clock.advance(5000);
    expect(session.sentOf('arrive')).toHaveLength(3);
  });

  test('a new session to index 0 hears every arrival again', async () => {
    const { role, connect } = setUp();
    role.arrive('start', []);
    (await connect()).drop();
    await flush();
    const again = await connect();
    expect(again.sentOf('arrive')).toEqual([{ t: 'arrive', barrier: 'start', addrs: [] }]);
  });

  test('progress from index 0 is the view; its news of joins goes to the checks', async () => {
    const { role, seen, connect } = setUp();
    const session = await connect();
    expect(role.view('start')).toBeUndefined();
    session.receive({ t: 'progress', barrier: 'start', ready: 2, missing: [[2, 'no-such-name']] });
    expect(role.view('start')).toEqual({ ready: 2, missing: [[2, 'no-such-name']] });
    session.receive({ t: 'seen', indexes: [2, 3] });
    expect(seen).toEqual([2, 3]);
  });
});

describe('progress', () => {
  test('goes to index 0 as "alive" at most every 250 ms, the latest in a window sent as it ends, never dropped', async () => {
    const { role, clock, connect } = setUp();
    role.progressed(0);
    const session = await connect();
    // The first call went nowhere (no session yet) and opened a window: these wait for its end.
    role.progressed(0);
    role.progressed(0);
    expect(session.sentOf('alive')).toEqual([]);
    clock.advance(250);
    expect(session.sentOf('alive')).toEqual([{ t: 'alive', round: 0 }]);
    clock.advance(300);
    role.progressed(0);
    expect(session.sentOf('alive')).toHaveLength(2);
    // Inside the window, a new round's progress goes at its end, as the latest.
    role.progressed(0);
    role.progressed(1);
    clock.advance(249);
    expect(session.sentOf('alive')).toHaveLength(2);
    clock.advance(1);
    expect(session.sentOf('alive').at(-1)).toEqual({ t: 'alive', round: 1 });
    expect(session.sentOf('alive')).toHaveLength(3);
  });
});

describe('the datagram ear', () => {
  test('each session gets one, and index 0 is told where it is and what token to carry', async () => {
    const { ears, connect } = setUp();
    const session = await connect();
    expect(ears).toHaveLength(1);
    expect(session.sentOf('nudge')).toEqual([{ t: 'nudge', port: 7420, token: TOKEN }]);
  });

  test('a release by datagram releases and is acked over the session too', async () => {
    const { role, ears, connect, settledFlag } = setUp();
    const session = await connect();
    const released = settledFlag('start');
    ears[0]?.onRelease('start', {});
    await flush();
    expect(released.settled).toBe(true);
    expect(session.sentOf('ack')).toEqual([{ t: 'ack', barrier: 'start' }]);
    expect(role.view('start')).toBeUndefined();
  });

  test('it closes with its session', async () => {
    const { ears, connect } = setUp();
    const session = await connect();
    session.drop();
    expect(ears[0]?.closed).toBe(true);
  });
});

describe('the group\'s life', () => {
  const outcome = { exitCode: 1, signal: null, runMs: 1234.4 };

  test('index 0\'s verdict goes to the rounds as a Stop', async () => {
    const { connect, stops } = setUp();
    const session = await connect();
    session.receive({ t: 'stop', round: 0, next: 1, index: 2, how: 'exit', exit: 1, signal: null, ms: 900 });
    expect(stops).toEqual([{ round: 0, next: 1, failure: { index: 2, how: 'exit', exitCode: 1, signal: null, afterMs: 900 } }]);
  });

  test("index 0's word that this index finished a round already goes to the rounds", async () => {
    const { connect, done } = setUp();
    const session = await connect();
    session.receive({ t: 'done', round: 2 });
    expect(done).toEqual([2]);
  });

  test('this pod\'s outcome goes out at once, and again on every new session until the next one', async () => {
    const { role, connect } = setUp();
    const first = await connect();
    role.report(0, outcome);
    expect(first.sentOf('outcome')).toEqual([{ t: 'outcome', round: 0, exit: 1, signal: null, ms: 1234 }]);
    first.drop();
    await flush();
    const second = await connect();
    expect(second.sentOf('outcome')).toEqual([{ t: 'outcome', round: 0, exit: 1, signal: null, ms: 1234 }]);
  });

  test('index 0 gone for the session timeout after its session closed: it vanished; back in time, it did not', async () => {
    const { clock, connect, vanished } = setUp();
    let session = await connect();
    session.drop();
    await flush();
    clock.advance(SESSION_TIMEOUT_MS - 1);
    session = await connect();
    clock.advance(SESSION_TIMEOUT_MS / 2);
    expect(vanished.count).toBe(0);
    session.drop();
    await flush();
    clock.advance(SESSION_TIMEOUT_MS);
    expect(vanished.count).toBe(1);
  });

  test('after a goodbye, or once this pod closes, index 0\'s absence is no vanishing, and nobody referees', async () => {
    const { role, clock, connect, vanished } = setUp();
    expect(role.refereed).toBe(true);
    const session = await connect();
    session.receive({ t: 'bye' });
    session.drop();
    await flush();
    clock.advance(SESSION_TIMEOUT_MS * 2);
    expect(vanished.count).toBe(0);
    expect(role.refereed).toBe(false);

    const other = setUp();
    await other.connect();
    await other.role.close();
    other.clock.advance(SESSION_TIMEOUT_MS * 2);
    expect(other.vanished.count).toBe(0);
  });

  test('a session with a different index 0 pod: it was replaced, judged before anything is sent, and the verdict told first', async () => {
    const { connect, lost, held, role } = setUp();
    role.arrive('start', ['10.0.0.2']);
    role.report(1, { exitCode: null, signal: 'SIGTERM', runMs: 50 });
    const first = await connect();
    first.drop();
    await flush();
    // Back to the same pod after a blip: nothing was lost.
    const again = await connect(FIRST_GEN);
    expect(lost).toEqual([]);
    expect(again.sentOf('stop')).toEqual([]);
    again.drop();
    await flush();
    held.verdict = { round: 1, next: 2, failure: { index: 0, how: 'replaced', exitCode: null, signal: null, afterMs: 900 } };
    const replacement = await connect(SECOND_GEN);
    expect(lost).toEqual(['replaced']);
    expect(replacement.sent.map((frame) => frame.t).slice(0, 3)).toEqual(['stop', 'arrive', 'outcome']);
    expect(replacement.sentOf('stop')).toEqual([{ t: 'stop', round: 1, next: 2, index: 0, how: 'replaced', exit: null, signal: null, ms: 900 }]);
  });

  test('a handshake from an index 0 pod never heard of drops the session with the old one (half-open after a kill); from the same pod it does not', async () => {
    const { role, connect } = setUp();
    const session = await connect(SECOND_GEN);
    role.heardFrom(0, SECOND_GEN);
    expect(session.closed).toBe(false);
    // Its generation reads as an earlier start: no clock is compared.
    role.heardFrom(0, FIRST_GEN);
    expect(session.closed).toBe(true);
  });

  test('an index 0 pod this pod left for another, by the name leading elsewhere, dials in vain: its session is kept', async () => {
    const { role, connect } = setUp();
    const first = await connect(FIRST_GEN);
    role.heardFrom(0, SECOND_GEN);
    expect(first.closed).toBe(true);
    await flush();
    // The name still leads to the first pod: the second is the older from now on.
    const again = await connect(FIRST_GEN);
    role.heardFrom(0, SECOND_GEN);
    expect(again.closed).toBe(false);
    role.heardFrom(0, FIRST_GEN);
    expect(again.closed).toBe(false);
  });

  test('leaving is told once, on the session there is, and not again on a new one', async () => {
    const { role, connect } = setUp();
    const first = await connect();
    role.leaving(2, 'SIGTERM');
    expect(first.sentOf('leaving')).toEqual([{ t: 'leaving', round: 2, signal: 'SIGTERM' }]);
    first.drop();
    await flush();
    const second = await connect();
    expect(second.sentOf('leaving')).toEqual([]);
  });
});
