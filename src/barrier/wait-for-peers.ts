import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Limiter } from '../discovery/limiter.js';
import { buildProbe } from '../discovery/probes/index.js';
import { createNameResolver, type NameResolver } from '../discovery/resolve.js';
import type { Probe } from '../discovery/probes/types.js';
import { PeersTimeoutError } from '../errors.js';
import { Rounds } from '../lifecycle/rounds.js';
import { AbortFanout } from '../time/abort-fanout.js';
import { systemClock, type Clock } from '../time/clock.js';
import { Deadline, withDeadline } from '../time/deadline.js';
import type { FrameChannel } from '../transport/frame-channel.js';
import type { SessionRoutes } from '../transport/listener.js';
import { startListener } from '../transport/listener.js';
import { RefusalLog } from '../transport/refusal-log.js';
import { ReleaseReceiver, ReleaseSender } from '../transport/release-datagrams.js';
import type { WireIdentity } from '../transport/authentication.js';
import { Dialer } from './dialer.js';
import type { Group } from './group.js';
import { GroupHandle } from './group-handle.js';
import { GROUP_SOCKET_VARIABLE } from './group-link.js';
import { DEFAULTS, resolveConfig, type Config, type ServedSessions, type WaitForPeersOptions } from './options.js';
import { PeerChecks } from './peer-checks.js';
import { PeerNames } from './peer-names.js';
import { ProgressReport } from './progress.js';
import { checkIn } from './check-in.js';
import { chooseRole } from './role-choice.js';
import type { BarrierRole } from './role.js';
import { joinWrapper } from './wrapped-group.js';
import { answerStatus, readStatus } from './status-session.js';
import type { GroupStatus } from '../lifecycle/group-status.js';

/**
 * Resolves once every pod of the group has arrived: each has checked the peers its topology asks for,
 * and index 0 has seen them all and released everyone. Rejects with PeersTimeoutError, naming who is
 * missing and why, at the deadline; with the signal's reason on abort.
 */
export async function waitForPeers(options: WaitForPeersOptions = {}): Promise<Group> {
  // Under `rollcall -- <command>` the wrapper already holds this pod's place in the group: join it.
  const wrapper = (options.env ?? process.env)[GROUP_SOCKET_VARIABLE];
  if (wrapper !== undefined && wrapper !== '') return joinWrapper(wrapper, options);
  const config = resolveConfig(options);
  config.signal?.throwIfAborted();
  const run = new Run(config, systemClock);
  try {
    return await run.start();
  } catch (error) {
    await run.shutdown(0);
    throw error;
  }
}

/** One pod's part in the group, wired from its parts: names, checks, the role, progress, the handle. */
class Run {
  private readonly stop = new AbortController();
  private readonly own: WireIdentity;
  private readonly names: PeerNames;
  private readonly resolver: NameResolver;
  private readonly probe: { probe: Probe; close(): void } | undefined;
  private readonly checks: PeerChecks;
  private readonly rounds: Rounds;
  private readonly role: BarrierRole;
  private readonly progress: ProgressReport;
  private readonly handle: GroupHandle;
  private readonly refusals: RefusalLog;
  private readonly startedAt: number;
  private readonly dialer: Dialer;
  private listening: ReturnType<typeof startListener> | undefined;
  private stopWatching = () => {};

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
  ) {
    const { identity } = config;
    this.startedAt = clock.now();
    const own = { job: identity.membership.name, uid: config.jobUid, size: identity.membership.size, index: identity.index, gen: randomBytes(8).toString('hex') };
    this.own = own;
    this.names = new PeerNames(identity);
    const limiter = new Limiter(config.concurrency);
    const schedule = { ...config.backoff, attemptTimeoutMs: config.attemptTimeoutMs };
    this.resolver = createNameResolver({ servers: config.dnsServers, families: config.families, attemptTimeoutMs: config.attemptTimeoutMs, absolute: this.names.absolute, clock });
    this.probe = config.probe === 'tcp' ? undefined : buildProbe(config.probe, config.attemptTimeoutMs);
    const dialer = new Dialer({ port: config.port, own, secret: config.secret, resolver: this.resolver, names: this.names });
    this.dialer = dialer;
    const random = Math.random;
    this.checks = new PeerChecks({
      self: identity.index,
      podIps: identity.podIps,
      names: this.names,
      resolver: this.resolver,
      dialer,
      probe: this.probe?.probe,
      limiter,
      schedule,
      clock,
      random,
      speculatesAbout: (index) => this.role.speculatesAbout(index),
      // Set by start() right after the first question leaves, which is before any answer can come back.
      ownListener: () => this.listening as Promise<unknown>,
    });
    this.rounds = new Rounds((index) => this.names.short(index), (error) => config.log(error.message, { event: 'peer-failed', round: error.round, next: error.next ?? null, failure: error.failure }), config.restarts, clock);
    this.role = chooseRole({
      config,
      names: this.names,
      checks: this.checks,
      dialer,
      datagrams: {
        sender: (onAck) => new ReleaseSender(onAck),
        // The rollcall port's UDP twin when free, so that a NetworkPolicy can name it.
        ear: (session, onRelease) => ReleaseReceiver.open(session.localAddress, config.port, onRelease),
      },
      limiter,
      schedule,
      clock,
      random,
      onStop: (stop) => this.rounds.stopped(stop),
      onCoordinatorLost: (how) => this.rounds.coordinatorLost(how),
      onDone: (round) => this.rounds.doneBefore(round),
      verdict: () => this.rounds.verdict,
      onAllFinished: (round, outcomes) => this.handle.logAllFinished(round, outcomes),
    });
    this.progress = new ProgressReport({ size: identity.membership.size, names: this.names, checks: this.checks, role: this.role, clock, log: config.log, logIntervalMs: config.logIntervalMs, reportIntervalMs: DEFAULTS.progressIntervalMs, onProgress: config.onProgress });
    this.handle = new GroupHandle({ config, role: this.role, rounds: this.rounds, progress: this.progress, names: this.names, checks: this.checks, clock, stopped: this.stop.signal, shutdown: (ms) => this.shutdown(ms), connect: (index, role, signal, known) => this.connect(index, role, signal, known), askStatus: () => this.askStatus() });
    this.refusals = new RefusalLog(config.log, config.logIntervalMs);
  }

  async start(): Promise<Group> {
    const { identity, topology, timeoutMs } = this.config;
    this.stopWatching = this.progress.watch('start');
    const signal = AbortSignal.any([this.stop.signal, ...(this.config.signal === undefined ? [] : [this.config.signal])]);
    // The question for its own name goes first: it is sent in the ticks of this turn of the event loop
    // (its socket's bind, then the send), and the listener is set up in the next, while the question is
    // out. A late pod's record is not there yet, and the question's repeat comes as long after the record
    // as the first one left after the pod started. Its own check waits for the listener before it dials itself.
    const checkingIn = checkIn({ self: identity.index, size: identity.membership.size, topology, checks: this.checks, role: this.role, fanout: new AbortFanout(signal), signal, timeoutMs, clock: this.clock });
    // Settled by the deadline or the signal instead, it has nothing more to say.
    checkingIn.catch(() => {});
    this.listening = nextTurn().then(() => startListener({
      host: this.config.listenHost,
      port: this.config.port,
      portGiven: this.config.portGiven,
      own: this.own,
      secret: this.config.secret,
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      // Each peer holds at most a session and a probe; the rest is headroom for late joiners and refusals.
      maxConnections: identity.membership.size * 2 + 256,
      onHello: ({ index, gen }) => (this.checks.present(index), this.role.heardFrom?.(index, gen)),
      sessions: { ...this.role.sessions, ...servedBy(this.config.sessions), ...(this.role.status === undefined ? {} : { status: (channel: FrameChannel) => answerStatus(channel.handOver().socket, () => this.ownStatus()) }) },
      onRefused: (reason, remote) => this.refusals.note(reason, remote),
    }));
    // A port that cannot be had fails the wait at once, not when the pod's own record appears.
    const listenedAndCheckedIn = Promise.all([this.listening, checkingIn]).then(([, checked]) => checked);
    let checkedIn;
    try {
      checkedIn = await withDeadline(listenedAndCheckedIn, timeoutMs, () => new PeersTimeoutError(timeoutMs, this.progress.progress('start')), this.config.signal, this.clock);
    } catch (error) {
      // Stops every check still running; on a timeout, with the error that names who was missing.
      this.stop.abort(error);
      throw error;
    }
    this.stopWatching();
    this.refusals.close();
    this.checks.stopCallouts();
    this.rounds.begin(0);
    this.progress.report('start');
    return this.handle.build(checkedIn.release, { checksMs: checkedIn.checkedAt - this.startedAt, releaseMs: this.clock.now() - this.startedAt });
  }

  private async connect(index: number, role: 'launch', signal: AbortSignal, known: readonly string[]) {
    const deadline = Deadline.in(2 * this.config.attemptTimeoutMs, this.clock);
    const { channel, address } = await this.dialer.session(index, AbortSignal.any([signal, this.stop.signal]), deadline, role, known);
    return { ...channel.handOver(), index, address };
  }

  /** Index 0's view of the group: its own here, else asked of it over a `status` session. */
  private async askStatus(): Promise<GroupStatus> {
    if (this.role.status !== undefined) return this.ownStatus();
    const deadline = Deadline.in(2 * this.config.attemptTimeoutMs, this.clock);
    const { channel } = await this.dialer.session(0, this.stop.signal, deadline, 'status');
    const { socket, rest } = channel.handOver();
    return readStatus(socket, rest, this.config.identity.membership.size, deadline, this.stop.signal);
  }

  private ownStatus(): GroupStatus {
    const { role } = this;
    if (role.status === undefined) throw new Error('only index 0 holds the group\'s status');
    return role.status(this.config.identity.membership.name, (index) => this.names.short(index), this.checks.result(0)?.address ?? this.config.identity.podIps[0]);
  }

  /** Stops everything this run started; the coordinator first waits (bounded) for the release acks. */
  async shutdown(closeTimeoutMs: number): Promise<void> {
    this.stopWatching();
    this.refusals.close();
    if (!this.stop.signal.aborted) this.stop.abort(new Error('closed'));
    await this.role.close(closeTimeoutMs);
    this.probe?.close();
    this.resolver.close();
    const listener = await this.listening?.catch(() => undefined);
    await listener?.close();
  }
}

/** The listener's routes for the parts beside the barrier: each gets its connection off frames. */
function servedBy(sessions: ServedSessions): SessionRoutes {
  const { launch } = sessions;
  return launch === undefined ? {} : { launch: (channel: FrameChannel, hello) => launch({ ...channel.handOver(), index: hello.index }) };
}
