import { roundStartedBy } from '../lifecycle/round-names.js';
import type { Expected } from './barrier-tally.js';

/** An elastic group's membership as `rollcall status` shows it: the fewest and most, and each round's size. */
export interface MembershipStatus {
  min: number;
  max: number;
  /** The running (or last) round's members, by index. */
  members: number[];
  /** Every round released so far, in order, with how many it ran with. */
  rounds: { round: number; size: number }[];
}

/**
 * Who the group's rounds run with, as index 0 keeps it: everyone, in a fixed group; in an elastic one,
 * whoever each round's barrier released with. A round's assembly waits for MIN to MAX pods; every other
 * barrier (named, exit) for the members of the round it falls in.
 */
export class RoundMembership {
  private current: readonly number[];
  private readonly rounds: { round: number; size: number }[] = [];

  constructor(
    private readonly min: number,
    private readonly size: number,
  ) {
    this.current = Array.from({ length: size }, (_, index) => index);
  }

  get elastic(): boolean {
    return this.min < this.size;
  }

  get members(): readonly number[] {
    return this.current;
  }

  expected(barrier: string): Expected {
    return roundStartedBy(barrier) === undefined ? { members: this.current } : { min: this.min, size: this.size };
  }

  /** `barrier` released with these members; when it starts a round, they are the round's from now. */
  opened(barrier: string, members: readonly number[]): void {
    const round = roundStartedBy(barrier);
    if (round === undefined) return;
    this.current = members;
    this.rounds.push({ round, size: members.length });
  }

  /** What a pod arriving late at `barrier` hears: for a round's assembly, the members of the round that runs now. */
  lateMembers(barrier: string): readonly number[] | undefined {
    return roundStartedBy(barrier) === undefined ? undefined : this.current;
  }

  status(): MembershipStatus | undefined {
    return this.elastic ? { min: this.min, max: this.size, members: [...this.current], rounds: [...this.rounds] } : undefined;
  }
}
