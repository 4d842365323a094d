import { systemClock, type Clock } from '../time/clock.js';
import type { Session } from './session.js';

/** A beat goes out this many times per session timeout: a few lost beats alone never end a session. */
const BEATS_PER_TIMEOUT = 6;

/**
 * Keeps a session with index 0 honest about being alive, on both ends. A peer whose node died or whose
 * network went silent sends no reset, and TCP's own keepalive takes minutes to notice; a session that
 * has heard nothing for the whole timeout is destroyed instead, so that its close handling runs: the
 * coordinator stops counting the member, and the member reconnects and reports index 0 missing.
 */
export function keepSessionAlive(session: Session, sessionTimeoutMs: number, clock: Clock = systemClock): void {
  let heard = clock.now();
  session.onActivity(() => (heard = clock.now()));
  const stop = clock.every(sessionTimeoutMs / BEATS_PER_TIMEOUT, () => {
    if (clock.now() - heard > sessionTimeoutMs) session.destroy();
    else session.send({ t: 'beat' });
  });
  session.onClose(stop);
}
