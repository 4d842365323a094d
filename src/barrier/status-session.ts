import type { Socket } from 'node:net';
import { RollcallError } from '../errors.js';
import type { GroupStatus } from '../lifecycle/group-status.js';
import type { Deadline } from '../time/deadline.js';

/** A status of 10,000 pods is about 2 MB; anything past this is not index 0 answering. */
const MAX_STATUS_BYTES = 16 * 1024 * 1024;

/** What the asker sends once it has taken the socket off frames: only then may the answer come. */
const ASK = 'status\n';
/** An asker that has not asked by then is not going to. */
const ASK_TIMEOUT_MS = 5000;

/**
 * Index 0's side of a `status` session (after its handshake): once asked, the group as it stands then, as
 * one JSON document, and the end of the connection. Answering before the ask could land the document in
 * the asker's frame reader, which takes nothing that long.
 */
export function answerStatus(socket: Socket, status: () => GroupStatus): void {
  socket.on('error', () => socket.destroy());
  socket.setTimeout(ASK_TIMEOUT_MS, () => socket.destroy());
  socket.once('data', () => {
    socket.setTimeout(0);
    socket.end(JSON.stringify(status()));
  });
}

/** The asking side: reads index 0's answer to the end, bounded in size and by the deadline. */
export function readStatus(socket: Socket, rest: Buffer, size: number, deadline: Deadline, signal?: AbortSignal): Promise<GroupStatus> {
  const received = new Promise<GroupStatus>((resolve, reject) => {
    const chunks = [rest];
    let bytes = rest.length;
    socket.write(ASK);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_STATUS_BYTES) return void socket.destroy(new Error(`index 0's status ran past ${MAX_STATUS_BYTES} bytes`));
      chunks.push(chunk);
    });
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        resolve(parseStatus(Buffer.concat(chunks).toString('utf8'), size));
      } catch (error) {
        reject(error);
      }
    });
  });
  return deadline.bound(received, () => new RollcallError('ERR_ROLLCALL_STATUS', 'index 0 did not answer for the status in time'), signal).finally(() => socket.destroy());
}

function parseStatus(text: string, size: number): GroupStatus {
  const status = JSON.parse(text) as GroupStatus;
  if (typeof status !== 'object' || status === null || !Array.isArray(status.pods) || status.pods.length !== size || status.view !== 'index 0') {
    throw new RollcallError('ERR_ROLLCALL_STATUS', `index 0's status is not one of this group of ${size}`);
  }
  return status;
}
