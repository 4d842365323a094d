import { MISSING_REASONS, describeCount, type MissingPeer, type MissingReasonCode } from '../errors.js';
import type { Cancel, Clock } from '../time/clock.js';
import type { LogFunction, Progress } from './options.js';
import type { PeerChecks } from './peer-checks.js';
import type { PeerNames } from './peer-names.js';
import type { BarrierRole } from './role.js';

export interface ProgressOptions {
  size: number;
  names: PeerNames;
  checks: Pick<PeerChecks, 'own'>;
  role: Pick<BarrierRole, 'missingLinks' | 'view'>;
  clock: Clock;
  log: LogFunction;
  logIntervalMs: number;
  /** How often onProgress may hear of a change. */
  reportIntervalMs: number;
  onProgress: ((progress: Progress) => void) | undefined;
}

/**
 * What this pod knows of a barrier, gathered from its own checks and the coordinator's view: who is
 * confirmed, who is missing and why. Reported to the caller when it changes, and logged every interval.
 */
export class ProgressReport {
  private last = '';

  constructor(private readonly options: ProgressOptions) {}

  /** Reports on the barrier and logs its line every interval, until the returned Cancel. */
  watch(barrier: string, { report = true } = {}): Cancel {
    const { clock, logIntervalMs, reportIntervalMs } = this.options;
    const stops = [clock.every(logIntervalMs, () => this.log(barrier)), ...(report ? [clock.every(reportIntervalMs, () => this.report(barrier))] : [])];
    return () => stops.forEach((stop) => stop());
  }

  progress(barrier: string): Progress {
    const missing = this.missing(barrier);
    const { size } = this.options;
    // The coordinator's count is the authority; before it has spoken, a pod knows only its own checks,
    // and a peer it checked but has no session with (index 0, reconnecting) is not ready for it.
    const view = this.options.role.view(barrier);
    const listed = new Set(missing.map((peer) => peer.index));
    if (view === undefined) {
      const passed = this.options.checks.own().filter((check) => check.passed && !listed.has(check.index)).length;
      return { barrier, ready: barrier === 'start' ? passed : 0, size, missing };
    }
    // A pod this one finds missing (index 0 itself, gone since it last spoke) was counted ready in a view
    // that did not list it: not ready now. Nor can more be ready than are not listed missing.
    const theirs = new Set(view.missing.map(([index]) => index));
    const since = missing.filter((peer) => !theirs.has(peer.index)).length;
    return { barrier, ready: Math.max(0, Math.min(view.ready - since, size - missing.length)), size, missing };
  }

  report(barrier: string): void {
    if (this.options.onProgress === undefined) return;
    const progress = this.progress(barrier);
    const key = `${progress.ready}|${progress.missing.map((peer) => `${peer.index}:${peer.reason}`).join(',')}`;
    if (key === this.last) return;
    this.last = key;
    this.options.onProgress(progress);
  }

  log(barrier: string): void {
    this.options.log(`${barrier === 'start' ? '' : `${barrier}: `}${describeCount(this.progress(barrier))}`);
  }

  private missing(barrier: string): MissingPeer[] {
    const found = new Map<number, MissingPeer>();
    const add = (index: number, reason: MissingReasonCode, detail?: string) => {
      if (found.has(index)) return;
      // Where the code becomes words: the MissingPeer a caller, a log line or an error shows.
      found.set(index, { index, name: this.options.names.short(index), code: reason, reason: MISSING_REASONS[reason], ...(detail === undefined ? {} : { detail }) });
    };
    if (barrier === 'start') {
      for (const check of this.options.checks.own()) if (!check.passed) add(check.index, check.reason, check.detail);
      for (const link of this.options.role.missingLinks?.() ?? []) add(link.index, link.reason, link.detail);
    }
    for (const [index, reason] of this.options.role.view(barrier)?.missing ?? []) add(index, reason);
    return [...found.values()].sort((a, b) => a.index - b.index);
  }
}
