import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION, type Hello } from './wire-format.js';

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** Who a pod is on the wire; a peer must match job, uid and size to count. */
export interface WireIdentity {
  job: string;
  uid: string;
  size: number;
  index: number;
  gen: string;
}

/**
 * Proves knowledge of the shared secret over the other side's fresh nonce, bound to who is speaking and
 * in which direction: a captured proof cannot be replayed, reflected, or moved to another identity.
 * Without a secret the proof is empty and only job, uid and size are compared.
 */
export function proof(secret: string | undefined, direction: 'c2s' | 's2c', peerNonce: string, who: WireIdentity): string {
  if (secret === undefined) return '';
  return createHmac('sha256', secret)
    .update([`rollcall/${PROTOCOL_VERSION}`, direction, peerNonce, who.job, who.uid, who.size, who.index, who.gen].join('\n'))
    .digest('hex');
}

export function proofMatches(expected: string, received: string): boolean {
  if (expected.length !== received.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(received));
}

/** Why a hello is refused, or undefined when it belongs to this group. */
export function refusal(hello: Hello, own: WireIdentity, expectedMac: string): string | undefined {
  if (hello.v !== PROTOCOL_VERSION) return `protocol version ${hello.v}, expected ${PROTOCOL_VERSION}`;
  if (hello.job !== own.job) return `job "${hello.job}" is not "${own.job}"`;
  if (hello.uid !== own.uid) return `job uid "${hello.uid}" is not "${own.uid}" (an older or other job with this name)`;
  if (hello.size !== own.size) return `group size ${hello.size} is not ${own.size}`;
  if (hello.index >= own.size) return `index ${hello.index} is outside the group of ${own.size}`;
  if (!proofMatches(expectedMac, hello.mac)) return 'secret proof does not match (ROLLCALL_SECRET differs)';
  return undefined;
}
