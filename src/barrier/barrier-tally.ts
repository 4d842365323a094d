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
 * Who a barrier waits for: the members of the round it falls in (a named or exit barrier); or, for a
 * round's assembly (the start barrier, a restart round's), any `min` to `size` pods. Below `size` that
 * is an elastic group's quorum; at `size`, everyone.
 */
export type Expected = { members: readonly number[] } | { min: number; size: number };

/**
 * Whether a barrier can open: `full` (everyone it can count arrived), `quorum` (an elastic round's
 * fewest or more arrived, and so has every pod that is here: a last call may release it), or `short`.
 */
export type Readiness = 'full' | 'quorum' | 'short';

/**
 * Index 0's count of one barrier: who arrived (with the addresses they gave), the release once enough
 * have, the members it released, and who confirmed it, by the generation of the pod that did.
 */
export class BarrierTally {
  readonly arrived = new Map<number, string[]>();
  private readonly acked = new Map<number, string>();
  readonly release = new Deferred<Release>();
  private confirmed = new Deferred<void>();
  private readonly counted: ReadonlySet<number> | undefined;
  private readonly size: number;
  /** The members the release counted, once open, and how many of them other than index 0 have acked. */
  private opened: { members: readonly number[]; set: ReadonlySet<number>; awaited: number } | undefined;
  private acks = 0;

  constructor(
    private readonly name: string,
    private readonly expected: Expected,
  ) {
    this.counted = 'members' in expected ? new Set(expected.members) : undefined;
    this.size = 'members' in expected ? expected.members.length : expected.size;
  }

  get released(): boolean {
    return this.release.settled;
  }

  /** The indexes the release counted, in order (everyone expected, or an elastic round's arrivals). */
  get members(): readonly number[] {
    return this.opened?.members ?? this.indexes();
  }

  /** Resolves once every member has confirmed the release (index 0 needs no confirmation of its own). */
  get allAcked(): Promise<void> {
    return this.confirmed.promise;
  }

  /** Counts an arrival (a pod this barrier does not wait for is not counted). */
  arrive(index: number, addrs: string[]): void {
    if (this.counts(index)) this.arrived.set(index, addrs);
  }

  /** Whether it can open, `here` telling which pods have a session with index 0 now. */
  readiness(here: (index: number) => boolean): Readiness {
    if (this.released) return 'short';
    if (this.arrived.size >= this.size) return 'full';
    if ('members' in this.expected || this.arrived.size < this.expected.min) return 'short';
    for (let index = 0; index < this.size; index++) if (!this.arrived.has(index) && (index === 0 || here(index))) return 'short';
    return 'quorum';
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
    if (this.opened?.set.has(index) === true && index !== 0) this.acks--;
    if (this.confirmed.settled) this.confirmed = new Deferred();
  }

  ack(index: number, gen: string): void {
    if (this.opened === undefined) return;
    if (!this.acked.has(index) && this.opened.set.has(index) && index !== 0) this.acks++;
    this.acked.set(index, gen);
    this.noteAcks();
  }

  /** Opens with whoever arrived; `members` goes with the release when the group is elastic. */
  open(roster: string[][] | undefined, elastic: boolean): void {
    const members = [...this.arrived.keys()].sort((a, b) => a - b);
    const set = new Set(members);
    this.opened = { members, set, awaited: members.length - (set.has(0) ? 1 : 0) };
    this.release.resolve({ roster, members: elastic ? members : undefined });
    this.noteAcks();
  }

  hasAcked(index: number): boolean {
    return this.acked.has(index);
  }

  /** Released, and some member has not confirmed it (a group's barriers pile up; most need nothing more). */
  get awaitingAcks(): boolean {
    return this.released && this.unconfirmed() > 0;
  }

  /** Each index's own addresses, as they arrived (the roster covers every index of the group up to `size`). */
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
    for (const index of this.indexes()) {
      if (this.arrived.has(index)) continue;
      const here = index === 0 || where.here(index);
      if (here) waiting.push([index, start ? 'still-checking' : 'not-at-barrier']);
      else absent.push([index, !start || where.left(index) ? 'left' : where.reasonFor(index)]);
    }
    const missing = start && absent.length > 0 ? absent : [...absent, ...waiting];
    return { ready: this.size - missing.length, missing: missing.slice(0, MISSING_SHOWN) };
  }

  private counts(index: number): boolean {
    return this.counted === undefined ? index < this.size : this.counted.has(index);
  }

  private indexes(): readonly number[] {
    return 'members' in this.expected ? this.expected.members : Array.from({ length: this.size }, (_, index) => index);
  }

  private unconfirmed(): number {
    return this.opened === undefined ? 0 : this.opened.awaited - this.acks;
  }

  private noteAcks(): void {
    if (this.released && this.unconfirmed() === 0) this.confirmed.resolve();
  }
}
