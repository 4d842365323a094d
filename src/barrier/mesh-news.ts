import type { Cancel, Clock } from '../time/clock.js';
import type { Session } from '../transport/session.js';
import { MAX_SEEN } from '../transport/wire-format.js';

/** How news of joins is gathered: at most one `seen` frame per member per window. */
const ANNOUNCE_WINDOW_MS = 50;

/**
 * In a mesh every pod waits on its own check of a newcomer, so index 0 tells everyone still checking of
 * each join and arrival: at once when nothing went out in the last window, else gathered into one frame
 * per member per window (O(N) frames per burst rather than one per pod).
 */
export class MeshNews {
  private readonly unannounced = new Set<number>();
  private cancel: Cancel | undefined;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    /** Sends `seen{indexes}` to every member still checking its peers. */
    private readonly tell: (indexes: number[]) => void,
  ) {}

  seen(index: number): void {
    this.unannounced.add(index);
    if (this.cancel !== undefined) return;
    const wait = Math.max(0, this.last + ANNOUNCE_WINDOW_MS - this.clock.now());
    this.cancel = this.clock.after(wait, () => this.flush());
  }

  /** A member that joins late hears at once of everyone who came before it. */
  greet(channel: Session, before: number[]): void {
    for (let start = 0; start < before.length; start += MAX_SEEN) channel.send({ t: 'seen', indexes: before.slice(start, start + MAX_SEEN) });
  }

  close(): void {
    this.cancel?.();
  }

  private flush(): void {
    this.cancel = undefined;
    this.last = this.clock.now();
    const indexes = [...this.unannounced];
    this.unannounced.clear();
    for (let start = 0; start < indexes.length; start += MAX_SEEN) this.tell(indexes.slice(start, start + MAX_SEEN));
  }
}
