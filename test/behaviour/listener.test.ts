import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Deadline } from '../../src/time/deadline.js';
import { dialPeer } from '../../src/transport/handshake.js';
import { MAX_PENDING_PER_ADDRESS, startListener, type Listener, type ListenerOptions } from '../../src/transport/listener.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../src/transport/wire-format.js';
import { newNonce, proof, type WireIdentity } from '../../src/transport/authentication.js';
import { waitUntil } from '../../harness/cluster/wait.js';

const own: WireIdentity = { job: 'job', uid: 'uid', size: 4, index: 0, gen: 'gen-0' };
const peer: WireIdentity = { ...own, index: 1, gen: 'gen-1' };
const SECRET = 'shh';
const HOST = '127.0.0.1';

/** Opens a raw connection, sends `bytes`, and resolves with what came back before the server closed it. */
function exchange(port: number, bytes: Buffer | string, host = HOST, waitMs = 3000, localAddress?: string): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, waitMs);
    socket.on('data', (chunk) => (received += String(chunk)));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

/** Index 0's listener on loopback, with a 1 s handshake timeout. */
function listen(secret: string | undefined, overrides: Partial<ListenerOptions> = {}): Promise<Listener> {
  return startListener({ host: HOST, port: 0, own, secret, handshakeTimeoutMs: 1000, maxConnections: 64, onHello: () => {}, sessions: {}, onRefused: () => {}, ...overrides });
}

describe('the listener under hostile input', () => {
  let listener: Listener;
  const hellos: number[] = [];
  beforeAll(async () => {
    listener = await listen(SECRET, { maxConnections: 512, onHello: (hello) => hellos.push(hello.index) });
  });
  afterAll(() => listener.close());

  const legitimateProbe = async () => {
    const dialed = await dialPeer({ addresses: [HOST], port: listener.port, own: peer, secret: SECRET, role: 'probe', expectIndex: 0, deadline: Deadline.in(2000), signal: new AbortController().signal });
    dialed.channel.socket.destroy();
    return dialed.peerGen;
  };

  test('random bytes close the connection and count nobody', async () => {
    const before = hellos.length;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600 }), async (bytes) => {
        const { closed } = await exchange(listener.port, Buffer.concat([Buffer.from(bytes), Buffer.from('\n')]));
        expect(closed).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(hellos.length).toBe(before);
    expect(await legitimateProbe()).toBe(own.gen);
  });

  test('mutated valid hellos are refused or dropped, never counted', async () => {
    const before = hellos.length;
    const valid = { t: 'hello', v: PROTOCOL_VERSION, ...peer, role: 'probe', nonce: newNonce(), mac: 'f'.repeat(64) };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          key: fc.constantFrom(...Object.keys(valid)),
          value: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.integer()), fc.double()),
        }),
        async ({ key, value }) => {
          const frame = JSON.stringify({ ...valid, [key]: value });
          const { received, closed } = await exchange(listener.port, `${frame}\n`);
          expect(closed).toBe(true);
          expect(received).not.toContain('"welcome"');
        },
      ),
      { numRuns: 60 },
    );
    expect(hellos.length).toBe(before);
  });

  test('a hello without the secret\'s proof is refused', async () => {
    const { received } = await exchange(listener.port, `${JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, ...peer, role: 'probe', nonce: newNonce(), mac: proof('guess', 'c2s', newNonce(), peer) })}\n`);
    expect(received).toContain('"refuse"');
    expect(received).toContain('secret');
  });

  test('an oversized frame closes the connection before the frame ends', async () => {
    const { closed, received } = await exchange(listener.port, 'x'.repeat(MAX_FRAME_BYTES * 4));
    expect(closed).toBe(true);
    expect(received).not.toContain('"welcome"');
  });

  test('a silent connection is dropped at the handshake timeout (1 s here), not before', async () => {
    const started = performance.now();
    // exchange() waits at most 5 s for the close: a connection left open fails here.
    const { closed } = await exchange(listener.port, '', HOST, 5000);
    expect(closed).toBe(true);
    // Not before its deadline (a timer never fires early; how soon after is the machine's, not ours).
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  test('a flood from one address is cut at the door; a peer elsewhere still gets in', async () => {
    const flood: Socket[] = [];
    try {
      // Each connection ends one of two ways: let in (the listener's challenge arrives) or cut (closed).
      const outcomes: Promise<'challenged' | 'cut'>[] = [];
      for (let i = 0; i < 400; i++) {
        const socket = connect({ host: HOST, port: listener.port });
        socket.on('error', () => {});
        flood.push(socket);
        outcomes.push(new Promise((resolve) => {
          socket.once('data', () => resolve('challenged'));
          socket.once('close', () => resolve('cut'));
        }));
      }
      const settled = await Promise.all(outcomes);
      expect(settled.filter((outcome) => outcome === 'challenged').length).toBeLessThanOrEqual(MAX_PENDING_PER_ADDRESS);
      expect(settled.filter((outcome) => outcome === 'cut').length).toBeGreaterThan(0);
      // A peer from another address is not crowded out by the flood: it is let in and challenged.
      const other = await exchange(listener.port, '', HOST, 500, '127.0.0.2');
      expect(other.received).toContain('"challenge"');
    } finally {
      for (const socket of flood) socket.destroy();
    }
    await waitUntil('the listener to serve again after the flood', async () => (await legitimateProbe().catch(() => undefined)) === own.gen, { timeoutMs: 5000 });
  });

  test('a flood of garbage connections is cut, each before it can grow, and the listener still serves', async () => {
    // What keeps memory bounded: every oversized connection is closed by the listener rather than buffered.
    for (let round = 0; round < 50; round++) {
      const results = await Promise.all(Array.from({ length: MAX_PENDING_PER_ADDRESS }, () => exchange(listener.port, Buffer.alloc(MAX_FRAME_BYTES * 16, 0x41), HOST, 1500)));
      expect(results.every((result) => result.closed && !result.received.includes('"welcome"'))).toBe(true);
    }
    expect(await legitimateProbe()).toBe(own.gen);
  });
});

describe('the handshake without a secret', () => {
  let listener: Listener;
  beforeAll(async () => {
    listener = await listen(undefined);
  });
  afterAll(() => listener.close());

  test('a hello sent at once, before the challenge, is welcomed: there is nothing to prove over its nonce', async () => {
    const hello = { t: 'hello', v: PROTOCOL_VERSION, ...peer, role: 'probe', nonce: newNonce(), mac: '' };
    const { received } = await exchange(listener.port, `${JSON.stringify(hello)}\n`, HOST, 1500);
    expect(received.trim().split('\n').map((line) => (JSON.parse(line) as { t: string }).t)).toEqual(['challenge', 'welcome']);
    const dialed = await dialPeer({ addresses: [HOST], port: listener.port, own: peer, secret: undefined, role: 'probe', expectIndex: 0, deadline: Deadline.in(2000), signal: new AbortController().signal });
    dialed.channel.socket.destroy();
    expect(dialed.peerGen).toBe(own.gen);
  });

  test('a dialer without a secret says hello before any challenge comes', async () => {
    // A listener that only ever listens: a dialer that waited for the challenge would never speak.
    const heard: string[] = [];
    const mute = createServer((socket) => socket.on('data', (chunk) => heard.push(String(chunk))));
    await new Promise<void>((resolve) => mute.listen(0, HOST, resolve));
    try {
      const port = (mute.address() as AddressInfo).port;
      const dialing = dialPeer({ addresses: [HOST], port, own: peer, secret: undefined, role: 'probe', expectIndex: 0, deadline: Deadline.in(1000), signal: new AbortController().signal });
      await expect(dialing).rejects.toMatchObject({ reason: 'timeout' });
      expect(JSON.parse(heard.join('').split('\n')[0] ?? '')).toMatchObject({ t: 'hello', index: peer.index, mac: '' });
    } finally {
      mute.close();
    }
  });

  test('a pod without the secret, at a listener that has one, is refused for it', async () => {
    const guarded = await listen(SECRET);
    try {
      const dialing = dialPeer({ addresses: [HOST], port: guarded.port, own: peer, secret: undefined, role: 'probe', expectIndex: 0, deadline: Deadline.in(2000), signal: new AbortController().signal });
      await expect(dialing).rejects.toMatchObject({ reason: 'refused-by-peer', detail: expect.stringContaining('secret') });
    } finally {
      await guarded.close();
    }
  });
});
