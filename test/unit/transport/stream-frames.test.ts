import { describe, expect, test } from 'vitest';
import { MAX_STREAM_PAYLOAD, STREAM_KINDS, StreamReader, streamHeader, type StreamKind } from '../../../src/transport/stream-frames.js';

const frame = (kind: StreamKind, payload: string | Buffer) => {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([streamHeader(kind, bytes.length), bytes]);
};

function reading() {
  const frames: [StreamKind, string][] = [];
  const bad: string[] = [];
  const reader = new StreamReader((kind, payload) => frames.push([kind, payload.toString()]), (why) => bad.push(why));
  return { frames, bad, reader };
}

describe('stream frames', () => {
  test('a kind byte, a 4-byte big-endian length, the payload', () => {
    expect([...frame('stdout', 'hi')]).toEqual([STREAM_KINDS.stdout, 0, 0, 0, 2, 104, 105]);
  });

  test('frames come out whole and in order however the bytes are cut, empty payloads included', () => {
    const bytes = Buffer.concat([frame('start', '{"command":"x"}'), frame('stdin', ''), frame('stdout', 'a'.repeat(70_000)), frame('beat', ''), frame('exit', '{}')]);
    for (const size of [1, 3, 5, 7, 4096, bytes.length]) {
      const { frames, bad, reader } = reading();
      for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
      expect(frames.map(([kind, payload]) => [kind, payload.length]), `cut every ${size}`).toEqual([['start', 15], ['stdin', 0], ['stdout', 70_000], ['beat', 0], ['exit', 2]]);
      expect(bad).toEqual([]);
    }
  });

  test('an unknown kind or an oversized frame is reported once, and nothing more is read', () => {
    const unknown = reading();
    unknown.reader.push(Buffer.from([99, 0, 0, 0, 0]));
    unknown.reader.push(frame('stdout', 'late'));
    expect(unknown.bad).toEqual(['unknown frame kind 99']);
    expect(unknown.frames).toEqual([]);
    const big = reading();
    big.reader.push(streamHeader('stdout', MAX_STREAM_PAYLOAD + 1));
    expect(big.bad).toEqual([`a frame of ${MAX_STREAM_PAYLOAD + 1} bytes`]);
  });

  test('takeRest gives back what came after the last frame read, and stops the reader', () => {
    const rest = Buffer.concat([frame('stdin', 'next'), Buffer.from([2, 0])]);
    const frames: string[] = [];
    let taken: Buffer | undefined;
    const reader = new StreamReader(
      (kind) => {
        frames.push(kind);
        taken = reader.takeRest();
      },
      () => {},
    );
    reader.push(Buffer.concat([frame('start', '{}'), rest]));
    expect(frames).toEqual(['start']);
    expect(taken?.equals(rest)).toBe(true);
    reader.push(frame('stdout', 'ignored'));
    expect(frames).toEqual(['start']);
  });
});
