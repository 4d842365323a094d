import type { Socket } from 'node:net';
import { AttemptError, mostTelling } from '../errors.js';
import { CONNECTION_FAILURE_RANK, connectAny } from '../discovery/connect.js';
import type { Deadline } from '../time/deadline.js';
import { FrameChannel } from './frame-channel.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type Role } from './wire-format.js';
import { newNonce, proof, proofMatches, type WireIdentity } from './authentication.js';

export interface DialOptions {
  addresses: readonly string[];
  port: number;
  own: WireIdentity;
  secret: string | undefined;
  role: Role;
  /** The index the name belongs to: a welcome from any other pod means the address is stale. */
  expectIndex: number;
  /** For the self check: the record must lead to this very process, not a predecessor. */
  expectGen?: string;
  /** The connection and its handshake together, on every address at once, end by this. */
  deadline: Deadline;
  signal: AbortSignal;
  maxFrameBytes?: number;
}

export interface Dialed {
  channel: FrameChannel;
  address: string;
  rttMs: number;
  peerGen: string;
}

/**
 * Connects to every address at once and proves, both ways, that the two ends belong to the same group;
 * the first address to pass the handshake wins. During a replacement a name can hold an old and a new
 * address, or an impostor's beside the real one: the handshake settles which is which, not the order
 * in which sockets happened to connect.
 */
export async function dialPeer(options: DialOptions): Promise<Dialed> {
  if (options.addresses.length === 0) throw new AttemptError('no-address');
  const won = new AbortController();
  const signal = AbortSignal.any([options.signal, won.signal]);
  try {
    const dialed = await Promise.any(options.addresses.map((address) => handshakeAt(address, options, signal)));
    won.abort(new Error('another address answered first'));
    return dialed;
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    const failures = (error as AggregateError).errors.filter((failure): failure is AttemptError => failure instanceof AttemptError);
    throw mostTelling(failures, CONNECTION_FAILURE_RANK) ?? (error as AggregateError).errors[0];
  }
}

/** One deadline for the connection and its handshake together: the attempt's, as documented. */
async function handshakeAt(address: string, options: DialOptions, signal: AbortSignal): Promise<Dialed> {
  const { socket, rttMs } = await connectAny([address], options.port, options.deadline, signal);
  return handshake(socket, address, rttMs, options, signal);
}

/** The client's side of the handshake on a socket already connected to `address`, by what is left of the deadline. */
export async function handshake(socket: Socket, address: string, rttMs: number, options: Omit<DialOptions, 'addresses' | 'port'>, signal: AbortSignal): Promise<Dialed> {
  const channel = new FrameChannel(socket, options.maxFrameBytes ?? MAX_FRAME_BYTES);
  const next = () => channel.next(options.deadline).catch(failed);
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const nonce = newNonce();
    const hello = (challengeNonce: string) =>
      channel.send({ t: 'hello', v: PROTOCOL_VERSION, ...options.own, role: options.role, nonce, mac: proof(options.secret, 'c2s', challengeNonce, options.own) });
    // Without a secret there is nothing to prove over the listener's nonce, so the hello goes at once
    // rather than after the challenge: a round trip sooner, and on a lossy link its segment completes
    // the TCP handshake even when the bare ACK was lost (which would cost the listener's 1 s SYN-ACK timer).
    if (options.secret === undefined) hello('');
    else {
      const challenge = await next();
      if (challenge.t !== 'challenge') throw new AttemptError('refused-by-peer', `expected a challenge, got "${challenge.t}"`);
      hello(challenge.nonce);
    }
    let answer = await next();
    if (answer.t === 'challenge' && options.secret === undefined) answer = await next();
    if (answer.t === 'refuse') throw new AttemptError('refused-by-peer', `${address}: ${answer.reason}`);
    if (answer.t !== 'welcome') throw new AttemptError('refused-by-peer', `expected a welcome, got "${answer.t}"`);
    const peer = { ...options.own, index: answer.index, gen: answer.gen };
    if (!proofMatches(proof(options.secret, 's2c', nonce, peer), answer.mac)) {
      throw new AttemptError('refused-by-peer', `${address} could not prove the shared secret`);
    }
    if (answer.index !== options.expectIndex) {
      throw new AttemptError('not-this-pod', `${address} answers as index ${answer.index}, not ${options.expectIndex}`);
    }
    if (options.expectGen !== undefined && answer.gen !== options.expectGen) {
      throw new AttemptError('not-this-pod', `${address} is an earlier pod with this index`);
    }
    return { channel, address, rttMs, peerGen: answer.gen };
  } catch (error) {
    socket.destroy();
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function failed(error: Error): never {
  throw new AttemptError(error.message.startsWith('timed out') ? 'timeout' : 'connection-refused', `handshake: ${error.message}`);
}
