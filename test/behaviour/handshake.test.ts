import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { AttemptError } from '../../src/errors.js';
import { newNonce, proof, type WireIdentity } from '../../src/transport/authentication.js';
import { dialPeer, type DialOptions } from '../../src/transport/handshake.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { PROTOCOL_VERSION } from '../../src/transport/wire-format.js';
import { Deadline } from '../../src/time/deadline.js';
import { FakeClock } from '../support/fake-clock.js';

const HOST = '127.0.0.1';
const SECRET = 'handshake-secret';
const own: WireIdentity = { job: 'job', uid: '', size: 3, index: 0, gen: 'g0-aaaa' };
const peer: WireIdentity = { ...own, index: 1, gen: 'g1-bbbb' };

/** The client side of the handshake, in milliseconds on loopback: against a real listener, or a scripted one. */
describe('dialPeer', () => {
  let listener: Listener;
  let open: Listener;
  beforeAll(async () => {
    const base = { host: HOST, port: 0, own, handshakeTimeoutMs: 2000, maxConnections: 64, onHello: () => {}, sessions: {}, onRefused: () => {} };
    listener = await startListener({ ...base, secret: SECRET });
    open = await startListener({ ...base, secret: undefined });
  });
  afterAll(async () => {
    await listener.close();
    await open.close();
  });

  const dial = (overrides: Partial<DialOptions>) =>
    dialPeer({ addresses: [HOST], port: listener.port, own: peer, secret: SECRET, role: 'probe', expectIndex: 0, deadline: Deadline.in(2000), signal: new AbortController().signal, ...overrides });
  const reasonOf = async (dialing: Promise<unknown>) => {
    const error = await dialing.then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(AttemptError);
    return { reason: (error as AttemptError).reason, detail: (error as AttemptError).detail ?? '' };
  };

  test('both sides prove the secret: the welcome names the pod that answered', async () => {
    const dialed = await dial({});
    expect(dialed).toMatchObject({ address: HOST, peerGen: own.gen });
    expect(dialed.rttMs).toBeGreaterThanOrEqual(0);
    dialed.channel.destroy();
    // Without a secret on either side the hello goes at once, and it works as well.
    const plain = await dial({ port: open.port, secret: undefined });
    expect(plain.peerGen).toBe(own.gen);
    plain.channel.destroy();
  });

  test('the wrong secret, another index, or an earlier pod are each refused with their reason', async () => {
    expect(await reasonOf(dial({ secret: 'wrong' }))).toMatchObject({ reason: 'refused-by-peer', detail: expect.stringContaining('secret proof does not match') });
    expect(await reasonOf(dial({ expectIndex: 2 }))).toEqual({ reason: 'not-this-pod', detail: `${HOST} answers as index 0, not 2` });
    expect(await reasonOf(dial({ expectGen: 'g0-older' }))).toEqual({ reason: 'not-this-pod', detail: `${HOST} is an earlier pod with this index` });
    expect(await reasonOf(dial({ addresses: [] }))).toMatchObject({ reason: 'no-address' });
  });

  test('when every address fails, the most telling failure is reported: who refused us says the most', async () => {
    // 127.0.0.254 refuses the connection; the listener refuses the wrong secret, which is what is said.
    expect(await reasonOf(dial({ addresses: ['127.0.0.254', HOST], secret: 'wrong' }))).toMatchObject({ reason: 'refused-by-peer' });
    expect(await reasonOf(dial({ addresses: ['127.0.0.254', '127.0.0.253'] }))).toMatchObject({ reason: 'connection-refused' });
  });

  test('an abort mid-handshake rejects with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stopped');
    controller.abort(reason);
    await expect(dial({ signal: controller.signal })).rejects.toBe(reason);
  });

  test('of several addresses the one that passes wins, a dead one beside it notwithstanding', async () => {
    const dialed = await dial({ addresses: ['127.0.0.254', HOST] });
    expect(dialed.address).toBe(HOST);
    dialed.channel.destroy();
  });

  describe('against a listener that misbehaves', () => {
    let server: Server;
    let script: (socket: Socket, nonce: string) => void = () => {};
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        script(socket, newNonce());
      });
      await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    });
    afterEach(() => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = () => (server.address() as { port: number }).port;
    const send = (socket: Socket, frame: object) => socket.write(`${JSON.stringify(frame)}\n`);
    /** Answers the client's hello (the second line it sends, after the challenge) with `answer`. */
    const afterHello = (answer: (hello: Record<string, unknown>) => object) => (socket: Socket, nonce: string) => {
      send(socket, { t: 'challenge', v: PROTOCOL_VERSION, nonce });
      socket.once('data', (chunk) => send(socket, answer(JSON.parse(String(chunk).split('\n')[0] ?? '{}') as Record<string, unknown>)));
    };

    test('anything but a challenge first is refused', async () => {
      script = (socket) => send(socket, { t: 'beat' });
      expect(await reasonOf(dial({ port: port() }))).toEqual({ reason: 'refused-by-peer', detail: 'expected a challenge, got "beat"' });
    });

    test('a refusal is passed on with its reason; a frame other than a welcome is refused', async () => {
      script = afterHello(() => ({ t: 'refuse', reason: 'another job' }));
      expect(await reasonOf(dial({ port: port() }))).toEqual({ reason: 'refused-by-peer', detail: `${HOST}: another job` });
      script = afterHello(() => ({ t: 'bye' }));
      expect(await reasonOf(dial({ port: port() }))).toEqual({ reason: 'refused-by-peer', detail: 'expected a welcome, got "bye"' });
    });

    test('a welcome that cannot prove the secret is refused, however right the rest is', async () => {
      script = afterHello(() => ({ t: 'welcome', index: 0, gen: own.gen, mac: '0'.repeat(64) }));
      expect(await reasonOf(dial({ port: port() }))).toEqual({ reason: 'refused-by-peer', detail: `${HOST} could not prove the shared secret` });
      // The same welcome with the proof over the client's own nonce passes.
      script = afterHello((hello) => ({ t: 'welcome', index: 0, gen: own.gen, mac: proof(SECRET, 's2c', hello.nonce as string, own) }));
      const dialed = await dial({ port: port() });
      expect(dialed.peerGen).toBe(own.gen);
      dialed.channel.destroy();
    });

    test('a listener that never answers is a timeout exactly at the deadline; a closed one is refused', async () => {
      const accepted = new Promise<void>((resolve) => (script = () => resolve()));
      const clock = new FakeClock();
      let outcome: unknown;
      const dialing = dial({ port: port(), deadline: Deadline.in(1000, clock) }).catch((error: unknown) => (outcome = error));
      // Connected, and waiting for a challenge that never comes.
      await accepted;
      clock.advance(999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(outcome).toBeUndefined();
      clock.advance(1);
      await dialing;
      expect(outcome).toMatchObject({ reason: 'timeout' });
      script = (socket) => socket.end();
      expect(await reasonOf(dial({ port: port() }))).toMatchObject({ reason: 'connection-refused' });
    });
  });
});
