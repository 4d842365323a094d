import { describe, expect, test } from 'vitest';
import { coordinatorStatus, localStatus, type StatusSources } from '../../../src/barrier/status-report.js';
import type { Stop, WorkloadOutcome } from '../../../src/lifecycle/outcome.js';
import type { Standing } from '../../../src/lifecycle/referee.js';

const NOW = 100_000;
const ok: WorkloadOutcome = { exitCode: 0, signal: null, runMs: 5000 };

/** Index 0 of four pods, members 1 to 3 with sessions unless `gone`, at `NOW` on the referee's clock. */
function sources(
  standing: Partial<Standing>,
  { started = true, gone = [] as number[], arrived = { start: [0, 1, 2, 3], next: [] as number[] }, membership = undefined as StatusSources['membership'] } = {},
): StatusSources {
  return {
    job: 'job',
    size: 4,
    nameOf: (index) => `job-${index}.svc`,
    standing: { round: 0, phase: 'running', verdict: undefined, outcomes: new Map(), progressAt: new Map(), ...standing },
    started,
    arrivedAt: (barrier) => new Set(arrived[barrier]),
    sessionAddress: (index) => (index === 0 || gone.includes(index) ? undefined : '10.0.0.1'),
    heardAt: (index) => NOW - 100 * index,
    ownAddresses: (index) => (index === 3 ? undefined : [`10.0.0.${10 + index}`]),
    ownAddress: '10.0.0.10',
    now: NOW,
    membership,
  };
}

describe("index 0's view", () => {
  test('an elastic group running round 1 with 3 of 4 (index 3 gone): the round\'s size, its members and every round\'s, index 3 outside; healthy', () => {
    const membership = { min: 2, max: 4, members: [0, 1, 2], rounds: [{ round: 0, size: 4 }, { round: 1, size: 3 }] };
    const status = coordinatorStatus(sources({ round: 1 }, { gone: [3], membership }));
    expect(status).toMatchObject({ size: 3, membership, phase: 'running', healthy: true });
    expect(status.pods.map((pod) => pod.state)).toEqual(['running', 'running', 'running', 'outside']);
    // Without the membership, the same pod gone is a pod of the round that disconnected.
    expect(coordinatorStatus(sources({ round: 1 }, { gone: [3] })).pods[3]?.state).toBe('disconnected');
  });

  test('a running round: each pod running, with the address it arrived with (else its session\'s), last heard and last progress', () => {
    const status = coordinatorStatus(sources({ progressAt: new Map([[2, NOW - 700.4]]) }));
    expect(status).toMatchObject({ job: 'job', size: 4, view: 'index 0', from: 0, round: 0, phase: 'running', verdict: undefined, note: undefined, healthy: true });
    expect(status.pods.map((pod) => [pod.state, pod.address, pod.lastHeardMs, pod.lastProgressMs])).toEqual([
      ['running', '10.0.0.10', undefined, undefined],
      ['running', '10.0.0.11', 100, undefined],
      ['running', '10.0.0.12', 200, 700],
      ['running', '10.0.0.1', 300, undefined],
    ]);
  });

  test('before the release: here or arrived is waiting, absent is missing; not healthy', () => {
    const status = coordinatorStatus(sources({ phase: 'assembling' }, { started: false, gone: [2, 3], arrived: { start: [0, 3], next: [] } }));
    expect(status.pods.map((pod) => pod.state)).toEqual(['waiting', 'waiting', 'missing', 'waiting']);
    expect(status).toMatchObject({ phase: 'waiting', healthy: false });
  });

  test('outcomes: finished with its code, failed with its signal; a member without a session and no outcome is disconnected', () => {
    const outcomes = new Map<number, WorkloadOutcome>([
      [1, ok],
      [3, { exitCode: null, signal: 'SIGKILL', runMs: 10 }],
    ]);
    const status = coordinatorStatus(sources({ outcomes }, { gone: [1, 2] }));
    expect(status.pods.map((pod) => [pod.state, pod.exitCode, pod.signal])).toEqual([
      ['running', undefined, undefined],
      ['finished', 0, null],
      ['disconnected', undefined, undefined],
      ['failed', null, 'SIGKILL'],
    ]);
    expect(status.healthy).toBe(false);
    const done = coordinatorStatus(sources({ phase: 'finished', outcomes: new Map([0, 1, 2, 3].map((index) => [index, ok])) }, { gone: [1, 2, 3] }));
    expect(done).toMatchObject({ phase: 'finished', healthy: true });
  });

  test('a stopped round: the failure named by how it failed, those stalled with it, the rest stopped or waiting for the restart round', () => {
    const stalled: Stop = { round: 2, next: 3, failure: { index: 1, how: 'stalled', exitCode: null, signal: null, afterMs: 9000, stalled: [{ index: 1, silentMs: 9000 }, { index: 3, silentMs: 8000 }] } };
    const status = coordinatorStatus(sources({ round: 2, phase: 'stopped', verdict: stalled }, { arrived: { start: [0, 1, 2, 3], next: [2] } }));
    expect(status.pods.map((pod) => pod.state)).toEqual(['stopped', 'stalled', 'waiting', 'stalled']);
    // The one waiting at the restart round's barrier is in that round already.
    expect(status.pods.map((pod) => pod.round)).toEqual([2, 2, 3, 2]);
    expect(status.verdict).toEqual({ failure: { index: 1, name: 'job-1.svc', how: 'stalled', exitCode: null, signal: null, afterMs: 9000, stalled: [{ index: 1, name: 'job-1.svc', silentMs: 9000 }, { index: 3, name: 'job-3.svc', silentMs: 8000 }] }, next: 3 });
    expect(status).toMatchObject({ phase: 'stopped', round: 2, healthy: false });
    for (const [how, state] of [['exit', 'failed'], ['signal', 'failed'], ['vanished', 'vanished'], ['replaced', 'replaced']] as const) {
      const verdict: Stop = { round: 0, next: undefined, failure: { index: 2, how, exitCode: null, signal: null, afterMs: 1 } };
      expect(coordinatorStatus(sources({ phase: 'stopped', verdict })).pods[2]?.state).toBe(state);
    }
  });
});

describe("a member's own view, when index 0 cannot be asked", () => {
  const peers = [0, 1, 2].map((index) => ({ index, name: `job-${index}.svc`, address: index === 1 ? '10.0.0.11' : undefined, addresses: [`10.0.1.${index}`] }));
  const base = { job: 'job', self: 1, peers, round: 1, coordinator: { connected: false, lastHeardMs: 12_000 }, note: 'index 0 could not be asked: timed out' };

  test('itself as it knows itself, index 0 by its session, the others unknown; never healthy', () => {
    const status = localStatus({ ...base, verdict: undefined, own: undefined });
    expect(status).toMatchObject({ view: 'local', from: 1, size: 3, round: 1, phase: 'running', note: base.note, healthy: false });
    expect(status.pods.map((pod) => pod.round)).toEqual([undefined, 1, undefined]);
    expect(status.pods.map((pod) => [pod.state, pod.address, pod.lastHeardMs])).toEqual([
      ['disconnected', '10.0.1.0', 12_000],
      ['running', '10.0.0.11', undefined],
      ['unknown', '10.0.1.2', undefined],
    ]);
    expect(localStatus({ ...base, coordinator: { connected: true, lastHeardMs: 5 }, verdict: undefined, own: ok }).pods.map((pod) => pod.state)).toEqual(['unknown', 'finished', 'unknown']);
  });

  test('a stopped round: named as the verdict names it, else stopped', () => {
    const verdict: Stop = { round: 1, next: 2, failure: { index: 1, how: 'signal', exitCode: null, signal: 'SIGTERM', afterMs: 1 } };
    expect(localStatus({ ...base, verdict, own: undefined })).toMatchObject({ phase: 'stopped', verdict: { failure: { index: 1, name: 'job-1.svc', how: 'signal' }, next: 2 } });
    expect(localStatus({ ...base, verdict, own: undefined }).pods[1]?.state).toBe('failed');
    expect(localStatus({ ...base, self: 2, verdict, own: undefined }).pods[2]?.state).toBe('stopped');
  });
});
