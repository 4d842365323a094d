import type { Socket } from 'node:net';
import type { Group } from '../barrier/group.js';
import { entryOf } from '../barrier/role.js';
import { Limiter } from '../discovery/limiter.js';
import { StreamReader, jsonPayload, sendJson } from '../transport/stream-frames.js';
import { NO_SECRET_REASON } from './launch-service.js';
import { targetIndex } from './launch-target.js';

function refuse(local: Socket, reason: string): void {
  sendJson(local, 'refused', { reason });
  local.end();
}

/** How many hosts an unknown-host message lists. */
const NAMES_SHOWN = 3;

/**
 * The pod-local end of `rollcall exec`: takes the agent's request on the pod's launch socket, dials the
 * target pod's rollcall over an authenticated launch session, and from then on passes bytes through
 * both ways untouched (the frames are the agent's and the serving pod's). The group's secret stays in
 * this process; the agent needs only the socket, which only this pod's user can reach.
 */
/**
 * Handshakes under way to one pod at once, from this one: a listener cuts an address with more pending
 * than a pod needs for itself (MAX_PENDING_PER_ADDRESS), and a launcher may start 128 launches together.
 */
const DIALS_PER_TARGET = 4;

/** The relay's state across the pod's launches: how many handshakes are under way to each target. */
export class LaunchDials {
  private readonly limiters = new Map<number, Limiter>();

  to(index: number): Limiter {
    return entryOf(this.limiters, index, () => new Limiter(DIALS_PER_TARGET));
  }
}

export function relayLaunch(local: Socket, group: Pick<Group, 'peers' | 'jobName' | 'connect'>, secretSet: boolean, dials: LaunchDials): void {
  const reader = new StreamReader(
    (kind, payload) => {
      local.pause();
      local.off('data', onData);
      const request = kind === 'start' ? jsonPayload(payload) : undefined;
      const rest = reader.takeRest();
      if (typeof request?.host !== 'string' || typeof request.command !== 'string') return void local.destroy();
      if (!secretSet) return refuse(local, NO_SECRET_REASON);
      void connect(local, group, request.host, request.command, rest, dials);
    },
    () => local.destroy(),
  );
  const onData = (chunk: Buffer) => reader.push(chunk);
  local.on('data', onData);
}

async function connect(local: Socket, group: Pick<Group, 'peers' | 'jobName' | 'connect'>, host: string, command: string, rest: Buffer, dials: LaunchDials): Promise<void> {
  const index = targetIndex(host, group.peers);
  if (index === undefined) {
    const examples = group.peers.slice(0, NAMES_SHOWN).map((peer) => peer.name);
    return refuse(local, `no pod of job "${group.jobName}" is called "${host}" (give an index from 0 to ${group.peers.length - 1}, a pod name, or a name from the hostfile, such as ${examples.join(', ')})`);
  }
  const gone = new AbortController();
  const onGone = () => gone.abort(new Error('the agent went away'));
  local.once('close', onGone);
  let remote: Socket;
  try {
    const connection = await dials.to(index).run(() => group.connect(index, 'launch', { signal: gone.signal }));
    remote = connection.socket;
    if (connection.rest.length > 0) local.write(connection.rest);
  } catch (error) {
    return refuse(local, `cannot reach ${group.peers[index]?.name ?? host}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    local.off('close', onGone);
  }
  if (local.destroyed) return void remote.destroy();
  remote.on('error', () => remote.destroy());
  sendJson(remote, 'start', { command });
  if (rest.length > 0) remote.write(rest);
  local.pipe(remote);
  remote.pipe(local);
  local.once('close', () => remote.destroy());
  remote.once('close', () => local.end());
  local.resume();
}
