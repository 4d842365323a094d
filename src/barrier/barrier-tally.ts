import type { MissingReasonCode } from '../errors.js';
import { Deferred, type BarrierView, type Release } from './role.js';

const MISSING_SHOWN = 32;

/** Where a pod that has not arrived is: here (a session with index 0), gone (its session closed), or absent. */
export interface Whereabouts {
  here(index: number): boolean;
  left(index: number): boolean;
  /** Why an absent pod is missing, as index 0's own check of it tells. */
  reasonFor(index: number): MissingReasonCode;
}

/**
 * Index 0's count of one barrier: who arrived (with the addresses they gave), the release once all have,
 * and who confirmed it, by the generation of the pod that did.
 */
export class BarrierTally {
  readonly arrived = new Map<number, string[]>();
  private readonly acked = new Map<number, string>();
  readonly release = new Deferred<Release>();
  private confirmed = new Deferred<void>();

  constructor(
    private readonly name: string,
    private readonly size: number,
  ) {}

  get released(): boolean {
    return this.release.settled;
  }

  /** Resolves once every member has confirmed the release (index 0 needs no confirmation of its own). */
  get allAcked(): Promise<void> {
    return this.confirmed.promise;
  }

  /** Counts an arrival; whether it was the last one needed. */
  arrive(index: number, addrs: string[]): boolean {
    this.arrived.set(index, addrs);
    return !this.released && this.arrived.size >= this.size;
  }

  /** A pod whose session closed before the release no longer counts. */
  leave(index: number): void {
    if (!this.released) this.arrived.delete(index);
  }

  /**
   * An arrival after the release, from a late joiner or a replaced pod: a replaced pod's ack is awaited
   * afresh (its predecessor's counted for the index). The same pod's arrival re-sent while its release was
   * on the way changes nothing: it has acked, and may be gone.
   */
  arriveLate(index: number, gen: string | undefined): void {
    if (!this.acked.has(index) || this.acked.get(index) === gen) return;
    this.acked.delete(index);
    if (this.confirmed.settled) this.confirmed = new Deferred();
  }

  ack(index: number, gen: string): void {
    if (!this.released) return;
    this.acked.set(index, gen);
    this.noteAcks();
  }

  open(roster: string[][] | undefined): void {
    this.release.resolve({ roster });
    this.noteAcks();
  }

  hasAcked(index: number): boolean {
    return this.acked.has(index);
  }

  /** Released, and some member has not confirmed it (a group's barriers pile up; most need nothing more). */
  get awaitingAcks(): boolean {
    return this.released && this.acked.size < this.size - 1;
  }

  /** Each index's own addresses, as they arrived. */
  roster(): string[][] {
    return Array.from({ length: this.size }, (_, index) => this.arrived.get(index) ?? []);
  }

  /**
   * For the start barrier, missing means not here (no session with the coordinator): a pod that is here
   * but still checking its peers is waiting on someone absent, who is listed in its place; only when
   * nobody is absent are those still checking listed. For a named barrier everyone not at it is missing.
   */
  view(where: Whereabouts): BarrierView {
    const start = this.name === 'start';
    const absent: [number, MissingReasonCode][] = [];
    const waiting: [number, MissingReasonCode][] = [];
    for (let index = 0; index < this.size; index++) {
      if (this.arrived.has(index)) continue;
      const here = index === 0 || where.here(index);
      if (here) waiting.push([index, start ? 'still-checking' : 'not-at-barrier']);
      else absent.push([index, !start || where.left(index) ? 'left' : where.reasonFor(index)]);
    }
    const missing = start && absent.length > 0 ? absent : [...absent, ...waiting];
    return { ready: this.size - missing.length, missing: missing.slice(0, MISSING_SHOWN) };
  }

  private noteAcks(): void {
    if (this.released && this.acked.size >= this.size - 1) this.confirmed.resolve();
  }
}
