import type { Session } from '../../src/transport/session.js';
import type { Frame } from '../../src/transport/wire-format.js';
import { SessionEnd } from './session-end.js';

/** A session whose peer is the test: it records what the role sends and delivers what the test says. */
export class FakeSession extends SessionEnd implements Session {
  readonly sent: Frame[] = [];
  /** Whether the role ended it politely (rather than dropping it). */
  ended = false;

  constructor(
    readonly remoteAddress = '10.0.0.2',
    readonly localAddress = '10.0.0.1',
  ) {
    super();
  }

  send(frame: Frame): void {
    if (!this.closed) this.sent.push(frame);
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
    this.deliver(frame);
  }

  /** The frames of one type sent so far. */
  sentOf<T extends Frame['t']>(type: T): Extract<Frame, { t: T }>[] {
    return this.sent.filter((frame): frame is Extract<Frame, { t: T }> => frame.t === type);
  }
}
