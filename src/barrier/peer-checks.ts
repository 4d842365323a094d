import type { Limiter } from '../discovery/limiter.js';
import { PeerCheck, type Schedule } from '../discovery/peer-check.js';
import type { Probe, ProbeResult } from '../discovery/probes/types.js';
import type { NameResolver } from '../discovery/resolve.js';
import { AttemptError, type MissingReasonCode } from '../errors.js';
import type { AbortFanout } from '../time/abort-fanout.js';
import type { Clock } from '../time/clock.js';
import type { Dialer } from './dialer.js';
import type { PeerNames } from './peer-names.js';
import { Deferred, entryOf } from './role.js';

/** How far apart a pod asks for its own name at most, while its record is not there yet. */
const OWN_NAME_MAX_DELAY_MS = 200;

export interface Checked extends ProbeResult {
  addresses: string[];
}

export interface PeerChecksOptions {
  self: number;
  /** This pod's own IPs as the kubelet wrote them: its own name must lead to one of them. */
  podIps: string[];
  names: PeerNames;
  resolver: NameResolver;
  dialer: Dialer;
  /** The chosen probe; undefined for rollcall's own handshake. */
  probe: Probe | undefined;
  limiter: Limiter;
  schedule: Schedule;
  clock: Clock;
  /** The backoff's jitter (Math.random in a pod). */
  random(): number;
  /** Whether a question about `index` is speculative (the role says: index 0 asking for an absent member). */
  speculatesAbout(index: number): boolean;
  /** Settles once this pod's listener is up (or cannot be): its own check dials it. */
  ownListener(): Promise<unknown>;
}

/**
 * This pod's checks of pods (itself first), each retried until it passes, and what it knows of who is up:
 * a pod that joined index 0 or sent a hello has a name that resolves, so checking it again is worth it now.
 */
export class PeerChecks {
  private readonly checks = new Map<number, PeerCheck<Checked>>();
  /** Index 0's checks of members that have not joined (a star's call-outs): why they are absent, not arrivals. */
  private readonly callouts = new Map<number, AbortController>();
  private readonly gates = new Map<number, Deferred<void>>();

  constructor(private readonly options: PeerChecksOptions) {}

  /** Runs the check of `index`, made the first time; resolves when it passes. */
  run(index: number, signal: AbortSignal): Promise<Checked> {
    return entryOf(this.checks, index, () => this.newCheck(index)).run(signal);
  }

  /** Marks a peer not yet asked for as waiting for news of it, so that its reason says so meanwhile. */
  awaitNews(index: number): void {
    entryOf(this.checks, index, () => this.newCheck(index)).reason = 'not-arrived';
  }

  /** Resolves once `index` is known to be up. */
  up(index: number): Promise<void> {
    return this.presence(index).promise;
  }

  result(index: number): Checked | undefined {
    return this.checks.get(index)?.result;
  }

  /** Checks that are this pod's own business (not call-outs), as they stand. */
  own(): PeerCheck<Checked>[] {
    return [...this.checks.values()].filter((check) => !this.callouts.has(check.index));
  }

  /**
   * Index 0 dials every member that has not checked in: a member waiting out its backoff on index 0's name
   * hears the coordinator is up in milliseconds, so index 0 arriving last costs nothing.
   */
  callOut(indexes: readonly number[], fanout: AbortFanout): void {
    for (const index of indexes) {
      if (this.presence(index).settled) continue;
      const controller = fanout.child();
      this.callouts.set(index, controller);
      const check = this.newCheck(index);
      this.checks.set(index, check);
      fanout.run((signal) => check.run(signal), controller).catch(() => {});
    }
  }

  stopCallouts(): void {
    for (const callout of this.callouts.values()) callout.abort();
  }

  /** Index 0's own check of a pod says why it is absent better than "not arrived" can. */
  reasonFor(index: number): MissingReasonCode {
    const check = this.checks.get(index);
    return check === undefined || check.passed || check.reason === 'not-checked' ? 'not-arrived' : check.reason;
  }

  /** The coordinator saw `index` join: its call-out has nothing left to find. */
  seen(index: number): void {
    this.callouts.get(index)?.abort();
    this.present(index);
  }

  /** The pod at `index` is up and its name resolves (it joined index 0, or sent us a hello). */
  present(index: number): void {
    this.options.resolver.markExists(this.options.names.lookup(index));
    this.presence(index).resolve();
    this.checks.get(index)?.kick();
  }

  private presence(index: number): Deferred<void> {
    return entryOf(this.gates, index, () => new Deferred<void>());
  }

  private newCheck(index: number): PeerCheck<Checked> {
    const { self, podIps, names, resolver, dialer, probe, schedule } = this.options;
    const isSelf = index === self;
    return new PeerCheck({
      index,
      name: names.short(index),
      // A pod's own record is due about a second after it starts: waiting for it is the whole group's wait.
      schedule: isSelf ? { ...schedule, minDelayMs: Math.min(schedule.minDelayMs, OWN_NAME_MAX_DELAY_MS / 4), maxDelayMs: Math.min(schedule.maxDelayMs, OWN_NAME_MAX_DELAY_MS) } : schedule,
      limiter: this.options.limiter,
      clock: this.options.clock,
      random: this.options.random,
      attempt: async (signal, deadline) => {
        const addresses = await resolver.resolve(names.lookup(index), signal, deadline, this.options.speculatesAbout(index));
        if (isSelf && podIps.length > 0 && !addresses.some((address) => podIps.includes(address))) {
          throw new AttemptError('not-this-pod', `${addresses.join(',')} is not ${podIps.join(',')}`);
        }
        if (isSelf) await this.options.ownListener();
        if (probe !== undefined) return { addresses, ...(await probe({ index, name: names.lookup(index), addresses }, signal)) };
        return { addresses, ...(await dialer.probe(index, addresses, signal, deadline)) };
      },
    });
  }
}
