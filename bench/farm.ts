// Simulated peers for the scale benchmarks, run as a child process: each peer has a real rollcall
// listener (so it passes the default tcp probe) and, when told, a real member session to index 0 that
// arrives, beats and waits for the release. Prints one JSON line when done.
import { once } from 'node:events';
import { connect } from 'node:net';
import { handshake } from '../src/transport/handshake.js';
import { startListener, type Listener } from '../src/transport/listener.js';
import { ReleaseReceiver } from '../src/transport/release-datagrams.js';
import type { WireIdentity } from '../src/transport/authentication.js';
import { keepSessionAlive } from '../src/transport/heartbeat.js';
import { DEFAULTS } from '../src/barrier/options.js';
import { Deadline } from '../src/time/deadline.js';
import { systemClock } from '../src/time/clock.js';

const [first, last, size, port, job, coordinatorAddress, arrive] = process.argv.slice(2);
const from = Number(first);
const to = Number(last);
const groupSize = Number(size);
const listenPort = Number(port);
const wallClockMs = () => performance.timeOrigin + performance.now();

export function peerAddress(index: number): string {
  return `127.${1 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
}

const identity = (index: number): WireIdentity => ({ job: job as string, uid: '', size: groupSize, index, gen: `farm-${index}` });
const listeners: Listener[] = [];
for (let index = from; index < to; index++) {
  listeners.push(
    await startListener({
      host: peerAddress(index),
      port: listenPort,
      own: identity(index),
      secret: undefined,
      handshakeTimeoutMs: 10_000,
      maxConnections: 64,
      onHello: () => {},
      sessions: {},
      onRefused: () => {},
    }),
  );
}
process.stdout.write(`${JSON.stringify({ ready: to - from })}\n`);

if (arrive === 'arrive') {
  // Wait for the go line on stdin, then every peer checks in and arrives at once.
  await new Promise((resolve) => process.stdin.once('data', resolve));
  let lastArrival = 0;
  let lastRelease = 0;
  await Promise.all(
    Array.from({ length: to - from }, async (_, offset) => {
      const index = from + offset;
      const signal = new AbortController().signal;
      for (let attempt = 0; ; attempt++) {
        try {
          // Each simulated pod speaks from its own address, as real pods do.
          const socket = connect({ host: coordinatorAddress as string, port: listenPort, localAddress: peerAddress(index) });
          await once(socket, 'connect');
          const session = await handshake(socket, coordinatorAddress as string, 0, { own: identity(index), secret: undefined, role: 'member', expectIndex: 0, deadline: Deadline.in(20_000), signal, maxFrameBytes: 64 * 1024 }, signal);
          // As a real member does, it takes the release by session or by datagram, whichever comes first.
          let released = () => {};
          const done = new Promise<void>((resolve) => (released = resolve));
          const release = () => {
            lastRelease = Math.max(lastRelease, wallClockMs());
            session.channel.send({ t: 'ack', barrier: 'start' });
            released();
          };
          session.channel.onFrame((frame) => {
            if (frame.t === 'release') release();
          });
          // Beats, as a real member sends them: index 0 drops a session silent for the session timeout.
          keepSessionAlive(session.channel, DEFAULTS.sessionTimeoutMs, systemClock);
          const receiver = await ReleaseReceiver.open(peerAddress(index), listenPort, release);
          if (receiver !== undefined) session.channel.send({ t: 'nudge', port: receiver.port, token: receiver.token });
          session.channel.send({ t: 'arrive', barrier: 'start', addrs: [peerAddress(index)] });
          lastArrival = Math.max(lastArrival, wallClockMs());
          await done;
          receiver?.close();
          session.channel.socket.end();
          return;
        } catch (error) {
          if (attempt > 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
        }
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ lastArrival, lastRelease })}\n`);
}
await new Promise((resolve) => process.stdin.once('end', resolve));
await Promise.all(listeners.map((listener) => listener.close()));
process.exit(0);
