import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, test } from 'vitest';
import { ReleaseReceiver, ReleaseSender } from '../../src/transport/release-datagrams.js';
import { MAX_DATAGRAM_BYTES, parseDatagram } from '../../src/transport/wire-format.js';
import { newNonce } from '../../src/transport/authentication.js';
import { waitUntil } from '../../harness/cluster/wait.js';

/** Release datagrams over real UDP sockets on loopback. */
describe('release datagrams', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const close of cleanup.splice(0)) close();
  });

  async function receiver(address: string) {
    const released: { barrier: string; roster: string[][] | undefined }[] = [];
    const opened = await ReleaseReceiver.open(address, 0, (barrier, { roster }) => released.push({ barrier, roster }));
    expect(opened, `a datagram socket on ${address}`).toBeDefined();
    const ear = opened as ReleaseReceiver;
    cleanup.push(() => ear.close());
    return { ear, released };
  }

  function rawSocket(family: 'udp4' | 'udp6'): { socket: Socket; received: Buffer[] } {
    const socket = createSocket(family);
    const received: Buffer[] = [];
    socket.on('message', (bytes) => received.push(bytes));
    cleanup.push(() => socket.close());
    return { socket, received };
  }

  test('only a release with the session\'s token counts, and each copy is acked to its sender', async () => {
    const { ear, released } = await receiver('127.0.0.1');
    const { socket, received } = rawSocket('udp4');
    const send = (value: unknown) => socket.send(typeof value === 'string' ? value : JSON.stringify(value), ear.port, '127.0.0.1');
    send({ t: 'release', barrier: 'start', token: newNonce() });
    send({ t: 'ack', barrier: 'start', token: ear.token });
    send('{"t":"release"');
    send(JSON.stringify({ t: 'release', barrier: 'start', token: ear.token }).padEnd(MAX_DATAGRAM_BYTES + 1, ' '));
    send({ t: 'release', barrier: 'forged', token: ear.token.replace(/.$/, (c) => (c === '0' ? '1' : '0')) });
    send({ t: 'release', barrier: 'start', token: ear.token });
    send({ t: 'release', barrier: 'start', token: ear.token });
    await waitUntil('two acks', () => received.length >= 2, { timeoutMs: 5000 });
    expect(released).toEqual([
      { barrier: 'start', roster: undefined },
      { barrier: 'start', roster: undefined },
    ]);
    expect(received.map((bytes) => parseDatagram(bytes))).toEqual([
      { t: 'ack', barrier: 'start', token: ear.token },
      { t: 'ack', barrier: 'start', token: ear.token },
    ]);
  });

  test.each([
    ['IPv4', '127.0.0.1', '127.0.0.1'],
    ['IPv6', '::1', '::1'],
    ['IPv4 as a dual-stack listener sees it', '127.0.0.1', '::ffff:127.0.0.1'],
  ])('%s: the coordinator\'s release reaches the member, roster and all, and its ack comes back', async (_, bound, seenAs) => {
    const { ear, released } = await receiver(bound);
    const acks: [string, string][] = [];
    const sender = new ReleaseSender((token, barrier) => acks.push([token, barrier]));
    cleanup.push(() => sender.close());
    const roster = [['10.0.0.1'], ['fd00::2', '10.0.0.2']];
    expect(sender.send(seenAs, ear.port, { t: 'release', barrier: 'start', token: ear.token, roster })).toBe(true);
    await waitUntil('the ack', () => acks.length > 0, { timeoutMs: 5000 });
    expect(released).toEqual([{ barrier: 'start', roster }]);
    expect(acks).toEqual([[ear.token, 'start']]);
  });

  test('a member takes the rollcall port\'s UDP twin when it is free, and any port when it is not', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const taken = holder.address().port;
    const elsewhere = await ReleaseReceiver.open('127.0.0.1', taken, () => {}).finally(() => holder.close());
    cleanup.push(() => elsewhere?.close());
    expect(elsewhere?.port).toBeGreaterThan(0);
    expect(elsewhere?.port).not.toBe(taken);
    const twin = await ReleaseReceiver.open('127.0.0.1', taken, () => {});
    cleanup.push(() => twin?.close());
    expect(twin?.port).toBe(taken);
  });

  test('a release too large for one packet is not sent', () => {
    const sender = new ReleaseSender(() => {});
    cleanup.push(() => sender.close());
    const roster = Array.from({ length: 100 }, (_, index) => [`10.0.${index}.1`]);
    expect(sender.send('127.0.0.1', 9, { t: 'release', barrier: 'start', token: newNonce(), roster })).toBe(false);
  });
});
