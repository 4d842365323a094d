import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { answerStatus, readStatus } from '../../src/barrier/status-session.js';
import type { GroupStatus } from '../../src/lifecycle/group-status.js';
import { Deadline } from '../../src/time/deadline.js';
import { dialPeer } from '../../src/transport/handshake.js';
import { startListener } from '../../src/transport/listener.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** A loopback server that answers each connection with `answer`; resolves with a client socket to it. */
async function dial(answer: (socket: Socket) => void): Promise<Socket> {
  server = createServer(answer);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

const status = (size: number): GroupStatus => ({
  job: 'job',
  size,
  view: 'index 0',
  from: 0,
  round: 0,
  phase: 'running',
  verdict: undefined,
  pods: Array.from({ length: size }, (_, index) => ({ index, name: `job-${index}`, address: undefined, state: 'running', round: 0, exitCode: undefined, signal: undefined, lastHeardMs: 1, lastProgressMs: undefined })),
  note: undefined,
  healthy: true,
});

test('index 0 answers once asked, with the whole status, and ends; the asker reads it to the end, also past what came with the handshake', async () => {
  const big = status(5000);
  const text = JSON.stringify(big);
  const socket = await dial((peer) => answerStatus(peer, () => big));
  // The first bytes may have come in with the handshake's last frame: the reader starts with them.
  await expect(readStatus(socket, Buffer.alloc(0), 5000, Deadline.in(5000))).resolves.toEqual(JSON.parse(text));
  const split = await dial((peer) => peer.once('data', () => peer.end(text.slice(10))));
  await expect(readStatus(split, Buffer.from(text.slice(0, 10)), 5000, Deadline.in(5000))).resolves.toMatchObject({ size: 5000, healthy: true });
});

test('an answer that is not of this group, not JSON, or too slow is an error, and the connection is closed', async () => {
  const other = await dial((peer) => answerStatus(peer, () => status(3)));
  await expect(readStatus(other, Buffer.alloc(0), 4, Deadline.in(5000))).rejects.toMatchObject({ code: 'ERR_ROLLCALL_STATUS', message: "index 0's status is not one of this group of 4" });
  const garbage = await dial((peer) => peer.once('data', () => peer.end('{"pods": [')));
  await expect(readStatus(garbage, Buffer.alloc(0), 4, Deadline.in(5000))).rejects.toBeInstanceOf(SyntaxError);
  const silent = await dial(() => {});
  await expect(readStatus(silent, Buffer.alloc(0), 4, Deadline.in(200))).rejects.toMatchObject({ code: 'ERR_ROLLCALL_STATUS', message: 'index 0 did not answer for the status in time' });
  expect(silent.destroyed).toBe(true);
});

test('after a real handshake: a status far larger than a frame comes through whole (it is sent only once asked, off the frame reader)', async () => {
  const own = { job: 'job', uid: '', size: 5000, index: 0, gen: 'g0-aaaa' };
  const big = status(5000);
  const listener = await startListener({
    host: '127.0.0.1',
    port: 0,
    own,
    secret: 'status-secret',
    handshakeTimeoutMs: 2000,
    maxConnections: 8,
    onHello: () => {},
    sessions: { status: (channel) => answerStatus(channel.handOver().socket, () => big) },
    onRefused: () => {},
  });
  try {
    const deadline = Deadline.in(5000);
    const { channel } = await dialPeer({ addresses: ['127.0.0.1'], port: listener.port, own: { ...own, index: 7, gen: 'g7-bbbb' }, secret: 'status-secret', role: 'status', expectIndex: 0, deadline, signal: new AbortController().signal });
    const { socket, rest } = channel.handOver();
    expect(await readStatus(socket, rest, 5000, deadline)).toEqual(big);
  } finally {
    await listener.close();
  }
});
