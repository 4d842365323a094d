import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP, type Socket } from 'node:net';

/**
 * Newline-delimited JSON frames. Every inbound frame is bounded: a peer that sends more than
 * `maxFrameBytes` without a newline, or anything that is not a known message, loses its connection.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 4096;
const QUEUE_BYTES = 64 * 1024;

export type Role = 'probe' | 'member';

export interface Hello {
  t: 'hello';
  v: number;
  job: string;
  uid: string;
  size: number;
  index: number;
  gen: string;
  role: Role;
  nonce: string;
  mac: string;
}

export type Frame =
  | { t: 'challenge'; v: number; nonce: string }
  | Hello
  | { t: 'welcome'; index: number; gen: string; mac: string }
  | { t: 'refuse'; reason: string }
  | { t: 'arrive'; barrier: string; addrs: string[] }
  | { t: 'progress'; barrier: string; ready: number; missing: [number, string][] }
  | { t: 'release'; barrier: string; roster?: string[][] }
  | { t: 'seen'; indexes: number[] }
  | { t: 'bye' }
  | { t: 'beat' }
  | { t: 'ack'; barrier: string }
  | { t: 'nudge'; port: number; token: string };

/**
 * Datagrams beside a member's session. TCP delivers in order, so a release queued behind one lost
 * segment waits out the retransmission timer, which doubles with every loss; a datagram re-sent at a fixed
 * interval does not. The token, sent by the member over its authenticated session, is what makes a
 * datagram count: whoever cannot read that session cannot forge one.
 */
export type Datagram = { t: 'release'; barrier: string; token: string; roster?: string[][] } | { t: 'ack'; barrier: string; token: string };
/** Fits one packet on any path (IPv6's minimum MTU is 1280): a datagram is never fragmented. */
export const MAX_DATAGRAM_BYTES = 1200;

const NONCE = /^[0-9a-f]{32}$/;
const TOKEN = NONCE;
const GEN = /^[0-9a-z-]{1,40}$/;
const MAC = /^([0-9a-f]{64})?$/;
const BARRIER = /^[\w.:-]{1,64}$/;
const LABEL_PATH = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const MAX_ADDRS = 8;
/** Indexes in one `seen` frame: a burst of joins goes out in frames of at most this many. */
export const MAX_SEEN = 256;

const isInt = (value: unknown, max = 1_000_000): value is number => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;
const isStr = (value: unknown, pattern: RegExp): value is string => typeof value === 'string' && pattern.test(value);
const isAddrs = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length <= MAX_ADDRS && value.every((address) => typeof address === 'string' && isIP(address) !== 0);

/** Parses one frame, or returns undefined for anything that is not exactly a known message. */
export function parseFrame(line: string): Frame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as Record<string, unknown>;
  switch (frame.t) {
    case 'challenge':
      return isInt(frame.v) && isStr(frame.nonce, NONCE) ? (frame as Frame) : undefined;
    case 'hello':
      return isInt(frame.v) &&
        isStr(frame.job, LABEL_PATH) &&
        typeof frame.uid === 'string' &&
        frame.uid.length <= 64 &&
        isInt(frame.size) &&
        isInt(frame.index) &&
        isStr(frame.gen, GEN) &&
        (frame.role === 'probe' || frame.role === 'member') &&
        isStr(frame.nonce, NONCE) &&
        isStr(frame.mac, MAC)
        ? (frame as Frame)
        : undefined;
    case 'welcome':
      return isInt(frame.index) && isStr(frame.gen, GEN) && isStr(frame.mac, MAC) ? (frame as Frame) : undefined;
    case 'refuse':
      return typeof frame.reason === 'string' && frame.reason.length <= 200 ? (frame as Frame) : undefined;
    case 'arrive':
      return isStr(frame.barrier, BARRIER) && isAddrs(frame.addrs) ? (frame as Frame) : undefined;
    case 'ack':
      return isStr(frame.barrier, BARRIER) ? (frame as Frame) : undefined;
    case 'progress':
      return isStr(frame.barrier, BARRIER) &&
        isInt(frame.ready) &&
        Array.isArray(frame.missing) &&
        frame.missing.every((entry) => Array.isArray(entry) && isInt(entry[0]) && typeof entry[1] === 'string')
        ? (frame as Frame)
        : undefined;
    case 'seen':
      return Array.isArray(frame.indexes) && frame.indexes.length <= MAX_SEEN && frame.indexes.every((index) => isInt(index)) ? (frame as Frame) : undefined;
    case 'bye':
    case 'beat':
      return frame as Frame;
    case 'release':
      return isRelease(frame) ? (frame as Frame) : undefined;
    case 'nudge':
      return isInt(frame.port, 65_535) && frame.port > 0 && isStr(frame.token, TOKEN) ? (frame as Frame) : undefined;
    default:
      return undefined;
  }
}

const isRelease = (frame: Record<string, unknown>) =>
  isStr(frame.barrier, BARRIER) && (frame.roster === undefined || (Array.isArray(frame.roster) && frame.roster.every(isAddrs)));

/** Parses one datagram, or returns undefined for anything oversized or not exactly a known datagram. */
export function parseDatagram(bytes: Buffer): Datagram | undefined {
  if (bytes.length > MAX_DATAGRAM_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const datagram = value as Record<string, unknown>;
  if (!isStr(datagram.token, TOKEN)) return undefined;
  if (datagram.t === 'release') return isRelease(datagram) ? (datagram as Datagram) : undefined;
  if (datagram.t === 'ack') return isStr(datagram.barrier, BARRIER) ? (datagram as Datagram) : undefined;
  return undefined;
}

/** The datagram's bytes, or undefined when it would not fit one packet (a large roster goes by session only). */
export function encodeDatagram(datagram: Datagram): Buffer | undefined {
  const bytes = Buffer.from(JSON.stringify(datagram));
  return bytes.length <= MAX_DATAGRAM_BYTES ? bytes : undefined;
}

export function isValidBarrierName(name: string): boolean {
  return BARRIER.test(name);
}

/**
 * One socket speaking frames. Bad input of any kind destroys the socket: a connection that misbehaves
 * once is not worth a second reading.
 */
export class FrameChannel {
  readonly socket: Socket;
  private buffered = '';
  private readonly maxFrameBytes: number;
  private handler: ((frame: Frame) => void) | undefined;
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;

  constructor(socket: Socket, maxFrameBytes = MAX_FRAME_BYTES) {
    this.socket = socket;
    this.maxFrameBytes = maxFrameBytes;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
  }

  /** Frames that arrived before a handler was set are delivered to it first, in order. */
  onFrame(handler: (frame: Frame) => void): void {
    this.handler = handler;
    while (this.queue.length > 0 && this.handler === handler) handler(this.queue.shift() as Frame);
    if (this.queue.length === 0) this.queuedBytes = 0;
  }

  send(frame: Frame): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(`${JSON.stringify(frame)}\n`);
  }

  /** The next frame, or rejection when the socket closes or `timeoutMs` passes first. */
  next(timeoutMs: number): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('timed out waiting for a frame')), timeoutMs);
      const onClose = () => done(new Error('connection closed'));
      const done = (error?: Error, frame?: Frame) => {
        clearTimeout(timer);
        this.socket.off('close', onClose);
        this.handler = undefined;
        if (error !== undefined) reject(error);
        else resolve(frame as Frame);
      };
      this.socket.once('close', onClose);
      if (this.socket.destroyed) return onClose();
      this.onFrame((frame) => done(undefined, frame));
    });
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      const frame = line.length <= this.maxFrameBytes ? parseFrame(line) : undefined;
      if (frame === undefined) return void this.socket.destroy();
      if (this.handler !== undefined) this.handler(frame);
      else {
        this.queue.push(frame);
        this.queuedBytes += line.length;
      }
      if (this.socket.destroyed) return;
    }
    // Frames may legitimately wait for a handler (a burst of news right after a handshake), but only so
    // many bytes of them: the bound is on memory, not on how many small frames a busy group sends.
    if (this.buffered.length > this.maxFrameBytes || this.queuedBytes > QUEUE_BYTES) this.socket.destroy();
  }
}

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
