import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Group } from '../barrier/group.js';
import { GROUP_SOCKET_VARIABLE, linkError, onLines, sendLine, snapshotOf, type WorkloadMessage } from '../barrier/group-link.js';
import type { PeerFailedError } from '../errors.js';

export interface GroupSocket {
  /** The workload's env entry that names the socket. */
  env: Record<string, string>;
  close(): void;
}

/**
 * Serves the wrapper's group to the workload's own `waitForPeers()`: each connection gets the group as
 * it stands (the current round included), the round's stop when it comes, and its barriers run on the
 * wrapper's sessions. Each round's workload is a new process and connects anew.
 */
export async function serveGroup(group: Group): Promise<GroupSocket> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-'));
  const path = join(dir, 'group.sock');
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('error', () => socket.destroy());
    const { signal, round } = group;
    const gone = new AbortController();
    const onStop = () => {
      const stop = signal.reason as PeerFailedError;
      sendLine(socket, { t: 'stop', failure: stop.failure, round, next: stop.next ?? null });
    };
    socket.once('close', () => {
      connections.delete(socket);
      signal.removeEventListener('abort', onStop);
      gone.abort(new Error('the workload hung up'));
    });
    sendLine(socket, { t: 'group', group: snapshotOf(group) });
    if (signal.aborted) onStop();
    else signal.addEventListener('abort', onStop, { once: true });
    onLines(socket, (message) => {
      const request = message as WorkloadMessage;
      if (request.t !== 'barrier' || !Number.isSafeInteger(request.id) || typeof request.name !== 'string') throw new Error('not a request');
      const options = { signal: gone.signal, ...(typeof request.timeoutMs === 'number' ? { timeoutMs: request.timeoutMs } : {}) };
      group.barrier(request.name, options).then(
        () => sendLine(socket, { t: 'released', id: request.id }),
        (error: unknown) => sendLine(socket, { t: 'barrier-failed', id: request.id, error: linkError(error, request.name) }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Only this user may connect: the directory is 0700 (mkdtemp), so the socket is reachable by nobody else.
    server.listen(path, () => resolve());
  });
  return {
    env: { [GROUP_SOCKET_VARIABLE]: path },
    close() {
      for (const socket of connections) socket.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
