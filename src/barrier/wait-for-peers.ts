import { randomBytes } from 'node:crypto';
import { AttemptError, MISSING_REASONS, PeersTimeoutError, describeCount, type MissingPeer, type MissingReasonCode } from '../errors.js';
import { peerFqdn, peerShortName } from '../identity/names.js';
import { DEFAULTS, resolveConfig, type Config, type Progress, type WaitForPeersOptions } from './options.js';
import { createNameResolver, type NameResolver } from '../discovery/resolve.js';
import { withDeadline } from '../time/deadline.js';
import { AbortFanout } from '../time/abort-fanout.js';
import { buildProbe } from '../discovery/probes/index.js';
import type { Probe, ProbeResult } from '../discovery/probes/types.js';
import { Limiter } from '../discovery/limiter.js';
import { PeerCheck, type Schedule } from '../discovery/peer-check.js';
import { systemClock, type Cancel } from '../time/clock.js';
import { ReleaseReceiver } from '../transport/release-datagrams.js';
import { RefusalLog } from '../transport/refusal-log.js';
import type { Session } from '../transport/session.js';
import { Coordinator, ROSTER_LIMIT } from './coordinator.js';
import { dialPeer } from '../transport/handshake.js';
import { startListener } from '../transport/listener.js';
import { Member } from './member.js';
import { GROUP_SOCKET_VARIABLE } from './group-link.js';
import { joinWrapper } from './wrapped-group.js';
import { MAX_FRAME_BYTES } from '../transport/wire-format.js';
import { type WireIdentity } from '../transport/authentication.js';
import type { BarrierOptions, CloseOptions, Group, OutcomeReport, Peer } from './group.js';
import { Rounds } from '../lifecycle/rounds.js';
import { assertCallerBarrierName, finishBarrier, roundBarrier } from '../lifecycle/round-names.js';
import { succeeded, type WorkloadOutcome } from '../lifecycle/outcome.js';
import { formatDuration } from '../time/duration.js';
import { Deferred, entryOf, newGeneration, type BarrierRole, type Release } from './role.js';

/** How far apart a pod asks for its own name at most, while its record is not there yet. */
const OWN_NAME_MAX_DELAY_MS = 200;

interface Checked extends ProbeResult {
  addresses: string[];
}

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
  const run = new Run(config);
  try {
    return await run.start();
  } catch (error) {
    await run.shutdown(0);
    throw error;
  }
}

class Run {
  private readonly own: WireIdentity;
  private readonly names: { short: string; fqdn: string | undefined }[];
  private readonly checks = new Map<number, PeerCheck<Checked>>();
  private readonly callouts = new Map<number, AbortController>();
  private readonly gates = new Map<number, Deferred<void>>();
  private readonly limiter: Limiter;
  private readonly schedule: Schedule;
  private readonly stop = new AbortController();
  private readonly role: BarrierRole;
  private readonly probe: { probe: Probe; close(): void } | undefined;
  private readonly resolver: NameResolver;
  private listener: Awaited<ReturnType<typeof startListener>> | undefined;
  private timers: Cancel[] = [];
  private lastProgress = '';
  private readonly refusals: RefusalLog;
  private readonly startedAt = performance.now();
  private readonly rounds: Rounds;
  /** The last round this pod reported an outcome for. */
  private reportedRound = -1;

  constructor(private readonly config: Config) {
    const { identity } = config;
    this.own = { job: identity.jobName, uid: config.jobUid, size: identity.count, index: identity.index, gen: newGeneration(randomBytes(4).toString('hex')) };
    this.names = Array.from({ length: identity.count }, (_, index) => ({
      short: peerShortName(identity.jobName, index, identity.subdomain),
      fqdn:
        identity.namespace === undefined || identity.clusterDomain === undefined
          ? undefined
          : peerFqdn(identity.jobName, index, identity.subdomain, identity.namespace, identity.clusterDomain),
    }));
    this.limiter = new Limiter(config.concurrency);
    this.refusals = new RefusalLog(config.log, config.logIntervalMs);
    this.schedule = { ...config.backoff, attemptTimeoutMs: config.attemptTimeoutMs };
    this.resolver = createNameResolver({
      servers: config.dnsServers,
      families: config.families,
      attemptTimeoutMs: config.attemptTimeoutMs,
      absolute: this.names[0]?.fqdn !== undefined,
    });
    this.probe = config.probe === 'tcp' ? undefined : buildProbe(config.probe, config.attemptTimeoutMs);
    this.rounds = new Rounds(
      (index) => this.names[index]?.short ?? String(index),
      (error) => config.log(error.message, { event: 'peer-failed', round: error.round, next: error.next ?? null, failure: error.failure }),
    );
    this.role =
      identity.index === 0
        ? new Coordinator({
            size: identity.count,
            topology: config.topology,
            sessionTimeoutMs: config.sessionTimeoutMs,
            progressIntervalMs: progressInterval(identity.count),
            reasonFor: (index) => this.coordinatorReason(index),
            onSeen: (index) => this.seen(index),
            restarts: config.restarts,
            fatalExitCodes: config.fatalExitCodes,
            onStop: (stop) => this.rounds.stopped(stop),
            onAllFinished: (round, outcomes) => this.logAllFinished(round, outcomes),
          })
        : new Member({
            connection: () =>
              new PeerCheck<Session>({
                index: 0,
                name: this.names[0]?.short ?? '',
                attempt: async (signal, timeoutMs) => (await this.dial(0, signal, timeoutMs)).channel,
                dispose: (session) => session.destroy(),
                schedule: this.schedule,
                limiter: this.limiter,
              }),
            sessionTimeoutMs: config.sessionTimeoutMs,
            // The rollcall port's UDP twin when free, so that a NetworkPolicy can name it.
            openDatagramEar: (session, onRelease) => ReleaseReceiver.open(session.localAddress, config.port, onRelease),
            onSeen: (index) => this.present(index),
            onStop: (stop) => this.rounds.stopped(stop),
            onCoordinatorVanished: () => this.rounds.coordinatorVanished(),
          });
  }

  async start(): Promise<Group> {
    const { identity, topology } = this.config;
    this.listener = await startListener({
      host: this.config.listenHost,
      port: this.config.port,
      own: this.own,
      secret: this.config.secret,
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      // Each peer holds at most a session and a probe; the rest is headroom for late joiners and refusals.
      maxConnections: identity.count * 2 + 256,
      onHello: (hello) => {
        this.present(hello.index);
        this.role.heardFrom(hello.index);
      },
      onMember: this.role.addMember?.bind(this.role),
      onRefused: (reason, remote) => this.refusals.note(reason, remote),
    });

    const deadline = AbortSignal.any([this.stop.signal, ...(this.config.signal === undefined ? [] : [this.config.signal])]);
    this.timers.push(systemClock.every(DEFAULTS.progressIntervalMs, () => this.reportProgress('start')));
    this.timers.push(systemClock.every(this.config.logIntervalMs, () => this.logProgress('start')));

    const self = identity.index;
    this.checks.set(self, this.newCheck(self));
    // In a mesh a member asks for a peer's name only once that peer is known to be up (index 0 saw it
    // join): N² names on a blind schedule would be the cluster DNS's whole load. Index 0 asks for every
    // member's, as in a star, to say why one is missing.
    const peers = topology === 'mesh' ? this.range().filter((index) => index !== self) : [];
    const gated = (index: number) => self !== 0 && index !== 0;
    for (const index of peers) {
      const check = this.newCheck(index);
      if (gated(index)) check.reason = 'not-arrived';
      this.checks.set(index, check);
    }
    const fanout = new AbortFanout(deadline);

    let checksMs = 0;
    const released = (async () => {
      // Nobody dials anyone before its own name resolves, so a pod that has joined index 0 or sent a
      // hello has a name that resolves: the plain question for it is safe to ask.
      await fanout.run((signal) => (this.checks.get(self) as PeerCheck<Checked>).run(signal));
      this.role.start(deadline);
      if (topology === 'star' && self === 0) this.startCallouts(fanout);
      await Promise.all(peers.map((index) => fanout.run(async (signal) => {
        if (gated(index)) await withDeadline(this.presence(index).promise, this.config.timeoutMs, () => signal.reason, signal);
        return (this.checks.get(index) as PeerCheck<Checked>).run(signal);
      })));
      checksMs = performance.now() - this.startedAt;
      const own = this.checks.get(self)?.result;
      this.role.arrive('start', own?.addresses.slice(0, 8) ?? []);
      return this.role.released('start');
    })();
    // Settled by the deadline or the signal instead, it has nothing more to say.
    released.catch(() => {});
    let release: Release;
    try {
      release = await withDeadline(released, this.config.timeoutMs, () => new PeersTimeoutError(this.config.timeoutMs, this.progress('start')), this.config.signal);
    } catch (error) {
      // Stops every check still running; on a timeout, with the error that names who was missing.
      this.stop.abort(error);
      throw error;
    }
    this.clearTimers();
    for (const callout of this.callouts.values()) callout.abort();
    this.rounds.begin(0);
    this.reportProgress('start');
    return this.group(release.roster, { checksMs, releaseMs: performance.now() - this.startedAt });
  }

  /** Stops everything this run started; the coordinator first waits (bounded) for the release acks. */
  async shutdown(closeTimeoutMs: number): Promise<void> {
    this.clearTimers();
    if (!this.stop.signal.aborted) this.stop.abort(new Error('closed'));
    await this.role.close(closeTimeoutMs);
    this.probe?.close();
    this.resolver.close();
    await this.listener?.close();
  }

  private range(): number[] {
    return Array.from({ length: this.config.identity.count }, (_, index) => index);
  }

  private lookupName(index: number): string {
    const name = this.names[index];
    return name?.fqdn ?? name?.short ?? '';
  }

  private newCheck(index: number): PeerCheck<Checked> {
    const isSelf = index === this.config.identity.index;
    const podIps = this.config.identity.podIps;
    return new PeerCheck({
      index,
      name: this.names[index]?.short ?? '',
      // A pod's own record is due about a second after it starts: waiting for it is the whole group's wait.
      schedule: isSelf ? { ...this.schedule, minDelayMs: Math.min(this.schedule.minDelayMs, OWN_NAME_MAX_DELAY_MS / 4), maxDelayMs: Math.min(this.schedule.maxDelayMs, OWN_NAME_MAX_DELAY_MS) } : this.schedule,
      limiter: this.limiter,
      attempt: async (signal, timeoutMs) => {
        // Index 0 asking for a member that has not shown up has no reason yet to expect its name.
        const speculative = this.config.identity.index === 0 && index !== 0;
        const addresses = await this.resolver.resolve(this.lookupName(index), signal, timeoutMs, speculative);
        if (isSelf && podIps.length > 0 && !addresses.some((address) => podIps.includes(address))) {
          throw new AttemptError('not-this-pod', `${addresses.join(',')} is not ${podIps.join(',')}`);
        }
        if (this.probe !== undefined) return { addresses, ...(await this.probe.probe({ index, name: this.lookupName(index), addresses }, signal)) };
        const dialed = await this.dialAddresses(index, addresses, 'probe', signal, timeoutMs);
        dialed.channel.end();
        return { addresses, address: dialed.address, rttMs: dialed.rttMs };
      },
    });
  }

  /**
   * The session with the coordinator goes to one address only: racing a session to each address of a
   * dual-stack or replaced pod would leave the coordinator holding the loser. With several addresses, a
   * probe handshake picks the live one first.
   */
  private async dial(index: number, signal: AbortSignal, timeoutMs: number) {
    let addresses = await this.resolver.resolve(this.lookupName(index), signal, timeoutMs);
    if (addresses.length > 1) {
      const probe = await this.dialAddresses(index, addresses, 'probe', signal, timeoutMs);
      probe.channel.end();
      addresses = [probe.address];
    }
    return this.dialAddresses(index, addresses, 'member', signal, timeoutMs);
  }

  private dialAddresses(index: number, addresses: string[], role: 'probe' | 'member', signal: AbortSignal, timeoutMs: number) {
    return dialPeer({
      addresses,
      port: this.config.port,
      own: this.own,
      secret: this.config.secret,
      role,
      expectIndex: index,
      ...(index === this.own.index ? { expectGen: this.own.gen } : {}),
      timeoutMs,
      signal,
      // Only the coordinator's release may carry the roster; every other frame stays small.
      maxFrameBytes: role === 'member' ? MAX_FRAME_BYTES + 64 * Math.min(this.own.size, ROSTER_LIMIT) * 8 : MAX_FRAME_BYTES,
    });
  }

  /**
   * In a star, index 0 dials every member that has not checked in: a member waiting out its backoff on
   * index 0's name hears the coordinator is up in milliseconds, so index 0 arriving last costs nothing.
   */
  private startCallouts(fanout: AbortFanout): void {
    for (const index of this.range()) {
      if (index === 0 || this.presence(index).settled) continue;
      const controller = fanout.child();
      this.callouts.set(index, controller);
      const check = this.newCheck(index);
      this.checks.set(index, check);
      fanout.run((signal) => check.run(signal), controller).catch(() => {});
    }
  }

  /** Index 0's own check of a pod says why it is absent better than "not arrived" can. */
  private coordinatorReason(index: number): MissingReasonCode {
    const check = this.checks.get(index);
    return check === undefined || check.passed || check.reason === 'not-checked' ? 'not-arrived' : check.reason;
  }

  private seen(index: number): void {
    this.callouts.get(index)?.abort();
    this.present(index);
  }

  /** The pod at `index` is up and its name resolves (it joined index 0, or sent us a hello). */
  private present(index: number): void {
    const name = this.lookupName(index);
    if (name !== '') this.resolver.markExists(name);
    this.presence(index).resolve();
    this.checks.get(index)?.kick();
  }

  private presence(index: number): Deferred<void> {
    return entryOf(this.gates, index, () => new Deferred<void>());
  }

  private missing(barrier: string): MissingPeer[] {
    const found = new Map<number, MissingPeer>();
    const add = (index: number, reason: MissingReasonCode, detail?: string) => {
      if (found.has(index)) return;
      // Where the code becomes words: the MissingPeer a caller, a log line or an error shows.
      found.set(index, { index, name: this.names[index]?.short ?? String(index), code: reason, reason: MISSING_REASONS[reason], ...(detail === undefined ? {} : { detail }) });
    };
    if (barrier === 'start') {
      for (const check of this.checks.values()) {
        if (!check.passed && !this.callouts.has(check.index)) add(check.index, check.reason, check.detail);
      }
      for (const link of this.role.missingLinks()) add(link.index, link.reason, link.detail);
    }
    for (const [index, reason] of this.role.view(barrier)?.missing ?? []) add(index, reason);
    return [...found.values()].sort((a, b) => a.index - b.index);
  }

  private progress(barrier: string): Progress {
    const missing = this.missing(barrier);
    // The coordinator's count is the authority; before it has spoken, a pod knows only its own checks,
    // and a peer it checked but has no session with (index 0, reconnecting) is not ready for it.
    const view = this.role.view(barrier);
    const listed = new Set(missing.map((peer) => peer.index));
    const passed = [...this.checks.values()].filter((check) => check.passed && !this.callouts.has(check.index) && !listed.has(check.index)).length;
    const ready = view?.ready ?? (barrier === 'start' ? passed : 0);
    return { barrier, ready, size: this.config.identity.count, missing };
  }

  private reportProgress(barrier: string): void {
    if (this.config.onProgress === undefined) return;
    const progress = this.progress(barrier);
    const key = `${progress.ready}|${progress.missing.map((peer) => `${peer.index}:${peer.reason}`).join(',')}`;
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.config.onProgress(progress);
  }

  private logProgress(barrier: string): void {
    this.config.log(`${barrier === 'start' ? '' : `${barrier}: `}${describeCount(this.progress(barrier))}`);
  }

  private clearTimers(): void {
    for (const cancel of this.timers) cancel();
    this.timers = [];
    this.refusals.close();
  }

  private group(roster: string[][] | undefined, timings: Group['timings']): Group {
    const peers = this.range().map((index) => {
      const checked = this.checks.get(index)?.result;
      return {
        index,
        name: this.names[index]?.short ?? '',
        fqdn: this.names[index]?.fqdn,
        addresses: checked?.addresses ?? roster?.[index] ?? [],
        address: checked?.address,
        rttMs: checked?.rttMs,
      };
    });
    const { identity, topology } = this.config;
    const rounds = this.rounds;
    return {
      index: identity.index,
      size: identity.count,
      jobName: identity.jobName,
      topology,
      self: peers[identity.index] as Peer,
      peers,
      timings,
      barrier: (name, options) => {
        assertCallerBarrierName(name);
        return this.barrier(name, options);
      },
      get round() {
        return rounds.round;
      },
      get signal() {
        return rounds.signal;
      },
      report: (outcome) => this.report(outcome),
      exitBarrier: (timeoutMs) => this.exitBarrier(timeoutMs ?? this.config.exitTimeoutMs),
      nextRound: () => this.nextRound(),
      close: (options) => this.close(options),
    };
  }

  private report(report: OutcomeReport = {}): void {
    const outcome = normalizeOutcome(report, performance.now() - this.rounds.startedAt);
    if (this.reportedRound >= this.rounds.round) return;
    this.reportedRound = this.rounds.round;
    this.role.report(this.rounds.round, outcome);
    // Index 0 finished and left: nobody will judge this failure, so it is this pod's own verdict.
    if (!this.role.refereed && !succeeded(outcome)) {
      const { exitCode, signal, runMs } = outcome;
      this.rounds.stopped({ round: this.rounds.round, next: undefined, failure: { index: this.config.identity.index, how: signal === null ? 'exit' : 'signal', exitCode, signal, afterMs: runMs } });
    }
  }

  private async exitBarrier(timeoutMs: number): Promise<boolean> {
    if (timeoutMs === 0 || this.rounds.signal.aborted || !this.role.refereed) return false;
    this.config.log(`workload finished; waiting up to ${formatDuration(timeoutMs)} until every pod's has (exit barrier)`, { event: 'exit-barrier', round: this.rounds.round });
    try {
      await this.barrier(finishBarrier(this.rounds.round), { timeoutMs, signal: this.rounds.signal });
      return true;
    } catch (error) {
      if (error instanceof PeersTimeoutError) this.config.log(`exit barrier: ${error.message}; leaving without them`, { event: 'exit-barrier-timeout', missing: error.missing });
      return false;
    }
  }

  private async nextRound(): Promise<number> {
    const next = this.rounds.next;
    if (next === undefined) {
      throw this.rounds.signal.aborted ? this.rounds.signal.reason : new Error('nextRound() follows a round the group stopped; this one is still running');
    }
    await this.barrier(roundBarrier(next), { timeoutMs: this.config.timeoutMs, signal: this.rounds.over });
    this.rounds.begin(next);
    return next;
  }

  private async close(options: CloseOptions = {}): Promise<void> {
    const { exitTimeoutMs = this.config.exitTimeoutMs, ...outcome } = options;
    if (!this.stop.signal.aborted && !this.rounds.signal.aborted) {
      const first = this.reportedRound < this.rounds.round;
      this.report(outcome);
      if (first && succeeded(normalizeOutcome(outcome, 0))) await this.exitBarrier(exitTimeoutMs);
    }
    await this.shutdown(this.config.closeTimeoutMs);
  }

  private logAllFinished(round: number, outcomes: WorkloadOutcome[]): void {
    const each = outcomes.map((outcome, index) => `${index}: exit ${outcome.exitCode} (${formatDuration(outcome.runMs)})`);
    const shown = each.length > 16 ? [...each.slice(0, 16), `and ${each.length - 16} more`] : each;
    this.config.log(`all ${outcomes.length} workloads finished${round > 0 ? ` in restart round ${round}` : ''}: ${shown.join(', ')}`, {
      event: 'all-finished',
      round,
      outcomes: outcomes.map((outcome, index) => ({ index, exitCode: outcome.exitCode, runMs: Math.round(outcome.runMs) })),
    });
  }

  private async barrier(name: string, options: BarrierOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const signals = [this.stop.signal, ...(options.signal === undefined ? [] : [options.signal])];
    const signal = AbortSignal.any(signals);
    signal.throwIfAborted();
    this.role.arrive(name, []);
    const logging = systemClock.every(this.config.logIntervalMs, () => this.logProgress(name));
    try {
      await withDeadline(this.role.released(name), timeoutMs, () => new PeersTimeoutError(timeoutMs, this.progress(name), name), signal);
    } finally {
      logging();
    }
  }
}

/** A caller's report, checked, as the wire carries it; neither code nor signal means success. */
function normalizeOutcome(report: OutcomeReport, defaultRunMs: number): WorkloadOutcome {
  const { exitCode, signal = null, runMs = defaultRunMs } = report;
  if (exitCode !== undefined && exitCode !== null && (!Number.isSafeInteger(exitCode) || exitCode < 0 || exitCode > 255)) {
    throw new TypeError(`Expected \`exitCode\` to be an integer from 0 to 255 or null, got ${String(exitCode)}`);
  }
  if (signal !== null && (typeof signal !== 'string' || !/^SIG[A-Z0-9]{1,12}$/.test(signal))) {
    throw new TypeError(`Expected \`signal\` to be a signal name such as "SIGTERM", got ${JSON.stringify(signal)}`);
  }
  if (!Number.isFinite(runMs) || runMs < 0) throw new TypeError(`Expected \`runMs\` to be a non-negative number, got ${String(runMs)}`);
  return { exitCode: exitCode ?? (signal === null ? 0 : null), signal, runMs };
}


/** Progress goes to every member each interval: at thousands of pods, less often (2 s at 10,000). */
function progressInterval(size: number): number {
  return Math.max(DEFAULTS.progressIntervalMs, Math.round(size / 5));
}
