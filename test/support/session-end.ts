import type { Frame } from '../../src/transport/wire-format.js';

/**
 * What a test's sessions have in common on their receiving side: frames that came before a handler wait
 * for it, every arrival is activity, and the close is said once to every close handler.
 */
export class SessionEnd {
  closed = false;
  private handler: ((frame: Frame) => void) | undefined;
  private readonly queued: Frame[] = [];
  private readonly closeHandlers: (() => void)[] = [];
  private readonly activityHandlers: (() => void)[] = [];

  onFrame(handler: (frame: Frame) => void): void {
    this.handler = handler;
    while (this.queued.length > 0 && !this.closed) handler(this.queued.shift() as Frame);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  onActivity(handler: () => void): void {
    this.activityHandlers.push(handler);
  }

  /** `frame` arrived from the peer. */
  protected deliver(frame: Frame): void {
    if (this.closed) return;
    for (const handler of this.activityHandlers) handler();
    if (this.handler === undefined) this.queued.push(frame);
    else this.handler(frame);
  }

  /** The connection is gone. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
