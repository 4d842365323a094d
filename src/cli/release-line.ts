import type { Group } from '../barrier/group.js';
import type { Logger } from './logger.js';

/**
 * The line every pod logs at its release: how many of the group's pods the round runs with, and this
 * pod's place. An elastic group's round can release with fewer than all, or without this pod.
 */
export function logReleased(group: Group, logger: Logger): void {
  const total = group.peers.length;
  const timings = { checksMs: Math.round(group.timings.checksMs), releaseMs: Math.round(group.timings.releaseMs) };
  const fields = { event: 'released', index: group.index, size: group.size, ...(group.rank === undefined ? {} : { rank: group.rank }), ...(group.self.part === undefined ? {} : { part: group.self.part }), ...timings };
  if (group.rank === undefined) {
    logger.line(`${group.size}/${total} released without this pod (index ${group.index} came after the last call): it waits for the group to grow`, fields);
    return;
  }
  const fewer = group.size < total ? ' after the last call (elastic)' : '';
  const rank = group.rank === group.index ? '' : `, rank ${group.rank}`;
  const part = group.self.part === undefined ? '' : `, ${group.self.part.name} ${group.self.part.index}`;
  logger.line(`${group.size}/${total} ready${fewer}; released as index ${group.index}${rank}${part} (${group.topology})`, fields);
}
