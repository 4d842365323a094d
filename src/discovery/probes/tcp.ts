import { connect, type Socket } from 'node:net';
import { AttemptError, type MissingReason } from '../../errors.js';
import type { Probe, ProbeTarget } from './types.js';

export interface Connected {
  socket: Socket;
  address: string;
  rttMs: number;
}

const REASON_BY_CODE: Record<string, MissingReason> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection refused',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
};

/**
 * Connects to every address at once and keeps the first that answers: during a pod's replacement a
 * name can carry a dead address beside the live one, and trying them in turn would wait out the dead.
 */
export function connectAny(addresses: readonly string[], port: number, timeoutMs: number, signal: AbortSignal): Promise<Connected> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const failures: AttemptError[] = [];
    const sockets = addresses.map((address) => {
      const socket = connect({ host: address, port, noDelay: true });
      socket.once('connect', () => {
        if (settled) return socket.destroy();
        settle();
        resolve({ socket, address, rttMs: performance.now() - started });
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        failures.push(new AttemptError(REASON_BY_CODE[error.code ?? ''] ?? 'unreachable', `${address}:${port} ${error.code ?? error.message}`, { cause: error }));
        if (failures.length === addresses.length) {
          settle();
          reject(failures.find((failure) => failure.reason !== 'unreachable') ?? failures[0]);
        }
      });
      return socket;
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settle();
      reject(new AttemptError('timed out', `${addresses.join(',')}:${port} after ${timeoutMs}ms`));
    }, timeoutMs);
    const onAbort = () => {
      if (settled) return;
      settle();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    function settle() {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      for (const socket of sockets) if (socket.connecting) socket.destroy();
    }
    if (addresses.length === 0) {
      settle();
      reject(new AttemptError('no address'));
    }
  });
}

/** `tcp:<port>`: the peer's application accepts connections. */
export function tcpPortProbe(port: number, timeoutMs: number): Probe {
  return async (target: ProbeTarget, signal) => {
    const { socket, address, rttMs } = await connectAny(target.addresses, port, timeoutMs, signal);
    socket.destroy();
    return { address, rttMs };
  };
}
