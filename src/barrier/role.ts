/** What a pod learns when a barrier opens: for the start barrier, each index's own addresses when the group is small. */
export interface Release {
  roster: string[][] | undefined;
}

/** The coordinator's view of one barrier, as every pod can report it. */
export interface BarrierView {
  ready: number;
  /** Missing indexes with the coordinator's reason (the first 32). */
  missing: [number, string][];
}

/** Index 0 plays the coordinator; every other index a member. Both look the same to waitForPeers. */
export interface BarrierRole {
  arrive(barrier: string, addrs: string[]): void;
  released(barrier: string): Promise<Release>;
  view(barrier: string): BarrierView | undefined;
  close(timeoutMs: number): Promise<void>;
}

/** The generation orders pods that share an index: the one started later replaces the earlier. */
export function newGeneration(random: string): string {
  return `${Date.now().toString(36)}-${random}`;
}

export function generationTime(gen: string): number {
  return Number.parseInt(gen.split('-')[0] ?? '', 36) || 0;
}

export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  settled = false;

  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.resolve = (value) => {
        this.settled = true;
        resolve(value);
      };
    });
  }
}
