import { connect, type Socket } from 'node:net';
import { AttemptError, mostTelling, type MissingReasonCode } from '../errors.js';
import type { Deadline } from '../time/deadline.js';
import { systemClock } from '../time/clock.js';

export interface Connected {
  socket: Socket;
  address: string;
  rttMs: number;
}

const REASON_BY_CODE: Record<string, MissingReasonCode> = {
  ECONNREFUSED: 'connection-refused',
  ECONNRESET: 'connection-refused',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
};

/** When every address fails, the most telling failure is reported: who refused us says the most. */
export const CONNECTION_FAILURE_RANK: MissingReasonCode[] = ['refused-by-peer', 'not-this-pod', 'connection-refused', 'timeout', 'unreachable'];

/**
 * Connects to every address at once and keeps the first that answers: during a pod's replacement a
 * name can carry a dead address beside the live one, and trying them in turn would wait out the dead.
 */
export async function connectAny(addresses: readonly string[], port: number, deadline: Deadline, signal: AbortSignal): Promise<Connected> {
  if (addresses.length === 0) throw new AttemptError('no-address');
  const started = systemClock.now();
  let decided = false;
  const sockets: Socket[] = [];
  const first = new Promise<Connected>((resolve, reject) => {
    const failures: AttemptError[] = [];
    for (const address of addresses) {
      const socket = connect({ host: address, port, noDelay: true });
      sockets.push(socket);
      socket.once('connect', () => {
        if (decided) return socket.destroy();
        decided = true;
        resolve({ socket, address, rttMs: systemClock.now() - started });
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        failures.push(new AttemptError(REASON_BY_CODE[error.code ?? ''] ?? 'unreachable', `${address}:${port} ${error.code ?? error.message}`, { cause: error }));
        if (failures.length === addresses.length) reject(mostTelling(failures, CONNECTION_FAILURE_RANK));
      });
    }
  });
  try {
    return await deadline.bound(first, () => new AttemptError('timeout', `${addresses.join(',')}:${port} within the attempt's deadline`), signal);
  } finally {
    // Whichever way it was decided, the connections still under way are not wanted.
    decided = true;
    for (const socket of sockets) if (socket.connecting) socket.destroy();
  }
}
