import type { Session } from '../../src/transport/session.js';
import type { Frame } from '../../src/transport/wire-format.js';

/** A session whose peer is the test: it records what the role sends and delivers what the test says. */
export class FakeSession implements Session {
  readonly sent: Frame[] = [];
  closed = false;
  /** Whether the role ended it politely (rather than dropping it). */
  ended = false;
  private handler: ((frame: Frame) => void) | undefined;
  private readonly queued: Frame[] = [];
  private readonly closeHandlers: (() => void)[] = [];
  private readonly activityHandlers: (() => void)[] = [];

  constructor(
    readonly remoteAddress = '10.0.0.2',
    readonly localAddress = '10.0.0.1',
  ) {}

  send(frame: Frame): void {
    if (!this.closed) this.sent.push(frame);
  }

  onFrame(handler: (frame: Frame) => void): void {
    this.handler = handler;
    while (this.queued.length > 0) handler(this.queued.shift() as Frame);
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  onActivity(handler: () => void): void {
    this.activityHandlers.push(handler);
  }

  end(): void {
    this.ended = true;
    this.drop();
  }

  destroy(): void {
    this.drop();
  }

  /** The peer sends `frame`. */
  receive(frame: Frame): void {
    if (this.closed) return;
    for (const handler of this.activityHandlers) handler();
    if (this.handler === undefined) this.queued.push(frame);
    else this.handler(frame);
  }

  /** The connection is gone (reset, or the peer ended it). */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.closeHandlers.splice(0)) handler();
  }

  /** The frames of one type sent so far. */
  sentOf<T extends Frame['t']>(type: T): Extract<Frame, { t: T }>[] {
    return this.sent.filter((frame): frame is Extract<Frame, { t: T }> => frame.t === type);
  }
}
