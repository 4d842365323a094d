import { describe, expect, test } from 'vitest';
import { MAX_DATAGRAM_BYTES, MAX_FRAME_BYTES, MAX_SEEN, encodeDatagram, isValidBarrierName, parseDatagram, parseFrame, type Datagram, type Frame, type Hello } from '../../../src/transport/wire-format.js';
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
  test("an elastic group's release names its members as index ranges, a verdict the restarts used and a change of membership; malformed ones are dropped", () => {
    expect(parseFrame('{"t":"release","barrier":"round-1","members":"0-2,4"}')).toEqual({ t: 'release', barrier: 'round-1', members: '0-2,4' });
    for (const members of ['', '0-', '-1', '0,,2', '0-2,x', 2]) expect(parseFrame(JSON.stringify({ t: 'release', barrier: 'start', members }))).toBeUndefined();
    const stop = { t: 'stop', round: 0, next: 1, index: 3, how: 'joined', exit: null, signal: null, ms: 10, used: 0, membership: true };
    expect(parseFrame(JSON.stringify(stop))).toEqual(stop);
    expect(parseFrame(JSON.stringify({ ...stop, membership: false }))).toBeUndefined();
    expect(parseFrame(JSON.stringify({ ...stop, used: -1 }))).toBeUndefined();
    expect(parseFrame(JSON.stringify({ ...stop, how: 'left' }))).toBeUndefined();
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
      // A verdict or an outcome stops workloads: only an authenticated session carries one.
      { t: 'stop', token, round: 0, next: null, index: 1, how: 'exit', exit: 1, signal: null, ms: 1 },
      { t: 'outcome', token, round: 0, exit: 1, signal: null, ms: 1 },
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

/** One valid frame of every kind, and for each the single-field changes that must get it refused. */
const NONCE = 'a'.repeat(32);
const MAC = 'b'.repeat(64);
const KINDS: [Frame, Record<string, unknown>[]][] = [
  [{ t: 'challenge', v: 1, nonce: NONCE }, [{ v: -1 }, { v: '1' }, { nonce: 'A'.repeat(32) }, { nonce: `${NONCE}0` }, { nonce: `x${NONCE}` }, { nonce: undefined }]],
  [
    { t: 'hello', v: 1, job: 'job.a-1', uid: 'u'.repeat(64), size: 4, index: 3, gen: 'z'.repeat(40), role: 'member', nonce: NONCE, mac: MAC },
    [
      { v: 1.5 }, { job: 'Job' }, { job: '-job' }, { job: 'job-' }, { job: 'job/x' }, { job: 'x.job!' }, { uid: 7 }, { uid: ['u'] }, { uid: 'u'.repeat(65) },
      { size: -1 }, { index: 1_000_001 }, { gen: 'z'.repeat(41) }, { gen: '' }, { gen: 'G' }, { gen: 'a b' }, { role: 'probe ' },
      { nonce: NONCE.slice(1) }, { mac: 'b'.repeat(63) }, { mac: `${MAC}b` }, { mac: 'B'.repeat(64) }, { mac: `x${MAC}` },
    ],
  ],
  [{ t: 'hello', v: 1, job: 'j', uid: '', size: 1, index: 0, gen: 'g', role: 'probe', nonce: NONCE, mac: '' }, [{ role: undefined }]],
  [{ t: 'welcome', index: 2, gen: 'gen-2', mac: MAC }, [{ index: -2 }, { index: '2' }, { gen: 'GEN' }, { mac: 'x' }, { gen: undefined }]],
  [{ t: 'refuse', reason: 'r'.repeat(200) }, [{ reason: 'r'.repeat(201) }, { reason: 42 }, { reason: undefined }]],
  [{ t: 'arrive', barrier: 'a'.repeat(64), addrs: Array.from({ length: 8 }, (_, i) => `10.0.0.${i}`) }, [{ barrier: 'a'.repeat(65) }, { barrier: 'a b' }, { barrier: 'é' }, { addrs: Array.from({ length: 9 }, (_, i) => `10.0.0.${i}`) }, { addrs: ['10.0.0.1', 7] }, { addrs: '10.0.0.1' }]],
  [{ t: 'progress', barrier: 'start', ready: 3, missing: [[1, 'no-such-name'], [2, 'timeout']] }, [{ ready: -1 }, { missing: [[1, 2]] }, { missing: [[1, 'no-such-name'], [2, 3]] }, { missing: [['1', 'x']] }, { missing: [1] }, { missing: 'none' }, { barrier: '' }]],
  [{ t: 'release', barrier: 'start', roster: [['10.0.0.1'], ['fd00::1', '10.0.0.2'], []] }, [{ roster: [['10.0.0.1'], ['nope']] }, { roster: ['10.0.0.1'] }, { roster: 'x' }, { barrier: 'x'.repeat(65) }]],
  [{ t: 'release', barrier: 'ckpt:1.a-b_c' }, [{ barrier: 5 }]],
  [{ t: 'seen', indexes: Array.from({ length: MAX_SEEN }, (_, i) => i) }, [{ indexes: Array.from({ length: MAX_SEEN + 1 }, (_, i) => i) }, { indexes: [1, -1] }, { indexes: [1, 'two'] }, { indexes: 3 }]],
  [{ t: 'ack', barrier: 'start' }, [{ barrier: '' }, { barrier: null }]],
  [{ t: 'nudge', port: 65_535, token: NONCE }, [{ port: 65_536 }, { port: 0 }, { port: 1.5 }, { token: NONCE.toUpperCase() }]],
  [{ t: 'nudge', port: 1, token: NONCE }, [{ port: -1 }]],
  [{ t: 'bye' }, []],
  [{ t: 'beat' }, []],
  [
    { t: 'outcome', round: 0, exit: 1, signal: null, ms: 1200 },
    [{ round: -1 }, { round: '0' }, { exit: 256 }, { exit: -1 }, { exit: 1.5 }, { signal: 'KILL' }, { signal: 'SIGkill' }, { signal: 9 }, { ms: -1 }, { ms: '5' }, { exit: undefined }],
  ],
  [{ t: 'outcome', round: 2, exit: null, signal: 'SIGKILL', ms: 0 }, [{ signal: `SIG${'X'.repeat(13)}` }]],
  [
    { t: 'stop', round: 1, next: 2, index: 3, how: 'exit', exit: 1, signal: null, ms: 30 },
    [{ next: -1 }, { next: undefined }, { index: -1 }, { how: 'crashed' }, { how: undefined }, { round: null }, { exit: 300 }, { ms: null }],
  ],
  [{ t: 'stop', round: 0, next: null, index: 0, how: 'vanished', exit: null, signal: null, ms: 15_000 }, [{ how: 'Vanished' }]],
  [
    { t: 'stop', round: 0, next: null, index: 2, how: 'stalled', exit: null, signal: null, ms: 40_000, stalled: [[2, 12_000], [5, 11_000]] },
    [{ stalled: [[2]] }, { stalled: [[2, 1, 3]] }, { stalled: [[-1, 5]] }, { stalled: [[2, 'long']] }, { stalled: 'x' }, { stalled: Array.from({ length: 33 }, (_, i) => [i, 1]) }, { stalled: [2, 12_000] }],
  ],
  [{ t: 'alive', round: 3 }, [{ round: -1 }, { round: undefined }, { round: '3' }]],
  [{ t: 'leaving', round: 3, signal: 'SIGTERM' }, [{ round: -1 }, { signal: 'TERM' }, { signal: null }, { signal: undefined }]],
];

describe('every kind of frame', () => {
  test.each(KINDS.map(([frame, bad]) => [frame.t, frame, bad] as const))('%s: the valid frame parses to itself; each broken field is refused', (_, frame, bad) => {
    expect(parseFrame(JSON.stringify(frame))).toEqual(frame);
    for (const change of bad) {
      const broken = { ...frame, ...change };
      expect(parseFrame(JSON.stringify(broken)), JSON.stringify(change)).toBeUndefined();
    }
  });

  test('a frame of an unknown kind, or no object at all, is refused', () => {
    for (const bad of ['{"t":"welcomes"}', '{"t":"Bye"}', '{"t":""}', '"bye"', '42', 'true', '[{"t":"bye"}]']) expect(parseFrame(bad), bad).toBeUndefined();
  });

  test('barrier names: 1 to 64 of letters, digits, "_", ".", ":" and "-"', () => {
    for (const good of ['start', 'a', 'x'.repeat(64), 'ckpt:1.a-b_C']) expect(isValidBarrierName(good), good).toBe(true);
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a/b', ' start', 'start\n']) expect(isValidBarrierName(bad), bad).toBe(false);
  });

  test('frame limits are what the README states', () => {
    expect(MAX_FRAME_BYTES).toBe(4096);
    expect(MAX_DATAGRAM_BYTES).toBe(1200);
  });
});

describe('datagram size', () => {
  const token = newNonce();
  /** An ack padded with spaces (JSON allows them) to exactly `size` bytes. */
  const ackOf = (size: number) => {
    const bytes = Buffer.from(JSON.stringify({ t: 'ack', barrier: 'start', token }));
    return Buffer.concat([bytes, Buffer.alloc(size - bytes.length, ' ')]);
  };

  test('exactly one packet is read; one byte more is not', () => {
    expect(parseDatagram(ackOf(MAX_DATAGRAM_BYTES))).toEqual({ t: 'ack', barrier: 'start', token });
    expect(parseDatagram(ackOf(MAX_DATAGRAM_BYTES + 1))).toBeUndefined();
  });

  test('a release of exactly one packet is sent; one byte more is not', () => {
    const release = (barrierLength: number, addresses: number): Datagram => ({ t: 'release', barrier: 'x'.repeat(barrierLength), token, roster: Array.from({ length: addresses }, () => ['10.0.0.1']) });
    const size = (datagram: Datagram) => Buffer.byteLength(JSON.stringify(datagram));
    // Addresses bring it within a barrier name's reach (13 bytes each, names up to 64), the name to the byte.
    let addresses = 0;
    while (size(release(1, addresses + 1)) <= MAX_DATAGRAM_BYTES && addresses < 1000) addresses += 1;
    const exact = release(1 + MAX_DATAGRAM_BYTES - size(release(1, addresses)), addresses);
    expect(size(exact)).toBe(MAX_DATAGRAM_BYTES);
    expect(encodeDatagram(exact)?.length).toBe(MAX_DATAGRAM_BYTES);
    expect(encodeDatagram({ ...exact, barrier: `${exact.barrier}x` })).toBeUndefined();
  });

  test('a datagram that is not an object, or has neither a release nor an ack, is dropped', () => {
    for (const bad of ['[]', '"x"', '{"t":"seen","token":"' + token + '","indexes":[]}']) expect(parseDatagram(Buffer.from(bad)), bad).toBeUndefined();
  });
});
