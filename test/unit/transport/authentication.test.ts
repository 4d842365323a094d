import { describe, expect, test } from 'vitest';
import { PROTOCOL_VERSION, type Hello } from '../../../src/transport/wire-format.js';
import { newNonce, proof, refusal, type WireIdentity } from '../../../src/transport/authentication.js';

const own: WireIdentity = { job: 'job', uid: 'uid-1', size: 4, index: 0, gen: 'abc-1234' };
const peer: WireIdentity = { ...own, index: 2, gen: 'abd-5678' };
function hello(overrides: Partial<Hello> = {}, secret?: string, nonce = newNonce()): { hello: Hello; nonce: string } {
  const frame: Hello = { t: 'hello', v: PROTOCOL_VERSION, ...peer, role: 'probe', nonce: newNonce(), mac: proof(secret, 'c2s', nonce, peer), ...overrides };
  return { hello: frame, nonce };
}

describe('who counts', () => {
  test('the same job, uid and size count', () => {
    const { hello: frame, nonce } = hello();
    expect(refusal(frame, own, proof(undefined, 'c2s', nonce, frame))).toBeUndefined();
  });
  test.each<[string, Partial<Hello>, RegExp]>([
    ['another job', { job: 'other' }, /job "other"/],
    ['an older job with the same name', { uid: 'uid-0' }, /job uid "uid-0"/],
    ['another size', { size: 5 }, /group size 5/],
    ['an index outside the group', { index: 4 }, /outside the group/],
    ['another protocol', { v: PROTOCOL_VERSION + 1 }, new RegExp(`protocol version ${PROTOCOL_VERSION + 1}`)],
  ])('%s is refused', (_, overrides, message) => {
    const { hello: frame, nonce } = hello(overrides);
    expect(refusal(frame, own, proof(undefined, 'c2s', nonce, frame))).toMatch(message);
  });

  test('with a secret, only a proof over this connection\'s nonce counts', () => {
    const { hello: frame, nonce } = hello({}, 's3cret');
    expect(refusal(frame, own, proof('s3cret', 'c2s', nonce, frame))).toBeUndefined();
    expect(refusal(frame, own, proof('wrong', 'c2s', nonce, frame))).toMatch(/secret/);
    // Replayed on another connection (another nonce), the same proof fails.
    expect(refusal(frame, own, proof('s3cret', 'c2s', newNonce(), frame))).toMatch(/secret/);
    // Reflected back in the other direction, it fails too.
    expect(proof('s3cret', 's2c', nonce, frame)).not.toBe(frame.mac);
  });
});
