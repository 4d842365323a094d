import type { Socket } from 'node:net';

/**
 * A remote launch's wire, once its handshake is done: binary frames of a kind byte, a 4-byte length and
 * that many bytes. Output is relayed byte for byte and can run to gigabytes, so it is never text and
 * never JSON; only the request and the ending are small JSON payloads.
 */
export const STREAM_KINDS = {
  /** The agent's request (JSON: `{ command }`): the words to run with `sh -c`, as sshd would. */
  start: 1,
  /** Bytes for the command's stdin; an empty one is its end of file. */
  stdin: 2,
  stdout: 3,
  stderr: 4,
  /** How the command ended (JSON: `{ code, signal }`); the last frame of a launch. */
  exit: 5,
  /** The launch was not run (JSON: `{ reason }`): the agent exits 255 with it, as ssh does. */
  refused: 6,
  /** A sign of life while a command runs silent: either side drops a launch it has not heard from. */
  beat: 7,
} as const;

export type StreamKind = keyof typeof STREAM_KINDS;
const KIND_NAMES = new Map<number, StreamKind>(Object.entries(STREAM_KINDS).map(([name, byte]) => [byte, name as StreamKind]));

const HEADER_BYTES = 5;
/** One frame's payload at most: the larger of a pipe's read and a long command line, with room to spare. */
export const MAX_STREAM_PAYLOAD = 1024 * 1024;

export function streamHeader(kind: StreamKind, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = STREAM_KINDS[kind];
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * Writes a frame; false when the socket's buffer is full (the caller pauses its source until 'drain').
 * Data larger than one frame's payload goes as several.
 */
export function sendStream(socket: Socket, kind: StreamKind, payload: Buffer = Buffer.alloc(0)): boolean {
  if (socket.destroyed || !socket.writable) return false;
  if (payload.length > MAX_STREAM_PAYLOAD) {
    let ok = true;
    for (let at = 0; at < payload.length; at += MAX_STREAM_PAYLOAD) ok = sendStream(socket, kind, payload.subarray(at, at + MAX_STREAM_PAYLOAD)) && ok;
    return ok;
  }
  socket.cork();
  let ok = socket.write(streamHeader(kind, payload.length));
  if (payload.length > 0) ok = socket.write(payload);
  socket.uncork();
  return ok;
}

export const sendJson = (socket: Socket, kind: 'start' | 'exit' | 'refused', value: object): boolean => sendStream(socket, kind, Buffer.from(JSON.stringify(value)));

/** A frame's JSON payload as an object, or undefined for anything else. */
export function jsonPayload(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cuts a byte stream into frames. A kind it does not know or a frame over the limit is a peer that does
 * not speak this protocol: `onBad` is called once and nothing more is read.
 */
export class StreamReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private broken = false;

  constructor(
    private readonly onFrame: (kind: StreamKind, payload: Buffer) => void,
    private readonly onBad: (why: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES);
      const kind = KIND_NAMES.get(head[0] as number);
      const length = head.readUInt32BE(1);
      if (kind === undefined || length > MAX_STREAM_PAYLOAD) {
        this.broken = true;
        return this.onBad(kind === undefined ? `unknown frame kind ${head[0]}` : `a frame of ${length} bytes`);
      }
      if (this.pendingBytes < HEADER_BYTES + length) return;
      this.take(HEADER_BYTES);
      this.onFrame(kind, this.take(length));
      if (this.broken) return;
    }
  }

  /** Stops reading: whatever arrives from now on is ignored. */
  stop(): void {
    this.broken = true;
  }

  /** Stops reading and gives back what arrived beyond the last frame read, for whoever reads on. */
  takeRest(): Buffer {
    this.stop();
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return rest;
  }

  private peek(bytes: number): Buffer {
    const first = this.pending[0] as Buffer;
    if (first.length >= bytes) return first;
    this.pending = [Buffer.concat(this.pending)];
    return this.pending[0] as Buffer;
  }

  private take(bytes: number): Buffer {
    if (bytes === 0) return Buffer.alloc(0);
    const whole = this.peek(bytes);
    const taken = whole.subarray(0, bytes);
    const rest = whole.subarray(bytes);
    if (rest.length === 0) this.pending.shift();
    else this.pending[0] = rest;
    this.pendingBytes -= bytes;
    return taken;
  }
}
