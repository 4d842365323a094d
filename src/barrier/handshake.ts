import { AttemptError } from '../errors.js';
import { connectAny } from '../probes/tcp.js';
import { FrameChannel, MAX_FRAME_BYTES, PROTOCOL_VERSION, newNonce, proof, proofMatches, type Role, type WireIdentity } from './protocol.js';

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
  timeoutMs: number;
  signal: AbortSignal;
  maxFrameBytes?: number;
}

export interface Dialed {
  channel: FrameChannel;
  address: string;
  rttMs: number;
  peerGen: string;
}

/** Connects and proves, both ways, that the two ends belong to the same group. */
export async function dialPeer(options: DialOptions): Promise<Dialed> {
  const { socket, address, rttMs } = await connectAny(options.addresses, options.port, options.timeoutMs, options.signal);
  const channel = new FrameChannel(socket, options.maxFrameBytes ?? MAX_FRAME_BYTES);
  const onAbort = () => socket.destroy();
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const challenge = await channel.next(options.timeoutMs).catch(failed);
    if (challenge.t !== 'challenge') throw new AttemptError('refused by peer', `expected a challenge, got "${challenge.t}"`);
    const nonce = newNonce();
    channel.send({ t: 'hello', v: PROTOCOL_VERSION, ...options.own, role: options.role, nonce, mac: proof(options.secret, 'c2s', challenge.nonce, options.own) });
    const answer = await channel.next(options.timeoutMs).catch(failed);
    if (answer.t === 'refuse') throw new AttemptError('refused by peer', answer.reason);
    if (answer.t !== 'welcome') throw new AttemptError('refused by peer', `expected a welcome, got "${answer.t}"`);
    const peer = { ...options.own, index: answer.index, gen: answer.gen };
    if (!proofMatches(proof(options.secret, 's2c', nonce, peer), answer.mac)) {
      throw new AttemptError('refused by peer', 'the peer could not prove the shared secret');
    }
    if (answer.index !== options.expectIndex) {
      throw new AttemptError('address is not this pod', `${address} answers as index ${answer.index}, not ${options.expectIndex}`);
    }
    if (options.expectGen !== undefined && answer.gen !== options.expectGen) {
      throw new AttemptError('address is not this pod', `${address} is an earlier pod with this index`);
    }
    return { channel, address, rttMs, peerGen: answer.gen };
  } catch (error) {
    socket.destroy();
    throw options.signal.aborted ? options.signal.reason : error;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
}

function failed(error: Error): never {
  throw new AttemptError(error.message.startsWith('timed out') ? 'timed out' : 'connection refused', `handshake: ${error.message}`);
}
