import { Membership } from '../../../src/identity/membership.js';
import { describe, expect, test } from 'vitest';
import { GroupHandle, WHOLE_ROUND_MS } from '../../../src/barrier/group-handle.js';
import { normalizeOutcome } from '../../../src/lifecycle/outcome.js';
import { PeerNames } from '../../../src/barrier/peer-names.js';
import { Deferred, entryOf, type BarrierRole, type Release } from '../../../src/barrier/role.js';
import { PeerFailedError, PeersTimeoutError } from '../../../src/errors.js';
import type { WorkloadOutcome } from '../../../src/lifecycle/outcome.js';
import { Rounds } from '../../../src/lifecycle/rounds.js';
import type { GroupStatus } from '../../../src/lifecycle/group-status.js';
import { FakeClock } from '../../support/fake-clock.js';

const identity = { index: 1, membership: Membership.ofJob('job', 3), subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: 'job-1', podIps: [] };
/** Turns of the microtask queue: enough for a settled promise's callbacks to run. */
const settle = async () => {
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
};

/** A role whose barriers open when the test says, and which records what it is told. */
class FakeRole implements Partial<BarrierRole> {
  readonly arrived: string[] = [];
  readonly reports: [number, WorkloadOutcome][] = [];
  readonly releases = new Map<string, Deferred<Release>>();
  refereed = true;
  arrive(barrier: string): void {
    this.arrived.push(barrier);
  }
  released(barrier: string): Promise<Release> {
    return entryOf(this.releases, barrier, () => new Deferred<Release>()).promise;
  }
  open(barrier: string): void {
    entryOf(this.releases, barrier, () => new Deferred<Release>()).resolve({ roster: undefined });
  }
  report(round: number, outcome: WorkloadOutcome): void {
    this.reports.push([round, outcome]);
  }
  readonly leavings: [number, string][] = [];
  leaving(round: number, signal: string): void {
    this.leavings.push([round, signal]);
  }
}

function setUp() {
  const clock = new FakeClock();
  const role = new FakeRole();
  const rounds = new Rounds((index) => `job-${index}.svc`, () => {}, 0, clock);
  const stopped = new AbortController();
  const shutdowns: number[] = [];
  const lines: string[] = [];
  const fieldsLogged: Record<string, unknown>[] = [];
  const connects: { index: number; role: string; signal: AbortSignal }[] = [];
  const watched: string[] = [];
  const asked: { answer(): Promise<GroupStatus> } = { answer: () => Promise.reject(new Error('connection refused')) };
  const handle = new GroupHandle({
    config: { identity, topology: 'star', timeoutMs: 60_000, exitTimeoutMs: 300_000, closeTimeoutMs: 10_000, sessionTimeoutMs: 10_000, log: (line, fields) => (lines.push(line), fieldsLogged.push(fields ?? {})) },
    role: role as unknown as BarrierRole,
    rounds,
    progress: { watch: (barrier) => (watched.push(barrier), () => {}), progress: (barrier) => ({ barrier, ready: 2, size: 3, missing: [{ index: 0, name: 'job-0.svc', code: 'not-at-barrier', reason: 'not at this barrier yet' }] }) },
    names: new PeerNames(identity),
    checks: { result: (index) => (index === 1 ? { addresses: ['10.0.0.2'], address: '10.0.0.2', rttMs: 0.3 } : undefined) },
    clock,
    stopped: stopped.signal,
    shutdown: async (ms) => {
      shutdowns.push(ms);
    },
    connect: async (index, role, signal) => {
      connects.push({ index, role, signal });
      return { socket: undefined as never, rest: Buffer.alloc(0), index, address: '10.0.0.9' };
    },
    askStatus: () => asked.answer(),
  });
  rounds.begin(0);
  const group = handle.build({ roster: [['10.0.0.1'], ['10.0.0.9'], ['10.0.0.3']] }, { checksMs: 1, releaseMs: 2 });
  return { clock, role, rounds, stopped, shutdowns, lines, fieldsLogged, handle, group, connects, watched, asked };
}

describe('GroupHandle', () => {
  test("each peer as this pod checked it, else as index 0's roster gave it", () => {
    const { group } = setUp();
    expect(group).toMatchObject({ index: 1, size: 3, jobName: 'job', topology: 'star', round: 0 });
    expect(group.self).toEqual({ index: 1, name: 'job-1.svc', fqdn: 'job-1.svc.ns.svc.cluster.local', addresses: ['10.0.0.2'], address: '10.0.0.2', rttMs: 0.3 });
    expect(group.peers[2]).toEqual({ index: 2, name: 'job-2.svc', fqdn: 'job-2.svc.ns.svc.cluster.local', addresses: ['10.0.0.3'], address: undefined, rttMs: undefined });
  });

  test('a barrier arrives, releases when the role does, and times out exactly at its deadline on the clock', async () => {
    const { clock, role, group } = setUp();
    const passed = group.barrier('one', { timeoutMs: 1000 });
    expect(role.arrived).toEqual(['one']);
    role.open('one');
    await expect(passed).resolves.toBeUndefined();
    let outcome: unknown;
    const timing = group.barrier('two', { timeoutMs: 1000 }).catch((error: unknown) => (outcome = error));
    clock.advance(999);
    await settle();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await timing;
    expect(outcome).toBeInstanceOf(PeersTimeoutError);
    expect((outcome as PeersTimeoutError).message).toBe('two barrier timed out after 1s: 2/3 confirmed; missing job-0.svc (not at this barrier yet)');
    expect(() => group.barrier('round-3')).toThrow(TypeError);
  });

  test('an outcome is reported once a round; index 0 gone, a failure is this pod\'s own verdict', () => {
    const { clock, role, group } = setUp();
    clock.advance(1500);
    group.report({ exitCode: 2 });
    group.report({ exitCode: 0 });
    expect(role.reports).toEqual([[0, { exitCode: 2, signal: null, runMs: 1500 }]]);
    expect(group.signal.aborted).toBe(false);
    const alone = setUp();
    alone.role.refereed = false;
    alone.group.report({ signal: 'SIGKILL', runMs: 10 });
    expect(alone.group.signal.reason).toBeInstanceOf(PeerFailedError);
    expect((alone.group.signal.reason as PeerFailedError).failure).toMatchObject({ index: 1, how: 'signal', signal: 'SIGKILL', afterMs: 10 });
  });

  test("a failure index 0 leaves unjudged for a session timeout, its session up, is this pod's own verdict (it ran a round already over)", () => {
    const { clock, role, group, lines } = setUp();
    Object.assign(role, { link: () => ({ connected: true, heardAt: clock.now() }) });
    group.report({ exitCode: 2 });
    clock.advance(9999);
    expect(group.signal.aborted).toBe(false);
    clock.advance(1);
    expect((group.signal.reason as PeerFailedError).failure).toMatchObject({ index: 1, how: 'exit', exitCode: 2 });
    expect(lines.at(-1)).toBe("index 0 has not judged this failure: the round was over before this pod ran it; the failure is this pod's own verdict");
    expect(clock.pending).toBe(0);
  });

  test('index 0 saying goodbye while the failure was on its way (it finished and left, no exit barrier): the failure is this pod\'s own verdict a session timeout on (simulator seed 1469)', () => {
    const { clock, role, group, lines } = setUp();
    Object.assign(role, { link: () => ({ connected: false, heardAt: 0 }) });
    group.report({ exitCode: 2 });
    role.refereed = false;
    clock.advance(10_000);
    expect((group.signal.reason as PeerFailedError).failure).toMatchObject({ index: 1, how: 'exit', exitCode: 2 });
    expect(lines.at(-1)).toBe("index 0 has not judged this failure: it left first; the failure is this pod's own verdict");
  });

  test('index 0 not heard from since the report, its session still up (a cut link not yet timed out), makes no verdict of this failure: its loss is judged as such; the look again ends with the run', () => {
    const { clock, role, group, stopped } = setUp();
    const heardAt = clock.now();
    Object.assign(role, { link: () => ({ connected: true, heardAt }) });
    clock.advance(100);
    group.report({ exitCode: 2 });
    clock.advance(20_000);
    expect(group.signal.aborted).toBe(false);
    stopped.abort();
    expect(clock.pending).toBe(0);
  });

  test("index 0 cut off as the failure went, then its goodbye once the cut heals (it finished meanwhile, no exit barrier): the failure is this pod's own verdict at the next look (simulator seed 13770)", () => {
    const { clock, role, group, lines, stopped } = setUp();
    const heardAt = clock.now();
    Object.assign(role, { link: () => ({ connected: true, heardAt }) });
    clock.advance(100);
    group.report({ exitCode: 2 });
    clock.advance(10_000);
    expect(group.signal.aborted).toBe(false);
    // The cut heals: index 0's goodbye arrives, and no loss of index 0 follows it.
    role.refereed = false;
    clock.advance(9_999);
    expect(group.signal.aborted).toBe(false);
    clock.advance(1);
    expect((group.signal.reason as PeerFailedError).failure).toMatchObject({ index: 1, how: 'exit', exitCode: 2 });
    expect(lines.at(-1)).toBe("index 0 has not judged this failure: it left first; the failure is this pod's own verdict");
    stopped.abort();
    expect(clock.pending).toBe(0);
  });

  test('index 0 judging in time, or its session down (its loss is judged apart), leaves the wait to them; a closed run cancels it', () => {
    const judged = setUp();
    Object.assign(judged.role, { link: () => ({ connected: true, heardAt: 0 }) });
    judged.group.report({ exitCode: 2 });
    judged.rounds.stopped({ round: 0, next: undefined, failure: { index: 2, how: 'exit', exitCode: 1, signal: null, afterMs: 5 } });
    judged.clock.advance(20_000);
    expect((judged.group.signal.reason as PeerFailedError).failure.index).toBe(2);
    const cut = setUp();
    Object.assign(cut.role, { link: () => ({ connected: false, heardAt: 0 }) });
    cut.group.report({ exitCode: 2 });
    cut.clock.advance(20_000);
    expect(cut.group.signal.aborted).toBe(false);
    const closed = setUp();
    closed.group.report({ exitCode: 2 });
    closed.stopped.abort();
    expect(closed.clock.pending).toBe(0);
  });

  test('close after a success waits at the exit barrier, then shuts down within the close timeout', async () => {
    const { role, group, shutdowns, lines } = setUp();
    const closing = group.close();
    await settle();
    expect(role.reports).toEqual([[0, { exitCode: 0, signal: null, runMs: 0 }]]);
    expect(role.arrived).toEqual(['finish-0']);
    expect(lines[0]).toContain('waiting up to 5.0m');
    expect(shutdowns).toEqual([]);
    role.open('finish-0');
    await closing;
    expect(shutdowns).toEqual([10_000]);
  });

  test('the exit barrier is skipped when off, and a failure closes without waiting', async () => {
    const { role, group, shutdowns } = setUp();
    expect(await group.exitBarrier(0)).toBe(false);
    await group.close({ exitCode: 1 });
    expect(role.arrived).toEqual([]);
    expect(shutdowns).toEqual([10_000]);
  });

  test('leave tells index 0 once, reports nothing, waits at no barrier, and shuts down once; close after it is the same close', async () => {
    const { role, group, shutdowns } = setUp();
    expect(() => group.leave('TERM')).toThrowError(TypeError);
    await Promise.all([group.leave('SIGTERM'), group.leave('SIGINT'), group.close()]);
    expect(role.leavings).toEqual([[0, 'SIGTERM']]);
    expect(role.reports).toEqual([]);
    expect(role.arrived).toEqual([]);
    expect(shutdowns).toEqual([10_000]);
  });

  test("status: index 0's answer as it is; when index 0 cannot be asked, this pod's own view, with why", async () => {
    const { group, asked, clock, role } = setUp();
    const answer = { view: 'index 0', healthy: true } as GroupStatus;
    asked.answer = async () => answer;
    expect(await group.status()).toBe(answer);
    asked.answer = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:7420'));
    (role as unknown as { link(): unknown }).link = () => ({ connected: false, heardAt: clock.now() - 2500 });
    group.report({ exitCode: 0 });
    const own = await group.status();
    expect(own).toMatchObject({ view: 'local', from: 1, healthy: false, note: 'index 0 could not be asked: connect ECONNREFUSED 10.0.0.1:7420' });
    expect(own.pods.map((pod) => [pod.state, pod.lastHeardMs])).toEqual([
      ['disconnected', 2500],
      ['finished', undefined],
      ['unknown', undefined],
    ]);
  });

  test('nextRound waits for the round barrier after a stop that names one, and refuses without one', async () => {
    const { rounds, role, group } = setUp();
    await expect(group.nextRound()).rejects.toThrow('still running');
    rounds.stopped({ round: 0, next: 1, failure: { index: 2, how: 'exit', exitCode: 1, signal: null, afterMs: 5 } });
    const next = group.nextRound();
    expect(role.arrived).toEqual(['round-1']);
    role.open('round-1');
    await expect(next).resolves.toBe(1);
    expect(group.round).toBe(1);
    expect(group.signal.aborted).toBe(false);
  });

  test('a later round\'s verdict while waiting moves the wait to that round (a release this pod missed); one that ends the group ends it', async () => {
    const { rounds, role, group } = setUp();
    const stop = (round: number, next: number | undefined) => ({ round, next, failure: { index: 0, how: 'vanished' as const, exitCode: null, signal: null, afterMs: 5 } });
    rounds.stopped(stop(0, 1));
    const next = group.nextRound();
    expect(role.arrived).toEqual(['round-1']);
    rounds.stopped(stop(1, 2));
    await settle();
    expect(role.arrived).toEqual(['round-1', 'round-2']);
    role.open('round-2');
    await expect(next).resolves.toBe(2);
    expect(group.round).toBe(2);
    rounds.stopped(stop(2, 3));
    const last = group.nextRound().catch((error: unknown) => error);
    rounds.stopped(stop(3, undefined));
    await expect(last).resolves.toMatchObject({ name: 'PeerFailedError', round: 3, next: undefined });
  });
});

describe('GroupHandle, the rest of the group\'s life', () => {
  test('without a roster, a peer this pod never checked has no addresses', () => {
    const { handle } = setUp();
    const group = handle.build({ roster: undefined }, { checksMs: 0, releaseMs: 0 });
    expect(group.peers[0]?.addresses).toEqual([]);
    expect(group.peers[1]?.addresses).toEqual(['10.0.0.2']);
  });

  test("a run's time is counted from its round's start on the clock", () => {
    const { clock, role, rounds, group } = setUp();
    clock.advance(2000);
    rounds.begin(1);
    clock.advance(300);
    group.report({ exitCode: 0 });
    expect(role.reports).toEqual([[1, { exitCode: 0, signal: null, runMs: 300 }]]);
  });

  test('a pod waiting there for the whole round (rollcall serve) logs nothing, nor its progress; passing it again is at once', async () => {
    const { group, role, lines, watched } = setUp();
    const opened = group.exitBarrier(WHOLE_ROUND_MS);
    expect(lines.filter((line) => line.includes('exit barrier'))).toEqual([]);
    expect(watched).toEqual([]);
    role.open('finish-0');
    expect(await opened).toBe(true);
    const arrivals = role.arrived.length;
    expect(await group.exitBarrier()).toBe(true);
    expect(role.arrived).toHaveLength(arrivals);
    expect(lines.filter((line) => line.includes('exit barrier'))).toEqual([]);
  });

  test('the exit barrier: true once everyone has finished; at its timeout, false and said', async () => {
    const passing = setUp();
    const opened = passing.group.exitBarrier(1000);
    passing.role.open('finish-0');
    expect(await opened).toBe(true);
    const { clock, group, lines, watched } = setUp();
    let outcome: boolean | undefined;
    // No timeout given: the configured one (5 min).
    const waiting = group.exitBarrier().then((passed) => (outcome = passed));
    clock.advance(299_999);
    await settle();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await waiting;
    expect(outcome).toBe(false);
    expect(watched).toContain('finish-0');
    expect(lines.at(-1)).toBe('exit barrier: finish-0 barrier timed out after 5.0m: 2/3 confirmed; missing job-0.svc (not at this barrier yet); leaving without them');
  });

  test('index 0 logs each index\'s code and time when all have finished, at most 16 of them', () => {
    const { handle, lines, fieldsLogged } = setUp();
    handle.logAllFinished(0, new Map([[0, { exitCode: 0, signal: null, runMs: 1500 }], [1, { exitCode: 0, signal: null, runMs: 90_000 }]]));
    expect(lines.at(-1)).toBe('all 2 workloads finished: 0: exit 0 (1.5s), 1: exit 0 (90s)');
    handle.logAllFinished(2, new Map(Array.from({ length: 18 }, (_, index) => [index, { exitCode: 0, signal: null, runMs: 1000 }])));
    expect(lines.at(-1)).toMatch(/^all 18 workloads finished in restart round 2: 0: exit 0 \(1s\), .*15: exit 0 \(1s\), and 2 more$/);
    expect(fieldsLogged.at(-1)).toMatchObject({ event: 'all-finished', round: 2, outcomes: expect.arrayContaining([{ index: 17, exitCode: 0, runMs: 1000 }]) });
  });
});

describe('GroupHandle.connect', () => {
  test('an index of the group is dialed for the role asked, on a signal that ends with the run', async () => {
    const { group, connects, stopped } = setUp();
    const caller = new AbortController();
    await expect(group.connect(2, 'launch', { signal: caller.signal })).resolves.toMatchObject({ index: 2, address: '10.0.0.9' });
    expect(connects).toHaveLength(1);
    expect(connects[0]).toMatchObject({ index: 2, role: 'launch' });
    const { signal } = connects[0] as { signal: AbortSignal };
    expect(signal.aborted).toBe(false);
    stopped.abort(new Error('closed'));
    expect(signal.aborted).toBe(true);
  });

  test("the caller's signal ends the attempt too; an index outside the group is a RangeError, nothing dialed", async () => {
    const { group, connects } = setUp();
    const caller = new AbortController();
    await group.connect(1, 'launch', { signal: caller.signal });
    caller.abort();
    expect(connects[0]?.signal.aborted).toBe(true);
    for (const index of [-1, 3, 1.5]) await expect(group.connect(index, 'launch')).rejects.toThrow(RangeError);
    expect(connects).toHaveLength(1);
  });
});

describe('normalizeOutcome', () => {
  test('neither code nor signal is success; bad values are TypeErrors', () => {
    expect(normalizeOutcome({}, 7)).toEqual({ exitCode: 0, signal: null, runMs: 7 });
    expect(normalizeOutcome({ signal: 'SIGTERM' }, 7)).toEqual({ exitCode: null, signal: 'SIGTERM', runMs: 7 });
    for (const bad of [{ exitCode: 256 }, { exitCode: -1 }, { exitCode: 1.5 }, { signal: 'TERM' }, { runMs: -1 }, { runMs: Number.NaN }]) {
      expect(() => normalizeOutcome(bad as never, 0)).toThrow(TypeError);
    }
  });
});
