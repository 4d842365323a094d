import type { Socket } from 'node:net';
import type { Group } from '../barrier/group.js';
import { linkError, onLines, sendLine, snapshotOf, type WorkloadMessage } from '../barrier/group-link.js';
import type { PeerFailedError } from '../errors.js';

/**
 * Serves the wrapper's group to one workload's own `waitForPeers()`: the connection gets the group as
 * it stands (the current round included), the round's stop when it comes, and its barriers run on the
 * wrapper's sessions. Each round's workload is a new process and connects anew.
 */
export function serveGroupLink(socket: Socket, group: Group): void {
  const { signal, round } = group;
  const gone = new AbortController();
  const onStop = () => {
    const stop = signal.reason as PeerFailedError;
    sendLine(socket, { t: 'stop', failure: stop.failure, round, next: stop.next ?? null });
  };
  socket.once('close', () => {
    signal.removeEventListener('abort', onStop);
    gone.abort(new Error('the workload hung up'));
  });
  sendLine(socket, { t: 'group', group: snapshotOf(group) });
  if (signal.aborted) onStop();
  else signal.addEventListener('abort', onStop, { once: true });
  onLines(socket, (message) => {
    const request = message as WorkloadMessage;
    if (request.t === 'progress') return group.progress();
    if (request.t === 'status' && Number.isSafeInteger(request.id)) return void group.status().then((status) => sendLine(socket, { t: 'status', id: request.id, status }));
    if (request.t !== 'barrier' || !Number.isSafeInteger(request.id) || typeof request.name !== 'string') throw new Error('not a request');
    const options = { signal: gone.signal, ...(typeof request.timeoutMs === 'number' ? { timeoutMs: request.timeoutMs } : {}) };
    group.barrier(request.name, options).then(
      () => sendLine(socket, { t: 'released', id: request.id }),
      (error: unknown) => sendLine(socket, { t: 'barrier-failed', id: request.id, error: linkError(error, request.name) }),
    );
  });
}
