import { describe, expect, test } from 'vitest';
import { MAX_DATAGRAM_BYTES, encodeDatagram, parseDatagram, parseFrame, type Datagram, type Hello } from '../../../src/transport/wire-format.js';
import { newNonce, proof, type WireIdentity } from '../../../src/transport/authentication.js';

const own: WireIdentity = { job: 'job', uid: 'uid-1', size: 4, index: 0, gen: 'abc-1234' };
const peer: WireIdentity = { ...own, index: 2, gen: 'abd-5678' };
function hello(overrides: Partial<Hello> = {}, secret?: string, nonce = newNonce()): { hello: Hello; nonce: string } {
  const frame: Hello = { t: 'hello', v: 1, ...peer, role: 'probe', nonce: newNonce(), mac: proof(secret, 'c2s', nonce, peer), ...overrides };
  return { hello: frame, nonce };
}

describe('frames', () => {
  test('known messages parse; anything else does not', () => {
    expect(parseFrame('{"t":"ack","barrier":"start"}')).toEqual({ t: 'ack', barrier: 'start' });
    expect(parseFrame(JSON.stringify(hello().hello))).toMatchObject({ t: 'hello', index: 2 });
    for (const bad of ['', 'null', '[]', '{}', '{"t":"ack"}', '{"t":"ack","barrier":""}', '{"t":"hello"}', '{"t":"nope"}', '{"t":"arrive","barrier":"s","addrs":["not-an-ip"]}', 'not json']) {
      expect(parseFrame(bad)).toBeUndefined();
    }
  });
  test('a hello with a wrong-typed field is refused', () => {
    expect(parseFrame(JSON.stringify({ ...hello().hello, index: -1 }))).toBeUndefined();
    expect(parseFrame(JSON.stringify({ ...hello().hello, size: '4' }))).toBeUndefined();
    expect(parseFrame(JSON.stringify({ ...hello().hello, role: 'admin' }))).toBeUndefined();
  });
});

describe('datagrams', () => {
  const token = newNonce();
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

  test('a release and an ack round-trip', () => {
    const release: Datagram = { t: 'release', barrier: 'start', token, roster: [['10.0.0.1'], ['fd00::2']] };
    expect(parseDatagram(encodeDatagram(release) as Buffer)).toEqual(release);
    expect(parseDatagram(encodeDatagram({ t: 'ack', barrier: 'ckpt-1', token }) as Buffer)).toEqual({ t: 'ack', barrier: 'ckpt-1', token });
  });

  test('anything without a well-formed token, or not exactly a release or an ack, is dropped', () => {
    for (const bad of [
      { t: 'release', barrier: 'start' },
      { t: 'release', barrier: 'start', token: 'short' },
      { t: 'release', barrier: 'start', token: token.toUpperCase() },
      { t: 'release', barrier: '', token },
      { t: 'release', barrier: 'start', token, roster: [['not-an-ip']] },
      { t: 'arrive', barrier: 'start', token, addrs: [] },
      { t: 'ack', token },
      [token],
      null,
    ]) {
      expect(parseDatagram(bytes(bad)), JSON.stringify(bad)).toBeUndefined();
    }
    expect(parseDatagram(Buffer.from('not json'))).toBeUndefined();
  });

  test('nothing over one packet is sent or read: a large roster goes by session only', () => {
    const roster = Array.from({ length: 100 }, (_, index) => [`10.0.${index}.1`]);
    expect(encodeDatagram({ t: 'release', barrier: 'start', token, roster })).toBeUndefined();
    const padded = Buffer.concat([bytes({ t: 'ack', barrier: 'start', token }), Buffer.alloc(MAX_DATAGRAM_BYTES, ' ')]);
    expect(parseDatagram(padded)).toBeUndefined();
  });

  test('a member says where its datagrams go in a nudge frame', () => {
    expect(parseFrame(JSON.stringify({ t: 'nudge', port: 40000, token }))).toEqual({ t: 'nudge', port: 40000, token });
    for (const port of [0, 70000, '40000']) expect(parseFrame(JSON.stringify({ t: 'nudge', port, token }))).toBeUndefined();
    expect(parseFrame(JSON.stringify({ t: 'nudge', port: 40000, token: 'x' }))).toBeUndefined();
  });
});
