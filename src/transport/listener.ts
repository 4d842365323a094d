import { createServer, type Server, type Socket } from 'node:net';
import { ConfigError } from '../errors.js';
import { Deadline } from '../time/deadline.js';
import { FrameChannel } from './frame-channel.js';
import { PROTOCOL_VERSION, type Hello, type Role } from './wire-format.js';
import { newNonce, proof, refusal, type WireIdentity } from './authentication.js';

export interface ListenerOptions {
  host: string | undefined;
  port: number;
  /** Whether the port was chosen (ROLLCALL_PORT) rather than the default: a clash blames only a choice. */
  portGiven?: boolean;
  own: WireIdentity;
  secret: string | undefined;
  /** A connection must finish its hello within this; slow or silent connections are dropped. */
  handshakeTimeoutMs: number;
  /** More connections than a group can legitimately open at once are refused by the kernel queue. */
  maxConnections: number;
  /** Every accepted hello, probe or member: the peer is running rollcall right now. */
  onHello(hello: Hello): void;
  /**
   * The sessions this pod takes, by the role a hello names: a member's for index 0. A probe is answered
   * and ended; a role not listed here is refused at the handshake.
   */
  sessions: SessionRoutes;
  onRefused(reason: string, remote: string): void;
}

export type SessionRoutes = { [R in Exclude<Role, 'probe'>]?: (channel: FrameChannel, hello: Hello) => void };

export interface Listener {
  port: number;
  close(): Promise<void>;
}

/**
 * Connections from one address that have not finished their hello. A legitimate pod opens one or two at
 * a time; a flood from one address is cut here, so it cannot crowd out the peers it is not.
 */
export const MAX_PENDING_PER_ADDRESS = 8;

export async function startListener(options: ListenerOptions): Promise<Listener> {
  const sockets = new Set<Socket>();
  const pending = new Map<string, number>();
  const server = createServer({ noDelay: true }, (socket) => {
    const remote = socket.remoteAddress ?? '';
    const count = (pending.get(remote) ?? 0) + 1;
    if (count > MAX_PENDING_PER_ADDRESS) return void socket.destroy();
    pending.set(remote, count);
    let counted = true;
    const settle = () => {
      if (!counted) return;
      counted = false;
      const left = (pending.get(remote) ?? 1) - 1;
      if (left === 0) pending.delete(remote);
      else pending.set(remote, left);
    };
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      settle();
    });
    void greet(socket, options, settle);
  });
  server.maxConnections = options.maxConnections;
  await listen(server, options);
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function listen(server: Server, { host, port, portGiven = true, maxConnections }: ListenerOptions): Promise<void> {
  const fault = (problem: string, hint: string, error: unknown) =>
    portGiven
      ? new ConfigError('ROLLCALL_PORT', String(port), problem, hint, { cause: error })
      : new ConfigError('ROLLCALL_PORT', undefined, `is not set, so rollcall listens on its default port ${port}, which ${problem}`, hint, { cause: error });
  // "::" takes IPv4 too on a dual-stack kernel; a pod with IPv6 disabled needs the IPv4 wildcard.
  const hosts = host === undefined ? ['::', '0.0.0.0'] : [host];
  for (const [position, candidate] of hosts.entries()) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // Node's default backlog (511) drops SYNs when a large group checks in at once, and each dropped
        // SYN costs a second or more of TCP backoff; the kernel caps this at net.core.somaxconn.
        server.listen({ host: candidate, port, exclusive: true, backlog: maxConnections }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw fault(`is already in use on ${candidate}`, 'Set it to a free port, the same in every pod.', error);
      if (position === hosts.length - 1) throw fault(`cannot be listened on at ${candidate} (${code ?? String(error)})`, 'Set it to a port this container may bind, the same in every pod.', error);
    }
  }
}

async function greet(socket: Socket, options: ListenerOptions, greeted: () => void): Promise<void> {
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const channel = new FrameChannel(socket);
  const nonce = newNonce();
  channel.send({ t: 'challenge', v: PROTOCOL_VERSION, nonce });
  let hello: Hello;
  try {
    const frame = await channel.next(Deadline.in(options.handshakeTimeoutMs));
    if (frame.t !== 'hello') return void socket.destroy();
    hello = frame;
  } catch {
    return void socket.destroy();
  }
  const session = hello.role === 'probe' ? undefined : options.sessions[hello.role];
  const reason =
    refusal(hello, options.own, proof(options.secret, 'c2s', nonce, hello)) ??
    (hello.role !== 'probe' && session === undefined ? `index ${options.own.index} takes no ${hello.role} sessions${hello.role === 'member' ? ': it is not the coordinator' : ''}` : undefined);
  if (reason !== undefined) {
    options.onRefused(reason, remote);
    channel.send({ t: 'refuse', reason });
    socket.end();
    return;
  }
  greeted();
  channel.send({ t: 'welcome', index: options.own.index, gen: options.own.gen, mac: proof(options.secret, 's2c', hello.nonce, options.own) });
  options.onHello(hello);
  if (session === undefined) {
    socket.end();
    return;
  }
  session(channel, hello);
}
