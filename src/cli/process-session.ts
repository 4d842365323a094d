import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes of the session `sid` leads (rollcall starts each workload and launched command with
 * setsid). A process group is not enough: launchers put each rank in a group of its own (Open MPI's
 * daemons do), and a rank orphaned by its daemon's death keeps its session but not its parent.
 */
export function sessionMembers(sid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp session …": comm may hold spaces and parentheses, so count from the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid) members.push(Number(entry));
    } catch {
      // Gone since the listing.
    }
  }
  return members;
}
