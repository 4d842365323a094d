import { Membership } from '../../src/identity/membership.js';
import { GroupHandle } from '../../src/barrier/group-handle.js';
import type { Group } from '../../src/barrier/group.js';
import { PeerNames } from '../../src/barrier/peer-names.js';
import { chooseRole } from '../../src/barrier/role-choice.js';
import type { BarrierRole } from '../../src/barrier/role.js';
import { Logger } from '../../src/cli/logger.js';
import { superviseRounds } from '../../src/cli/supervise.js';
import type { WorkloadRun } from '../../src/cli/workload.js';
import { Limiter } from '../../src/discovery/limiter.js';
import { AttemptError, PeersTimeoutError } from '../../src/errors.js';
import type { Identity } from '../../src/identity/identity.js';
import type { Stop } from '../../src/lifecycle/outcome.js';
import { Rounds } from '../../src/lifecycle/rounds.js';
import type { Clock } from '../../src/time/clock.js';
import { withDeadline, type Deadline } from '../../src/time/deadline.js';
import type { Session } from '../../src/transport/session.js';
import { PROTOCOL_VERSION } from '../../src/transport/wire-format.js';
import type { History } from './history.js';
import type { Rng, SimClock } from './sim-clock.js';
import type { Host, SimNetwork, SimSession } from './sim-network.js';

/** What every pod of a simulated group shares: the settings a pod reads, the same everywhere. */
export interface SimSettings {
  size: number;
  restarts: number;
  sessionTimeoutMs: number;
  timeoutMs: number;
  exitTimeoutMs: number;
  closeTimeoutMs: number;
  attemptTimeoutMs: number;
  /** 0: off. */
  stallTimeoutMs: number;
  /** An elastic group's fewest pods (ROLLCALL_COUNT=MIN:MAX, `size` the most); `size` when not given. */
  min?: number;
  /** An elastic group's last call; 0 when not given. */
  lastCallMs?: number;
}

/**
 * How one pod's workload goes in one round: it ends on its own, or runs until it is stopped; while it runs
 * it reports progress every so often (`group.progress()`), until `silentAfterMs` if it hangs (a stall).
 */
export type WorkloadPlan = ({ ends: true; afterMs: number; exitCode: number } | { ends: false }) & { progressEveryMs?: number; silentAfterMs?: number };

/** What a pod needs from the group around it. */
export interface SimWorld {
  clock: SimClock;
  rng: Rng;
  network: SimNetwork;
  history: History;
  settings: SimSettings;
  /** The pod that holds `index` now, if one runs. */
  current(index: number): SimPod | undefined;
  plan(index: number, generation: number, round: number): WorkloadPlan;
}

/**
 * One pod of a simulated group, running rollcall's own parts as `rollcall -- <command>` runs them: the
 * role `chooseRole` picks (index 0's coordinator, or a member), this pod's rounds, the Group handle and
 * the CLI's `superviseRounds`; only sockets, DNS, processes and time are the simulator's. Killed, it stops
 * at once: its timers die with it, its sessions are reset.
 */
export class SimPod implements Host {
  readonly id: string;
  readonly gen: string;
  alive = true;
  /** The code rollcall would exit with, once it has. */
  exitCode: number | undefined;
  /** Timers this pod still had armed as it exited: none, if it cleaned up after itself. */
  timersAtExit = 0;
  readonly role: BarrierRole;
  readonly rounds: Rounds;
  readonly clock: Clock;
  private readonly sessions = new Set<SimSession>();
  private readonly stop = new AbortController();
  /** Aborts, with the signal's name, when the pod is told to go (SIGTERM: deleted, drained). */
  private readonly leave = new AbortController();
  private group: Group | undefined;

  constructor(
    private readonly world: SimWorld,
    readonly index: number,
    readonly generation: number,
  ) {
    this.id = `pod-${index}.${generation}`;
    // Generations are names, not an order: a later pod's reads as an earlier start (a node's clock behind),
    // so a role that still ordered pods by it would show here.
    this.gen = `${(1_000_000 - generation).toString(36)}-g${generation}`;
    this.clock = world.clock.for(this.id, () => this.alive);
    const { settings } = world;
    const identity: Identity = { index, membership: Membership.ofJob('job', settings.size, settings.min), subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: `job-${index}`, podIps: [] };
    const names = new PeerNames(identity);
    this.rounds = new Rounds((i) => names.short(i), (error) => this.note('verdict', { round: error.round, next: error.next ?? null, ...failureFields(error.failure) }), settings.restarts, this.clock);
    this.role = chooseRole({
      config: {
        identity,
        topology: 'star',
        sessionTimeoutMs: settings.sessionTimeoutMs,
        restarts: settings.restarts,
        lastCallMs: settings.lastCallMs ?? 0,
        fatalExitCodes: new Set(),
        stallTimeoutMs: settings.stallTimeoutMs,
      },
      names,
      checks: { reasonFor: () => 'not-arrived', seen: () => {}, present: () => {} },
      dialer: { session: (_index, signal, deadline) => this.dial(signal, deadline) },
      datagrams: { sender: () => ({ send: () => false, close: () => {} }), ear: async () => undefined },
      limiter: new Limiter(64),
      schedule: { minDelayMs: 100, maxDelayMs: 2000, attemptTimeoutMs: settings.attemptTimeoutMs },
      clock: this.clock,
      random: () => world.rng.next(),
      onStop: (stop: Stop) => {
        if (index === 0) this.note('judged', { round: stop.round, next: stop.next ?? null, ...failureFields(stop.failure) });
        this.rounds.stopped(stop);
      },
      onCoordinatorLost: (how) => this.rounds.coordinatorLost(how),
      onDone: (round) => this.rounds.doneBefore(round),
      verdict: () => this.rounds.verdict,
      onAllFinished: (round) => this.note('all-finished', { round }),
    });
    // Every arrival and release, the start barrier's and those the Group handle makes, is in the history.
    const released = this.role.released.bind(this.role);
    this.role.released = (barrier) =>
      released(barrier).then((release) => {
        this.note('released', { barrier, ...(release.members === undefined ? {} : { members: release.members.join(',') }) });
        return release;
      });
    // Index 0's coordinator counts members' arrivals through the same method, with their index.
    const arrive = this.role.arrive.bind(this.role) as (barrier: string, addrs: string[], from?: number) => void;
    this.role.arrive = (barrier: string, addrs: string[], from?: number) => {
      if (from === undefined) this.note('arrive', { barrier });
      arrive(barrier, addrs, from);
    };
  }

  /** Runs the pod's rollcall to its exit. */
  async run(): Promise<void> {
    const { settings } = this.world;
    this.role.start?.(this.stop.signal);
    if (this.index === 0) this.callOut();
    this.role.arrive('start', []);
    try {
      await withDeadline(this.role.released('start'), settings.timeoutMs, () => new PeersTimeoutError(settings.timeoutMs, { ready: 0, size: settings.size, missing: [] }), this.stop.signal, this.clock);
    } catch {
      // Timed out waiting for the group: rollcall exits 124.
      if (!this.alive) return;
      await this.role.close(0);
      this.exit(124);
      return;
    }
    this.rounds.begin(0);
    const group = this.handle().build(await this.role.released('start'), { checksMs: 0, releaseMs: 0 });
    this.group = group;
    const stream = { write: (line: string) => (this.alive && this.world.history.line(this.id, line.trimEnd()), true), isTTY: false };
    const code = await superviseRounds(group, {
      describe: 'the workload',
      runRound: (round, stopped) => this.workload(round, stopped),
      leave: this.leave.signal,
      logger: new Logger('text', stream as never),
      onGroupFailed: () => {},
    });
    await group.close({ exitTimeoutMs: 0 });
    if (this.alive) this.exit(code);
  }

  /** The process exits: its connections end, and nothing of it runs any more. */
  private exit(code: number): void {
    this.exitCode = code;
    this.timersAtExit = this.world.clock.pending(this.id);
    this.note('exit', { code });
    for (const session of this.sessions) session.end();
    this.alive = false;
    this.world.clock.cancelAll(this.id);
  }

  /** The process dies: nothing more runs, and the kernel resets its connections, unless the node died with it. */
  kill(nodeLost: boolean): void {
    this.alive = false;
    this.world.clock.cancelAll(this.id);
    for (const session of this.sessions) {
      if (nodeLost) session.vanish();
      else session.reset();
    }
    this.note('killed', nodeLost ? { nodeLost } : {});
  }

  /** SIGTERM: the workload hears it too and ends, and rollcall leaves the group, telling index 0. */
  terminate(): void {
    this.note('sigterm', {});
    this.leave.abort('SIGTERM');
    this.terminated.abort();
  }

  private readonly terminated = new AbortController();

  /** A blip: every connection of this pod is reset; the process goes on. */
  resetSessions(): void {
    for (const session of this.sessions) session.destroy();
  }

  /** A member's dial of index 0: the handshake's outcome after a round trip, or why not. */
  private async dial(signal: AbortSignal, deadline: Deadline): Promise<{ channel: Session; peerGen: string }> {
    const { network } = this.world;
    const target = this.world.current(0);
    const oneWay = network.latency();
    if (target === undefined || !target.alive) {
      await this.pause(oneWay * 2, signal);
      throw new AttemptError('connection-refused', 'simulated');
    }
    if (!network.up(this, target)) {
      await this.pause(deadline.remainingMs, signal);
      throw new AttemptError('timeout', 'simulated');
    }
    const [mine, theirs] = network.connect(this, target);
    this.sessions.add(mine);
    target.sessions.add(theirs);
    await this.pause(oneWay, signal);
    if (!target.alive || !network.up(this, target)) {
      mine.drop();
      throw new AttemptError('timeout', 'simulated');
    }
    target.role.sessions.member?.(theirs, { t: 'hello', v: PROTOCOL_VERSION, job: 'job', uid: '', size: this.world.settings.size, index: this.index, gen: this.gen, role: 'member', nonce: '', mac: '' } as never);
    this.note('linked', {});
    await this.pause(network.latency(), signal);
    return { channel: mine, peerGen: target.gen };
  }

  /**
   * A new index 0 dials every member as it starts (its call-outs): each hears of it, a latency later. The
   * dials are the simulated network's timers, not rollcall's: an index 0 that exits at once leaves none.
   */
  private callOut(): void {
    for (let index = 1; index < this.world.settings.size; index++) {
      this.world.clock.at(this.world.network.latency(), () => {
        const member = this.world.current(index);
        if (this.alive && member !== undefined && member.alive && this.world.network.up(this, member)) member.role.heardFrom?.(0, this.gen);
      });
    }
  }

  private handle(): GroupHandle {
    const { settings } = this.world;
    const identity = { index: this.index, membership: Membership.ofJob('job', settings.size, settings.min), subdomain: 'svc', namespace: 'ns', clusterDomain: 'cluster.local', hostname: `job-${this.index}`, podIps: [] };
    return new GroupHandle({
      config: { identity, topology: 'star', timeoutMs: settings.timeoutMs, exitTimeoutMs: settings.exitTimeoutMs, closeTimeoutMs: settings.closeTimeoutMs, sessionTimeoutMs: settings.sessionTimeoutMs, log: (line) => this.world.history.line(this.id, line) },
      role: this.role,
      rounds: this.rounds,
      progress: { watch: () => () => {}, progress: (barrier) => ({ barrier, ready: 0, size: settings.size, missing: [] }) },
      names: new PeerNames(identity),
      checks: { result: () => undefined },
      clock: this.clock,
      stopped: this.stop.signal,
      shutdown: async (closeTimeoutMs) => {
        this.stop.abort(new Error('closed'));
        await this.role.close(closeTimeoutMs);
      },
      connect: () => Promise.reject(new Error('no launches in the simulator')),
      askStatus: () => Promise.reject(new Error('no status in the simulator')),
    });
  }

  /** The round's workload as planned: it ends on its own, or when the group stops it (a SIGTERM's moment later). */
  private workload(round: number, stopped: AbortSignal): Promise<WorkloadRun> {
    const plan = this.world.plan(this.index, this.generation, round);
    const startedAt = this.clock.now();
    this.note('running', { round });
    return new Promise((resolve) => {
      const finish = (exitCode: number | null, signal: string | null, stoppedRun: boolean) => {
        cancel();
        ending();
        stopReporting();
        stopped.removeEventListener('abort', onStop);
        this.terminated.signal.removeEventListener('abort', onTerm);
        this.note('workload-ended', { round, exitCode, signal, stopped: stoppedRun });
        resolve({ outcome: { exitCode, signal, runMs: this.clock.now() - startedAt }, stopped: stoppedRun });
      };
      const cancel = plan.ends ? this.clock.after(plan.afterMs, () => finish(plan.exitCode, null, false)) : () => {};
      // Progress as a training loop reports it, each step; a workload that hangs stops reporting, still running.
      let stopReporting = () => {};
      if (plan.progressEveryMs !== undefined) {
        const every = this.clock.every(plan.progressEveryMs, () => {
          if (plan.silentAfterMs !== undefined && this.clock.now() - startedAt >= plan.silentAfterMs) {
            every();
            this.note('silent', { round });
            return;
          }
          this.note('progress', { round });
          this.group?.progress();
        });
        stopReporting = every;
      }
      // A workload ends of the first SIGTERM it gets, the group's or the kubelet's; a second changes nothing.
      let ending: () => void = () => {};
      let signalled = false;
      const endOfSigterm = (stoppedRun: boolean) => {
        if (signalled) return;
        signalled = true;
        cancel();
        ending = this.clock.after(this.world.rng.int(1, 50), () => finish(null, 'SIGTERM', stoppedRun));
      };
      const onStop = () => endOfSigterm(true);
      // The kubelet's SIGTERM reaches the workload too: it ends of it (a stop the group did not make).
      const onTerm = () => endOfSigterm(false);
      if (stopped.aborted) onStop();
      else stopped.addEventListener('abort', onStop, { once: true });
      if (this.terminated.signal.aborted) onTerm();
      else this.terminated.signal.addEventListener('abort', onTerm, { once: true });
    });
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const cancel = this.clock.after(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private note(event: string, fields: Record<string, unknown>): void {
    if (this.alive || event === 'killed') this.world.history.event(this.id, this.index, this.generation, event, fields);
  }
}

/** A verdict's failure as the history keeps it. */
function failureFields(failure: Pick<Stop['failure'], 'index' | 'how' | 'exitCode' | 'signal' | 'membership'>): Record<string, unknown> {
  return { failed: failure.index, how: failure.how, exitCode: failure.exitCode, signal: failure.signal, ...(failure.membership === true ? { membership: true } : {}) };
}
