import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Group } from '../barrier/group.js';
import { GROUP_SOCKET_VARIABLE } from '../barrier/group-link.js';
import { LaunchDials, relayLaunch } from '../launch/launch-relay.js';
import { serveGroupLink } from './group-socket.js';
import { PROGRESS_FILE_VARIABLE } from './progress-file.js';
import type { Deadline } from '../time/deadline.js';

/** A live rollcall answers on its own pod's socket at once; this is only for one that does not. */
const LIVENESS_TIMEOUT_MS = 1000;

/** Where `rollcall exec` reaches its pod's rollcall, in the env of everything rollcall runs. */
export const LAUNCH_SOCKET_VARIABLE = 'ROLLCALL_LAUNCH_SOCKET';

export interface PodSockets {
  /**
   * This run's private directory (0700, made by mkdtemp under TMPDIR, removed at close): the sockets, the
   * progress file, and the workload's hostfile, so that no other user can read, replace or block them.
   */
  dir: string;
  /** The env entries that name the sockets, for the workload and launched commands. */
  env: Record<string, string>;
  /** Where `rollcall exec` lives as one word (a launcher that takes no arguments with its agent, such as Hydra). */
  agentScript: string;
  /** The file the workload touches to report progress (ROLLCALL_PROGRESS_FILE). */
  progressFile: string;
  /**
   * Serves the released group on the sockets and links this network namespace to them, so that a process
   * rollcall did not start finds them from now on. A connection made before (only a process of this user
   * that went looking in TMPDIR could) waits for the group.
   */
  serve(group: Group): Promise<void>;
  /**
   * Takes no more connections; the agents of launches still under way get until `drain` to hear their
   * command's end through this pod (an mpirun that has exited leaves its agents to it), then every
   * connection is cut and the directory removed.
   */
  close(drain: Deadline): Promise<void>;
}

/**
 * The pod's own Unix sockets, in a directory only this user can enter (0700): `group.sock`, where a
 * workload's `waitForPeers()` joins the group, and `launch.sock`, where `rollcall exec` asks for a remote
 * launch; and the `progress` file the workload touches. A link named after the pod's network namespace leads to the directory, so that a process
 * rollcall did not start (`kubectl exec … -- rollcall exec`) finds it too. Opened while the pod waits for
 * its group, so that the release has only the group to hand them (every pod of a group releases at once,
 * and on a node's shared cores each one's few milliseconds of set-up add up).
 */
export async function openPodSockets(selfCommand: readonly string[], secretSet: boolean): Promise<PodSockets> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-'));
  const servers: Server[] = [];
  let released!: (group: Group) => void;
  const group = new Promise<Group>((resolve) => (released = resolve));
  const serve = async (name: string, handle: (socket: Socket, group: Group) => void) => {
    const connections = new Set<Socket>();
    const server = createServer((socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
      // A peer's reset, while the socket waits for the group or after, is its end, not an unhandled error.
      socket.on('error', () => socket.destroy());
      void group.then((served) => handle(socket, served));
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(dir, name), () => resolve());
    });
    return connections;
  };
  const links = await serve('group.sock', serveGroupLink);
  const dials = new LaunchDials();
  const relays = await serve('launch.sock', (socket, served) => relayLaunch(socket, served, secretSet, dials));
  const agentScript = join(dir, 'rollcall-exec');
  writeFileSync(agentScript, `#!/bin/sh\nexec ${selfCommand.map(shellQuote).join(' ')} exec "$@"\n`, { mode: 0o755 });
  let alias: string | undefined;
  return {
    dir,
    env: { [GROUP_SOCKET_VARIABLE]: join(dir, 'group.sock'), [LAUNCH_SOCKET_VARIABLE]: join(dir, 'launch.sock'), [PROGRESS_FILE_VARIABLE]: join(dir, 'progress') },
    agentScript,
    progressFile: join(dir, 'progress'),
    async serve(served) {
      released(served);
      alias = await linkNamespace(dir);
    },
    async close(drain) {
      for (const server of servers) server.close();
      const agentsDone = Promise.all([...relays].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
      await drain.bound(agentsDone, () => new Error('launch agents still connected')).catch(() => {});
      for (const socket of [...links, ...relays]) socket.destroy();
      if (alias !== undefined) removeIfOurs(alias, dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const SOCKET_VARIABLES = { 'launch.sock': LAUNCH_SOCKET_VARIABLE, 'group.sock': GROUP_SOCKET_VARIABLE } as const;

/**
 * A socket of the rollcall that serves this pod: named in the env (`how` is the variable), else found by
 * the link a rollcall made for this network namespace (`how` is the link); undefined when there is neither.
 */
export function findPodSocket(env: NodeJS.ProcessEnv, name: keyof typeof SOCKET_VARIABLES): { path: string; how: string } | undefined {
  const named = env[SOCKET_VARIABLES[name]];
  if (named !== undefined && named !== '') return { path: named, how: SOCKET_VARIABLES[name] };
  const alias = namespaceLink();
  return alias === undefined || !existsSync(join(alias, name)) ? undefined : { path: join(alias, name), how: alias };
}

/** `<tmp>/rollcall-<uid>/net-<inode>`: one per network namespace, which every container of a pod shares. */
function namespaceLink(): string | undefined {
  try {
    const inode = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1];
    return inode === undefined ? undefined : join(tmpdir(), `rollcall-${process.getuid?.() ?? 'user'}`, `net-${inode}`);
  } catch {
    return undefined;
  }
}

/**
 * Points this namespace's link at `dir`, unless a live rollcall's already holds it (replicas of
 * `rollcall local` share one namespace: the first keeps it). A link whose rollcall does not answer is
 * stale (killed outright, or a namespace gone whose number the kernel gave again) and is replaced.
 */
async function linkNamespace(dir: string): Promise<string | undefined> {
  const link = namespaceLink();
  if (link === undefined) return undefined;
  try {
    const parent = join(link, '..');
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    const owner = lstatSync(parent);
    // Another user's directory, or one others may write to, could lead exec to a socket not ours.
    if (!owner.isDirectory() || owner.uid !== process.getuid?.() || (owner.mode & 0o077) !== 0) return undefined;
    if (lstatSync(link, { throwIfNoEntry: false }) !== undefined) {
      if (await answers(join(link, 'launch.sock'))) return undefined;
      unlinkSync(link);
    }
    symlinkSync(dir, link);
    return link;
  } catch {
    return undefined;
  }
}

/** Whether a Unix socket takes a connection within a moment. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean) => {
      socket.destroy();
      resolve(live);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(LIVENESS_TIMEOUT_MS, () => done(false));
  });
}

function removeIfOurs(link: string, dir: string): void {
  try {
    if (readlinkSync(link) === dir) unlinkSync(link);
  } catch {
    // Already gone.
  }
}

const shellQuote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
