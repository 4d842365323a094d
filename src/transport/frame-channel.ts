import type { Socket } from 'node:net';
import type { Deadline } from '../time/deadline.js';
import type { Session } from './session.js';
import { MAX_FRAME_BYTES, parseFrame, type Frame } from './wire-format.js';

const QUEUE_BYTES = 64 * 1024;

/**
 * One socket speaking frames. Bad input of any kind destroys the socket: a connection that misbehaves
 * once is not worth a second reading.
 */
export class FrameChannel implements Session {
  readonly socket: Socket;
  /** Bytes after the last complete line: frames are split on the newline byte, decoded whole. */
  private buffered: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;
  private handler: ((frame: Frame) => void) | undefined;
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;

  constructor(socket: Socket, maxFrameBytes = MAX_FRAME_BYTES) {
    this.socket = socket;
    this.maxFrameBytes = maxFrameBytes;
    socket.on('data', this.onData);
    socket.on('error', () => socket.destroy());
  }

  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  /**
   * Takes the socket off frames once a handshake is done, for a session that speaks something else on
   * it (a remote launch's byte streams): what already arrived beyond the last frame comes with it.
   */
  handOver(): { socket: Socket; rest: Buffer } {
    this.socket.off('data', this.onData);
    this.handler = undefined;
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return { socket: this.socket, rest };
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

  onClose(handler: () => void): void {
    if (this.socket.destroyed) queueMicrotask(handler);
    else this.socket.once('close', handler);
  }

  onActivity(handler: () => void): void {
    this.socket.on('data', handler);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get localAddress(): string {
    return this.socket.localAddress ?? '';
  }

  /** The next frame, or rejection when the socket closes or `timeoutMs` passes first. */
  next(deadline: Deadline): Promise<Frame> {
    let onClose = () => {};
    let taker: ((frame: Frame) => void) | undefined;
    const frame = new Promise<Frame>((resolve, reject) => {
      onClose = () => reject(new Error('connection closed'));
      this.socket.once('close', onClose);
      if (this.socket.destroyed) return onClose();
      // It lets go at once: a frame right behind this one in the same chunk is queued for the next handler.
      taker = (next) => {
        this.handler = undefined;
        resolve(next);
      };
      this.onFrame(taker);
    });
    return deadline.bound(frame, () => new Error('timed out waiting for a frame')).finally(() => {
      this.socket.off('close', onClose);
      if (this.handler === taker) this.handler = undefined;
    });
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let newline: number;
    while ((newline = this.buffered.indexOf(0x0a)) !== -1) {
      const line = this.buffered.subarray(0, newline);
      this.buffered = this.buffered.subarray(newline + 1);
      const frame = line.length <= this.maxFrameBytes ? parseFrame(line.toString('utf8')) : undefined;
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
