import type { Frame } from './wire-format.js';

/**
 * What a role sees of an authenticated connection: frames in and out, signs of life, and its end. A
 * FrameChannel is one over a socket; unit tests drive the roles through fakes of it.
 */
export interface Session {
  send(frame: Frame): void;
  /** Every frame from now on, in order; frames that came before a handler are delivered to it first. */
  onFrame(handler: (frame: Frame) => void): void;
  /** Once, when the session is gone for whatever reason (ended, dropped, reset, timed out). */
  onClose(handler: () => void): void;
  /** Whenever anything at all arrives from the peer. */
  onActivity(handler: () => void): void;
  /** Ends the session once what was sent has gone out. */
  end(): void;
  /** Drops the session at once. */
  destroy(): void;
  readonly closed: boolean;
  /** The peer's address, as a datagram is sent to it. */
  readonly remoteAddress: string;
  /** This end's address, where a datagram socket beside the session binds. */
  readonly localAddress: string;
}
