import { connect } from 'node:net';
import { ConfigError, PeerFailedError, RollcallError } from '../errors.js';
import { DEFAULTS, type WaitForPeersOptions } from './options.js';
import { withDeadline } from '../time/deadline.js';
import { systemClock } from '../time/clock.js';
import { throttle } from '../time/throttle.js';
import { PROGRESS_EVERY_MS } from './member.js';
import { assertCallerBarrierName } from '../lifecycle/round-names.js';
import type { BarrierOptions, Group } from './group.js';
import type { GroupStatus } from '../lifecycle/group-status.js';
import { GROUP_SOCKET_VARIABLE, onLines, sendLine, unlinkError, type GroupSnapshot, type WrapperMessage } from './group-link.js';

/** How long the wrapper's socket may take to answer: it is local and already holds the group. */
const LINK_TIMEOUT_MS = 10_000;

const wrapperOwns = (what: string) =>
  new RollcallError(
    'ERR_ROLLCALL_WRAPPED',
    `${what} belongs to the rollcall wrapper here (${GROUP_SOCKET_VARIABLE} is set): it reports how this process ends, by its exit code, holds the exit barrier and restarts it for a new round. End the process instead.`,
  );

/** A socket named by the variable that cannot be reached: the variable is at fault (left over, or copied). */
const wrapperUnreachable = (path: string) => (code: string, error: Error) =>
  new ConfigError(GROUP_SOCKET_VARIABLE, path, `cannot be reached (${code})`, 'Unset it: it is for a workload that rollcall runs.', { cause: error });

/**
 * The group of the `rollcall -- <command>` this process runs under: the same pods, index and round,
 * its stop as `signal`, its barriers over the wrapper's sessions. Nothing is opened on the network.
 */
export async function joinWrapper(path: string, options: WaitForPeersOptions, unreachable: (code: string, error: Error) => Error = wrapperUnreachable(path)): Promise<Group> {
  options.signal?.throwIfAborted();
  const socket = connect(path);
  const stopped = new AbortController();
  const pending = new Map<number, { resolve: (value?: GroupStatus) => void; reject: (error: Error) => void }>();
  let closing = false;
  let nextId = 1;
  // Called every training step, perhaps: the wrapper hears of it no more often than index 0 would.
  const progress = throttle(systemClock, PROGRESS_EVERY_MS, () => sendLine(socket, { t: 'progress' }));
  let snapshot: (value: GroupSnapshot) => void = () => {};
  const first = new Promise<GroupSnapshot>((resolve, reject) => {
    snapshot = resolve;
    socket.once('error', (error) => reject(unreachable((error as NodeJS.ErrnoException).code ?? error.message, error)));
  });
  socket.on('error', () => socket.destroy());
  socket.once('close', () => {
    const gone = new RollcallError('ERR_ROLLCALL_WRAPPER', 'the rollcall wrapper went away');
    for (const waiter of pending.values()) waiter.reject(gone);
    pending.clear();
    if (!closing && !stopped.signal.aborted) stopped.abort(gone);
  });
  onLines(socket, (raw) => {
    const message = raw as WrapperMessage;
    if (message.t === 'group') snapshot(message.group);
    else if (message.t === 'stop') stopped.abort(new PeerFailedError(message.failure, message.round, message.next ?? undefined));
    else {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.t === 'released') waiter?.resolve();
      else if (message.t === 'status') waiter?.resolve(message.status);
      else waiter?.reject(unlinkError(message.error));
    }
  });

  let group: GroupSnapshot;
  try {
    group = await withDeadline(first, options.timeoutMs ?? LINK_TIMEOUT_MS, () => new RollcallError('ERR_ROLLCALL_WRAPPER', `the rollcall wrapper at ${path} did not answer`), options.signal);
    // The count is the group's (an elastic group's most), not the round's size.
    for (const [option, value] of [['index', group.index], ['count', group.peers.length]] as const) {
      const given = options[option];
      if (given !== undefined && given !== value) throw new ConfigError(option, String(given), `disagrees with the rollcall wrapper's group, where it is ${value}`, 'Leave it out: the wrapper already knows who this pod is.');
    }
  } catch (error) {
    socket.destroy();
    throw error;
  }

  const hangUp = async () => {
    progress.cancel();
    closing = true;
    socket.end();
  };
  return {
    ...group,
    // A wrapper whose index finished the round already runs no workload: one that runs is never done.
    done: false,
    signal: stopped.signal,
    barrier(name: string, { timeoutMs, signal }: BarrierOptions = {}) {
      assertCallerBarrierName(name);
      const id = nextId++;
      const released = new Promise<void>((resolve, reject) => pending.set(id, { resolve: () => resolve(), reject }));
      sendLine(socket, { t: 'barrier', id, name, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
      // The wrapper bounds the barrier itself; this only stops waiting for it on the caller's signal.
      return withDeadline(released, (timeoutMs ?? DEFAULTS.timeoutMs) + LINK_TIMEOUT_MS, () => new RollcallError('ERR_ROLLCALL_WRAPPER', `the rollcall wrapper did not answer barrier "${name}"`), signal);
    },
    report() {
      throw wrapperOwns('report()');
    },
    progress() {
      progress.call(undefined);
    },
    exitBarrier: () => Promise.reject(wrapperOwns('The exit barrier')),
    nextRound: () => Promise.reject(wrapperOwns('The next round')),
    connect: () => Promise.reject(wrapperOwns('A connection to a peer (use "rollcall exec" for a remote launch)')),
    status() {
      const id = nextId++;
      const answered = new Promise<GroupStatus>((resolve, reject) => pending.set(id, { resolve: (status) => resolve(status as GroupStatus), reject }));
      sendLine(socket, { t: 'status', id });
      // The wrapper asks index 0 within twice the connection-attempt deadline; this bounds the wait on it.
      return withDeadline(answered, LINK_TIMEOUT_MS, () => new RollcallError('ERR_ROLLCALL_WRAPPER', 'the rollcall wrapper did not answer for the status'));
    },
    close: hangUp,
    // The wrapper got the same signal (the kubelet signals the container's first process) and tells the group.
    leave: hangUp,
  };
}
