import type { Socket } from 'node:net';
import { PeerFailedError, PeersTimeoutError, RollcallError, type GroupCount } from '../errors.js';
import type { GroupFailure } from '../group-failure.js';
import type { Group } from './group.js';
import type { GroupStatus } from '../lifecycle/group-status.js';

/**
 * The link between `rollcall -- <command>` and a workload inside it that calls `waitForPeers()` itself:
 * newline-delimited JSON over a Unix socket only that process tree can reach (mode 0600, in a 0700
 * directory). The wrapper named in ROLLCALL_GROUP_SOCKET already holds the group; the workload joins it
 * instead of opening a second listener on the same port.
 */
export const GROUP_SOCKET_VARIABLE = 'ROLLCALL_GROUP_SOCKET';

/** What the workload needs to build its Group: everything but the functions. */
export type GroupSnapshot = Pick<Group, 'index' | 'size' | 'members' | 'rank' | 'jobName' | 'topology' | 'self' | 'peers' | 'timings' | 'round'>;

export type WrapperMessage =
  | { t: 'group'; group: GroupSnapshot }
  | { t: 'stop'; failure: GroupFailure; round: number; next: number | null }
  | { t: 'released'; id: number }
  | { t: 'status'; id: number; status: GroupStatus }
  | { t: 'barrier-failed'; id: number; error: LinkedError };

/** A barrier's failure, as the workload's caller would have had it from its own waitForPeers. */
export type LinkedError =
  | { kind: 'timeout'; barrier: string; timeoutMs: number; count: GroupCount }
  | { kind: 'peer-failed'; failure: GroupFailure; round: number; next: number | null }
  | { kind: 'other'; message: string };

export function linkError(error: unknown, barrier: string): LinkedError {
  if (error instanceof PeersTimeoutError) return { kind: 'timeout', barrier, timeoutMs: error.timeoutMs, count: { ready: error.arrived, size: error.size, missing: error.missing } };
  if (error instanceof PeerFailedError) return { kind: 'peer-failed', failure: error.failure, round: error.round, next: error.next ?? null };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

export function unlinkError(linked: LinkedError): Error {
  if (linked.kind === 'timeout') return new PeersTimeoutError(linked.timeoutMs, linked.count, linked.barrier);
  if (linked.kind === 'peer-failed') return new PeerFailedError(linked.failure, linked.round, linked.next ?? undefined);
  return new RollcallError('ERR_ROLLCALL_WRAPPER', linked.message);
}

export type WorkloadMessage = { t: 'barrier'; id: number; name: string; timeoutMs?: number } | { t: 'progress' } | { t: 'status'; id: number };

export function snapshotOf(group: Group): GroupSnapshot {
  const { index, size, members, rank, jobName, topology, self, peers, timings, round } = group;
  return { index, size, members, rank, jobName, topology, self, peers, timings, round };
}

export function sendLine(socket: Socket, message: WrapperMessage | WorkloadMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}

/** Calls `handle` with each JSON line; a line that is not JSON ends the link (both ends are rollcall). */
export function onLines(socket: Socket, handle: (message: unknown) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        handle(JSON.parse(line));
      } catch {
        socket.destroy();
        return;
      }
      newline = buffered.indexOf('\n');
    }
  });
}
