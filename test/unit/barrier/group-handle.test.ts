import { describe, expect, test } from 'vitest';
import { GroupHandle, normalizeOutcome } from '../../../src/barrier/group-handle.js';
import { PeerNames } from '../../../src/barrier/peer-names.js';
import { Deferred, entryOf, type BarrierRole, type Release } from '../../../src/barrier/role.js';
import { PeerFailedError, PeersTimeoutError } from '../../../src/errors.js';
import type { WorkloadOutcome } from '../../../src/lifecycle/outcome.js';
import { Rounds } from '../../../src/lifecycle/rounds.js';
import { FakeClock } from '../../support/fake-clock.js';

const identity = { index: 1, count: 3, jobName: 'job', subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: 'job-1', podIps: [] };
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
}

function setUp() {
  const clock = new FakeClock();
  const role = new FakeRole();
  const rounds = new Rounds((index) => `job-${index}.svc`, () => {}, clock);
  const stopped = new AbortController();
  const shutdowns: number[] = [];
  const lines: string[] = [];
  const handle = new GroupHandle({
    config: { identity, topology: 'star', timeoutMs: 60_000, exitTimeoutMs: 300_000, closeTimeoutMs: 10_000, log: (line) => lines.push(line) },
    role: role as unknown as BarrierRole,
    rounds,
    progress: { watch: () => () => {}, progress: (barrier) => ({ barrier, ready: 2, size: 3, missing: [{ index: 0, name: 'job-0.svc', code: 'not-at-barrier', reason: 'not at this barrier yet' }] }) },
    names: new PeerNames(identity),
    checks: { result: (index) => (index === 1 ? { addresses: ['10.0.0.2'], address: '10.0.0.2', rttMs: 0.3 } : undefined) },
    clock,
    stopped: stopped.signal,
    shutdown: async (ms) => {
      shutdowns.push(ms);
    },
  });
  rounds.begin(0);
  const group = handle.build([['10.0.0.1'], ['10.0.0.9'], ['10.0.0.3']], { checksMs: 1, releaseMs: 2 });
  return { clock, role, rounds, stopped, shutdowns, lines, handle, group };
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
