import type { Frame, FrameKind, FrameOf } from './wire-format.js';

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

/** Which frames a role takes on a session, and what it does with each: a kind not listed ends the session. */
export type FrameRoutes<C> = { [K in FrameKind]?: (frame: FrameOf<K>, context: C) => void };

/**
 * Hands each frame of the session to its route; a frame of a kind the role does not take here (a member's
 * verdict at index 0, a handshake frame mid-session) drops the session: a peer that misbehaves once is not
 * worth a second reading.
 */
export function routeFrames<C>(session: Session, routes: FrameRoutes<C>, context: C): void {
  session.onFrame((frame) => {
    const route = routes[frame.t] as ((frame: Frame, context: C) => void) | undefined;
    if (route === undefined) session.destroy();
    else route(frame, context);
  });
}
