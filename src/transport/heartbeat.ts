import type { FrameChannel } from './frame-channel.js';

/** A beat goes out this many times per session timeout: a few lost beats alone never end a session. */
const BEATS_PER_TIMEOUT = 6;

/**
 * Keeps a session with index 0 honest about being alive, on both ends. A peer whose node died or whose
 * network went silent sends no reset, and TCP's own keepalive takes minutes to notice; a session that
 * has heard nothing for the whole timeout is destroyed instead, so that its close handling runs: the
 * coordinator stops counting the member, and the member reconnects and reports index 0 missing.
 */
export function keepSessionAlive(channel: FrameChannel, sessionTimeoutMs: number): void {
  let heard = performance.now();
  channel.socket.on('data', () => (heard = performance.now()));
  const timer = setInterval(() => {
    if (performance.now() - heard > sessionTimeoutMs) channel.socket.destroy();
    else channel.send({ t: 'beat' });
  }, sessionTimeoutMs / BEATS_PER_TIMEOUT);
  timer.unref();
  channel.socket.once('close', () => clearInterval(timer));
}
