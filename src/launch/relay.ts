import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { sendStream } from '../transport/stream-frames.js';

/**
 * Sends everything `source` gives as frames of `kind`, reading no faster than the peer takes it (the
 * source pauses while the socket's buffer is full). Settles when the source has ended or closed.
 */
export function relayOutput(source: Readable, socket: Socket, kind: 'stdout' | 'stderr' | 'stdin'): Promise<void> {
  return new Promise((resolve) => {
    const resume = () => source.resume();
    source.on('data', (chunk: Buffer) => {
      if (!sendStream(socket, kind, chunk) && !socket.destroyed) {
        source.pause();
        socket.once('drain', resume);
      }
    });
    socket.once('close', resume);
    const done = () => {
      socket.off('drain', resume);
      resolve();
    };
    source.once('end', done);
    source.once('close', done);
    source.once('error', done);
  });
}
