import type { Clock } from '../time/clock.js';
import type { Session } from './session.js';

/** A beat goes out this many times per session timeout: a few lost beats alone never end a session. */
const BEATS_PER_TIMEOUT = 6;

/** What a heartbeat needs of a connection: news of anything arriving, its end, a beat to send, a way to drop it. */
export interface Beating {
  onActivity(handler: () => void): void;
  onClose(handler: () => void): void;
  beat(): void;
  destroy(): void;
  /** Whether this end has stopped reading itself (its consumer is full): silence then is not the peer's. */
  paused?(): boolean;
}

/**
 * Keeps a connection honest about being alive, on both ends. A peer whose node died or whose network
 * went silent sends no reset, and TCP's own keepalive takes minutes to notice; a connection that has
 * heard nothing for the whole timeout is destroyed instead, so that its close handling runs (the
 * coordinator stops counting the member; a launch's command is stopped, its agent exits).
 */
export function keepAlive(link: Beating, timeoutMs: number, clock: Clock): void {
  let heard = clock.now();
  link.onActivity(() => (heard = clock.now()));
  const stop = clock.every(timeoutMs / BEATS_PER_TIMEOUT, () => {
    if (link.paused?.() === true) heard = clock.now();
    if (clock.now() - heard > timeoutMs) link.destroy();
    else link.beat();
  });
  link.onClose(stop);
}

/** A session with index 0, kept alive by `beat` frames. */
export function keepSessionAlive(session: Session, sessionTimeoutMs: number, clock: Clock): void {
  keepAlive(
    { onActivity: (handler) => session.onActivity(handler), onClose: (handler) => session.onClose(handler), beat: () => session.send({ t: 'beat' }), destroy: () => session.destroy() },
    sessionTimeoutMs,
    clock,
  );
}
