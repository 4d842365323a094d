import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_STREAM_PAYLOAD, StreamReader, jsonPayload, sendJson, sendStream, type StreamKind } from '../../src/transport/stream-frames.js';

/** Stream frames over a real Unix socket: what one end sends, the other reads back whole. */
describe('stream frames on a socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-frames-'));
  const path = join(dir, 'frames.sock');
  let server: Server;
  const accepted: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });
  afterAll(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A connected pair, and everything the far end reads until the near end ends. */
  const pair = async () => {
    const near = connect(path);
    await new Promise<void>((resolve) => near.once('connect', () => resolve()));
    await new Promise<void>((resolve) => (accepted.length > 0 ? resolve() : server.once('connection', () => resolve())));
    const far = accepted.pop() as Socket;
    const frames: [StreamKind, Buffer][] = [];
    const reader = new StreamReader((kind, payload) => frames.push([kind, Buffer.from(payload)]), () => {});
    far.on('data', (chunk: Buffer) => reader.push(chunk));
    const ended = new Promise<void>((resolve) => far.once('end', () => resolve()));
    return { near, frames, ended };
  };

  test('a payload larger than one frame goes as several, in order, and adds up to the same bytes', async () => {
    const { near, frames, ended } = await pair();
    const big = Buffer.alloc(MAX_STREAM_PAYLOAD * 2 + 10, 7);
    big[big.length - 1] = 9;
    sendStream(near, 'stdout', big);
    sendStream(near, 'stdin');
    near.end();
    await ended;
    expect(frames.map(([kind, payload]) => [kind, payload.length])).toEqual([['stdout', MAX_STREAM_PAYLOAD], ['stdout', MAX_STREAM_PAYLOAD], ['stdout', 10], ['stdin', 0]]);
    expect(Buffer.concat(frames.slice(0, 3).map(([, payload]) => payload)).equals(big)).toBe(true);
  });

  test('a JSON payload comes back as the object; anything not an object is undefined', async () => {
    const { near, frames, ended } = await pair();
    sendJson(near, 'exit', { code: 3, signal: null });
    sendJson(near, 'refused', { reason: 'no secret' });
    near.end();
    await ended;
    expect(frames.map(([kind, payload]) => [kind, jsonPayload(payload)])).toEqual([['exit', { code: 3, signal: null }], ['refused', { reason: 'no secret' }]]);
    for (const text of ['[1]', '3', 'null', 'nope', '']) expect(jsonPayload(Buffer.from(text)), text).toBeUndefined();
  });

  test('a socket that is gone takes nothing, and says so', async () => {
    const { near } = await pair();
    near.destroy();
    expect(sendStream(near, 'stdout', Buffer.from('late'))).toBe(false);
    expect(sendJson(near, 'exit', { code: 0 })).toBe(false);
  });
});
