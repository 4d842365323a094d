import { describe, expect, test } from 'vitest';
import type { SimSettings, WorkloadPlan } from './sim-pod.js';
import { runScenario, simulate, type Fault, type SimResult } from './simulate.js';

const settings = (overrides: Partial<SimSettings> = {}): SimSettings => ({
  size: 4,
  restarts: 0,
  sessionTimeoutMs: 6000,
  timeoutMs: 60_000,
  exitTimeoutMs: 60_000,
  closeTimeoutMs: 2000,
  attemptTimeoutMs: 2000,
  stallTimeoutMs: 0,
  ...overrides,
});

/** A group of `size` starting together, these faults, and workloads that end after 10 s with 0 unless `plan` says. */
function run(overrides: Partial<SimSettings>, faults: Fault[], plan: (index: number, generation: number, round: number) => WorkloadPlan | undefined = () => undefined): Promise<SimResult> {
  const group = settings(overrides);
  return runScenario({ seed: 7, settings: group, startsAt: Array.from({ length: group.size }, (_, index) => index * 10), faults }, (index, generation, round) => plan(index, generation, round) ?? { ends: true, afterMs: 10_000, exitCode: 0 });
}

/** Each pod's exit code, by its id (a replaced pod has its own). */
const exits = (result: SimResult) => Object.fromEntries(result.history.of('exit').map((entry) => [entry.pod, entry.fields.code]));
/** The verdicts the pods hold, as "index:how" by pod. */
const verdicts = (result: SimResult) => result.history.of('verdict').map((entry) => `${entry.pod} round ${String(entry.fields.round)}: ${String(entry.fields.failed)} ${String(entry.fields.how)} next ${String(entry.fields.next)}`);

describe('the group on the simulator: decisions only the protocol makes', () => {
  test('a workload that exits 3: its pod exits 3, every other 75, all naming it, no restart left', async () => {
    const result = await run({}, [], (index) => (index === 2 ? { ends: true, afterMs: 2000, exitCode: 3 } : { ends: false }));
    expect(result.violations).toEqual([]);
    expect(exits(result)).toEqual({ 'pod-0.0': 75, 'pod-1.0': 75, 'pod-2.0': 3, 'pod-3.0': 75 });
    for (const verdict of verdicts(result)) expect(verdict).toMatch(/round 0: 2 exit next null$/);
  });

  test('with a restart left, the same failure starts round 1 everywhere, and every pod ends 0', async () => {
    const result = await run({ restarts: 1 }, [], (index, _, round) => (index === 2 && round === 0 ? { ends: true, afterMs: 2000, exitCode: 3 } : undefined));
    expect(result.violations).toEqual([]);
    expect(Object.values(exits(result))).toEqual([0, 0, 0, 0]);
    expect(new Set(result.history.of('running').filter((entry) => entry.fields.round === 1).map((entry) => entry.index))).toEqual(new Set([0, 1, 2, 3]));
  });

  test('index 0 killed mid-round and replaced: the members judge the round themselves, the new index 0 takes it from them, round 1 runs everywhere', async () => {
    const result = await run({ restarts: 1 }, [{ kind: 'kill', index: 0, at: 5000, replaceAfterMs: 1000 }]);
    expect(result.violations).toEqual([]);
    expect(exits(result)).toEqual({ 'pod-0.1': 0, 'pod-1.0': 0, 'pod-2.0': 0, 'pod-3.0': 0 });
    for (const verdict of verdicts(result).filter((line) => !line.startsWith('pod-0.1'))) expect(verdict).toMatch(/round 0: 0 (vanished|replaced) next 1$/);
    // The new index 0 never ran the stopped round.
    expect(result.history.of('running').filter((entry) => entry.pod === 'pod-0.1').map((entry) => entry.fields.round)).toEqual([1]);
  });

  test('a member cut off longer than the session timeout, restarts left: index 0 calls it vanished, and round 1 runs once it is back', async () => {
    const result = await run({ restarts: 1, sessionTimeoutMs: 3000 }, [{ kind: 'partition', index: 3, at: 4000, forMs: 9000 }]);
    expect(result.violations).toEqual([]);
    expect(result.history.of('judged').map((entry) => `${String(entry.fields.failed)} ${String(entry.fields.how)}`)).toEqual(['3 vanished']);
    expect(Object.values(exits(result))).toEqual([0, 0, 0, 0]);
  });

  test("a workload that hangs just before index 0's sessions blip is still named stalled, a timeout after its session is back (seed 2007 of the 20,000 run)", async () => {
    const result = await run({ stallTimeoutMs: 2000 }, [{ kind: 'reset', index: 0, at: 5000 }], (index) =>
      index === 3 ? { ends: false, progressEveryMs: 200, silentAfterMs: 4000 } : { ends: true, afterMs: 10_000, exitCode: 0, progressEveryMs: 200 },
    );
    expect(result.violations).toEqual([]);
    const judged = result.history.of('judged');
    expect(judged.map((entry) => `${String(entry.fields.failed)} ${String(entry.fields.how)}`)).toEqual(['3 stalled']);
    const back = result.history.events.filter((entry) => entry.index === 3 && entry.event === 'linked').at(-1);
    expect((judged[0]?.at ?? 0) - (back?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(Object.values(exits(result)).every((code) => code !== undefined)).toBe(true);
  });

  test("a pod killed at the exit barrier after its workload succeeded: its replacement does not run it again, and the group's exit barrier passes as soon as the others finish", async () => {
    const result = await run({ restarts: 1 }, [{ kind: 'kill', index: 2, at: 4000, replaceAfterMs: 1000 }], (index) => (index === 2 ? { ends: true, afterMs: 2000, exitCode: 0 } : undefined));
    expect(result.violations).toEqual([]);
    expect(result.history.of('running').filter((entry) => entry.pod === 'pod-2.1')).toEqual([]);
    expect(result.history.of('judged')).toEqual([]);
    expect(exits(result)).toEqual({ 'pod-0.0': 0, 'pod-1.0': 0, 'pod-2.1': 0, 'pod-3.0': 0 });
    const passed = result.history.of('released').find((entry) => entry.fields.barrier === 'finish-0');
    expect(passed?.at).toBeLessThan(11_000);
  });

  test('a blip that resets every session of a member: it reconnects, nothing is judged, every pod ends 0', async () => {
    const result = await run({}, [{ kind: 'reset', index: 2, at: 4000 }]);
    expect(result.violations).toEqual([]);
    expect(result.history.of('judged')).toEqual([]);
    expect(Object.values(exits(result))).toEqual([0, 0, 0, 0]);
  });

  test('a member killed for good without restarts: the others exit 75 naming it vanished', async () => {
    const result = await run({}, [{ kind: 'kill', index: 1, at: 4000, replaceAfterMs: undefined }]);
    expect(result.violations).toEqual([]);
    expect(exits(result)).toEqual({ 'pod-0.0': 75, 'pod-2.0': 75, 'pod-3.0': 75 });
    expect(result.history.of('judged').map((entry) => `${String(entry.fields.failed)} ${String(entry.fields.how)}`)).toEqual(['1 vanished']);
  });
});

describe('an elastic group (MIN:MAX) on the simulator', () => {
  const ends = { ends: true, afterMs: 10_000, exitCode: 0 } as const;
  const elastic = (startsAt: number[], faults: Fault[], plan: (index: number, generation: number, round: number) => WorkloadPlan = () => ends) =>
    runScenario({ seed: 7, settings: settings({ min: 3, lastCallMs: 1000 }), startsAt, faults }, plan);
  const membersOf = (result: SimResult, barrier: string) => result.history.of('released').find((entry) => entry.index === 0 && entry.fields.barrier === barrier)?.fields.members;

  test('index 3 late: round 0 releases with 0 to 2 after the last call; index 3 joining grows the group, round 1 runs with all 4, no restart used', async () => {
    const result = await elastic([0, 10, 20, 4000], []);
    expect(result.violations).toEqual([]);
    expect(membersOf(result, 'start')).toBe('0,1,2');
    expect(membersOf(result, 'round-1')).toBe('0,1,2,3');
    expect(verdicts(result).every((line) => /round 0: 3 joined next 1$/.test(line))).toBe(true);
    expect(result.history.of('running').filter((entry) => entry.index === 3).map((entry) => entry.fields.round)).toEqual([1]);
    expect(Object.values(exits(result))).toEqual([0, 0, 0, 0]);
  });

  test('index 3 gets SIGTERM mid-round: the group shrinks in place, round 1 runs with 0 to 2 and ends 0; below MIN it would end', async () => {
    const result = await elastic([0, 10, 20, 30], [{ kind: 'sigterm', index: 3, at: 4000 }], () => ({ ends: false }));
    expect(membersOf(result, 'start')).toBe('0,1,2,3');
    expect(membersOf(result, 'round-1')).toBe('0,1,2');
    for (const line of verdicts(result).filter((verdict) => !verdict.startsWith('pod-3'))) expect(line).toMatch(/round 0: 3 signal next 1$|round 1: /);
    expect(result.history.of('running').filter((entry) => entry.fields.round === 1).map((entry) => entry.index).sort()).toEqual([0, 1, 2]);
  });

  test('a pod that comes once a member has finished and gone home (no exit barrier): the round is ending and the group no longer grows; it runs nothing and ends 0 with the others', async () => {
    const result = await runScenario({ seed: 7, settings: settings({ min: 2, lastCallMs: 1000, exitTimeoutMs: 0 }), startsAt: [0, 10, 20, 5000], faults: [] }, (index) =>
      index === 1 ? { ends: true, afterMs: 2000, exitCode: 0 } : ends,
    );
    expect(result.violations).toEqual([]);
    expect(result.history.of('judged')).toEqual([]);
    expect(result.history.of('running').filter((entry) => entry.index === 3)).toEqual([]);
    expect(result.history.render(Number.POSITIVE_INFINITY)).toMatch(/pod-3\.0 \| .*the group's workloads are finishing without this pod \(an elastic group no longer grows then\): it runs nothing/);
    expect(Object.values(exits(result))).toEqual([0, 0, 0, 0]);
  });

  test('index 3 lost for good with no restart left, 3 remaining: a shrink; then index 2 lost too, below MIN: the group ends naming it', async () => {
    const result = await elastic([0, 10, 20, 30], [{ kind: 'kill', index: 3, at: 4000, replaceAfterMs: undefined }, { kind: 'kill', index: 2, at: 30_000, replaceAfterMs: undefined }], (_, __, round) => (round === 0 ? { ends: false } : { ends: false }));
    expect(result.violations).toEqual([]);
    expect(membersOf(result, 'round-1')).toBe('0,1,2');
    expect(result.history.of('judged').map((entry) => `${String(entry.fields.round)}: ${String(entry.fields.failed)} ${String(entry.fields.how)}`)).toEqual(['0: 3 vanished', '1: 2 vanished']);
    expect(exits(result)).toEqual({ 'pod-0.0': 75, 'pod-1.0': 75 });
  });
});

describe('the simulator itself', () => {
  test('a seed replays exactly: the same history, event for event and line for line', async () => {
    const [first, second] = [await simulate({ seed: 4242, pods: 12 }), await simulate({ seed: 4242, pods: 12 })];
    expect(second.history.render(Number.POSITIVE_INFINITY)).toBe(first.history.render(Number.POSITIVE_INFINITY));
    expect(first.history.events.length).toBeGreaterThan(50);
  });

  // Seeds beyond the suite's 2,000 that failed a property once, each replayed as the run drew it: 2007 (a
  // hung workload's stall lost in a blip), 2238 (the simulator's workload ending twice), 3780 and 4489 (a
  // member's failure judged alone while index 0 was cut off, against the others' restart round), 4216 and
  // 4260 (a stall named on time after progress held up by a cut link, which the property measured from
  // the progress, not from when it could arrive), 7920 and 8845 (a workload that hung before it reported
  // progress runs on, as the stall watch promises; the property asked otherwise), 5763, 9093 and 9324 (a
  // pod replacing one whose workload had succeeded ran it again, in round 0, and held up the exit barrier).
  // Elastic groups, from a 10,000-seed run: 3274 (a last call ending while index 0 was cut off counted a pod
  // killed meanwhile, which it could not have heard), 8542 (a new index 0 released a round with the first
  // pod to come before the survivors reached it, and ignored their later round), 9863 (index 0 leaving
  // armed a last call as it ended its sessions), 9894 (a new group, from pods that came after the old one
  // ended, counts its rounds from 0 again), 5214 (the simulator's own call-outs counted as timers of an
  // index 0 that exited at once). They were found before kills could take their node with it, and are
  // replayed without that; each also runs as drawn today. From the 100,000-seed run, with node losses:
  // 13770 (a failure reported while index 0 was cut off, whose goodbye came as the cut healed, waited
  // forever), 2422 (a new index 0 taking the stall verdict its members held was measured as naming the
  // stall anew), 2459 (a pod whose node died counted until its session's silence was heard, which takes
  // a sixth of a session timeout past it).
  test.each([2007, 2238, 2422, 2459, 3274, 3780, 4216, 4260, 4489, 5214, 5763, 7920, 8542, 8845, 9093, 9324, 9863, 9894, 13770])('seed %i, found by a long run, holds every property', async (seed) => {
    expect((await simulate({ seed, nodeLoss: false })).violations).toEqual([]);
    expect((await simulate({ seed })).violations).toEqual([]);
  });
});
