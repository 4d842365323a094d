import { joinWrapper } from '../barrier/wrapped-group.js';
import { GROUP_SOCKET_VARIABLE } from '../barrier/group-link.js';
import { PeerFailedError } from '../errors.js';
import type { GroupStatus, PodStatus } from '../lifecycle/group-status.js';
import { formatDuration } from '../time/duration.js';
import { findPodSocket } from './pod-sockets.js';

/** The group is not healthy, or only this pod's view could be had. */
export const UNHEALTHY_EXIT = 1;
/** No rollcall serves this pod (EX_UNAVAILABLE): nothing to ask. */
export const NO_ROLLCALL_EXIT = 69;

/**
 * `rollcall status`: asks this pod's rollcall (through its group socket, as a workload's own
 * `waitForPeers()` does) for the group as index 0 knows it, prints it, and exits by its health.
 */
export async function runStatus(json: boolean, env: NodeJS.ProcessEnv): Promise<number> {
  const socket = findPodSocket(env, 'group.sock');
  const unavailable = (why: string) => {
    process.stderr.write(`rollcall status: ${why}: run it in a pod whose rollcall runs "rollcall -- <command>" or "rollcall serve", once the group is released\n`);
    return NO_ROLLCALL_EXIT;
  };
  if (socket === undefined) return unavailable('no rollcall runs in this pod (none has linked its network namespace)');
  const named = socket.how === GROUP_SOCKET_VARIABLE ? `, named by ${GROUP_SOCKET_VARIABLE}` : '';
  let group;
  try {
    group = await joinWrapper(socket.path, { env: {} }, (code) => new Error(code));
  } catch (error) {
    return unavailable(`this pod's rollcall cannot be reached at ${socket.path}${named} (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    const status = await group.status();
    process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return status.healthy ? 0 : UNHEALTHY_EXIT;
  } finally {
    await group.close();
  }
}

const ago = (ms: number | undefined) => (ms === undefined ? '-' : `${formatDuration(ms)} ago`);

function stateText(pod: PodStatus): string {
  if (pod.state !== 'finished' && pod.state !== 'failed') return pod.state;
  if (pod.exitCode === undefined) return pod.state;
  return `${pod.state} (${pod.signal ?? `exit ${String(pod.exitCode)}`})`;
}

/** A header saying whose view and how the group stands, then a row per pod. */
export function formatStatus(status: GroupStatus): string {
  const view = status.view === 'index 0' ? "index 0's view" : `index ${status.from}'s own view (${status.note ?? 'index 0 was not asked'})`;
  const { membership } = status;
  const elastic = membership === undefined ? '' : ` (elastic, ${membership.min} to ${membership.max}; ${membership.rounds.map((each) => `round ${each.round}: ${each.size}`).join(', ')})`;
  const lines = [`${status.job}: ${status.size} pods${elastic}, round ${status.round}, ${status.phase}; ${view}; ${status.healthy ? 'healthy' : 'not healthy'}`];
  // Worded as every pod logged it.
  if (status.verdict !== undefined) lines.push(new PeerFailedError(status.verdict.failure, status.round, status.verdict.next ?? undefined).message);
  const rows = [
    ['INDEX', 'NAME', 'ADDRESS', 'ROUND', 'STATE', 'HEARD', 'PROGRESS'],
    ...status.pods.map((pod) => [String(pod.index), pod.name, pod.address ?? '-', pod.round === undefined ? '-' : String(pod.round), stateText(pod), ago(pod.lastHeardMs), ago(pod.lastProgressMs)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) lines.push(row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd());
  return `${lines.join('\n')}\n`;
}
