import { History } from './history.js';
import { checkProperties } from './properties.js';
import { Rng, SimClock } from './sim-clock.js';
import { SimNetwork } from './sim-network.js';
import { SimPod, type SimSettings, type SimWorld, type WorkloadPlan } from './sim-pod.js';

export interface SimOptions {
  seed: number;
  /** The group's size; drawn from 2 to 64 when not given. */
  pods?: number;
  /** Whether a kill may take its node with it (the default); off, a seed runs as it did before node losses were drawn. */
  nodeLoss?: boolean;
}

/** A fault the seed schedules: what, to which index, when, and for how long or until what. */
export type Fault =
  | { kind: 'kill'; index: number; at: number; replaceAfterMs: number | undefined; nodeLost?: boolean }
  | { kind: 'partition'; index: number; at: number; forMs: number }
  | { kind: 'reset'; index: number; at: number }
  | { kind: 'sigterm'; index: number; at: number };

export interface SimScenario {
  seed: number;
  settings: SimSettings;
  /** When each index's first pod starts. */
  startsAt: number[];
  faults: Fault[];
}

export interface SimResult {
  scenario: SimScenario;
  violations: string[];
  history: History;
  /** Simulated time when the last pod exited (or the cap). */
  endedAt: number;
}

/** No simulated group may take longer than this to end: every wait in rollcall is bounded well inside it. */
const CAP_MS = 20 * 60_000;

/** What a seed says the run is: the group's settings, when its pods start, and what goes wrong. */
export function scenarioOf({ seed, pods, nodeLoss = true }: SimOptions): SimScenario {
  const rng = new Rng(seed);
  const size = pods ?? rng.int(2, 64);
  const settings: SimSettings = {
    size,
    restarts: rng.int(0, 2),
    sessionTimeoutMs: rng.pick([3000, 6000, 10_000]),
    timeoutMs: 60_000,
    exitTimeoutMs: 60_000,
    closeTimeoutMs: 2000,
    attemptTimeoutMs: 2000,
    stallTimeoutMs: rng.chance(0.3) ? rng.pick([2000, 5000]) : 0,
  };
  // Drawn apart, so that every seed's other draws stay as they were before groups could be elastic.
  const shape = new Rng(seed ^ 0xe1a5);
  if (shape.chance(0.3)) Object.assign(settings, { min: shape.int(1, size - 1), lastCallMs: shape.pick([0, 300, 1500]) });
  // Pods leave as soon as their workload succeeded, without waiting at the exit barrier; not where stalls
  // are watched: index 0 may then leave first, and nobody would watch a workload that hangs after it.
  if (shape.chance(0.2) && settings.stallTimeoutMs === 0) settings.exitTimeoutMs = 0;
  const startsAt = Array.from({ length: size }, () => (rng.chance(0.1) ? rng.int(2000, 8000) : rng.int(0, 1500)));
  const faults: Fault[] = Array.from({ length: rng.pick([0, 0, 1, 1, 2, 3]) }, () => {
    const index = rng.chance(0.3) ? 0 : rng.int(0, size - 1);
    const at = rng.int(500, 30_000);
    const kind = rng.pick(['kill', 'kill', 'partition', 'reset', 'sigterm'] as const);
    if (kind === 'kill') return { kind, index, at, replaceAfterMs: rng.chance(0.7) ? rng.int(200, 8000) : undefined };
    if (kind === 'partition') return { kind, index, at, forMs: rng.int(200, 2 * settings.sessionTimeoutMs) };
    return { kind, index, at };
  });
  // Drawn apart too: a kill that takes its node with it resets no connection, and peers hold half-open
  // sessions with the dead pod until their heartbeats time out, while its replacement comes.
  const nodes = new Rng(seed ^ 0x70de);
  for (const fault of faults) if (fault.kind === 'kill' && nodes.chance(0.4) && nodeLoss) fault.nodeLost = true;
  return { seed, settings, startsAt, faults };
}

/**
 * Runs one seed: every pod's real roles on one simulated clock and network, the seed's faults injected,
 * until every pod has exited (or the cap), then every property checked against what happened.
 */
export function simulate(options: SimOptions): Promise<SimResult> {
  return runScenario(scenarioOf(options));
}

/** Runs a scenario as given (a seed's, or one a test writes out): the seed still draws latencies and workloads. */
export async function runScenario(scenario: SimScenario, planned?: (index: number, generation: number, round: number) => WorkloadPlan | undefined): Promise<SimResult> {
  const { settings } = scenario;
  const clock = new SimClock();
  // The seed's draws for the run itself (latencies, jitter, workloads) follow the scenario's own.
  const rng = new Rng(scenario.seed ^ 0x5eed);
  const history = new History(clock);
  const network = new SimNetwork(clock, rng);
  const pods = new Map<number, SimPod>();
  const generations = new Map<number, number>();
  const plans = new Map<string, WorkloadPlan>();
  const running: Promise<void>[] = [];
  const world: SimWorld = {
    clock,
    rng,
    network,
    history,
    settings,
    current: (index) => pods.get(index),
    plan: (index, generation, round) => {
      const key = `${index}.${generation}.${round}`;
      let plan = plans.get(key) ?? planned?.(index, generation, round);
      if (plan === undefined) {
        // With stalls watched, most workloads report progress, well inside the timeout; now and then one
        // hangs: it stops reporting and never ends (only the stall timeout ends it).
        const watched = settings.stallTimeoutMs > 0;
        const progressEveryMs = watched && rng.chance(0.8) ? rng.int(50, settings.stallTimeoutMs / 4) : undefined;
        const hangs = progressEveryMs !== undefined && rng.chance(0.05);
        plan = hangs
          ? { ends: false, progressEveryMs, silentAfterMs: rng.int(500, 15_000) }
          : { ends: true, afterMs: rng.int(200, 20_000), exitCode: rng.chance(0.05) ? rng.int(1, 3) : 0, ...(progressEveryMs === undefined ? {} : { progressEveryMs }) };
        plans.set(key, plan);
      }
      return plan;
    },
  };
  const start = (index: number) => {
    const generation = generations.get(index) ?? 0;
    generations.set(index, generation + 1);
    const pod = new SimPod(world, index, generation);
    pods.set(index, pod);
    history.event(pod.id, index, generation, 'started', {});
    running.push(pod.run().catch((error: unknown) => history.event(pod.id, index, generation, 'crashed', { error: String(error) })));
  };
  scenario.startsAt.forEach((at, index) => clock.at(at, () => start(index)));
  for (const fault of scenario.faults) {
    clock.at(fault.at, () => {
      const pod = pods.get(fault.index);
      if (pod === undefined || !pod.alive || pod.exitCode !== undefined) return;
      if (fault.kind === 'kill') {
        pod.kill(fault.nodeLost === true);
        if (fault.replaceAfterMs !== undefined) clock.at(fault.replaceAfterMs, () => start(fault.index));
      } else if (fault.kind === 'partition') {
        network.partition(pod);
        history.event(pod.id, pod.index, pod.generation, 'partitioned', { forMs: fault.forMs });
        clock.at(fault.forMs, () => {
          network.heal(pod);
          history.event(pod.id, pod.index, pod.generation, 'healed', {});
        });
      } else if (fault.kind === 'sigterm') {
        pod.terminate();
      } else {
        history.event(pod.id, pod.index, pod.generation, 'sessions-reset', {});
        pod.resetSessions();
      }
    });
  }
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  await settle();
  const done = () => clock.pending('sim') === 0 && [...pods.values()].every((pod) => !pod.alive || pod.exitCode !== undefined);
  while (!done() && clock.step(CAP_MS)) await settle();
  const endedAt = clock.now();
  const violations = checkProperties({ history, settings, pods: [...pods.values()], clock, endedAt, capMs: CAP_MS });
  // What a dead pod left pending never settles: nothing waits on it here.
  void Promise.allSettled(running);
  return { scenario, violations, history, endedAt };
}
