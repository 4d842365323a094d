import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { plainAddress } from './address.js';
import { encodeDatagram, parseDatagram, type Datagram, type ReleaseFields } from './wire-format.js';
import { newNonce, proofMatches } from './authentication.js';

export type OnRelease = (barrier: string, fields: ReleaseFields) => void;
export type OnDatagramAck = (token: string, barrier: string) => void;

/** How the coordinator sends releases by datagram; false when one would not fit a packet. */
export interface DatagramSender {
  send(address: string, port: number, datagram: Datagram): boolean;
  close(): void;
}

function familyOf(address: string): 'udp4' | 'udp6' {
  return isIPv6(address) ? 'udp6' : 'udp4';
}

/**
 * A member's ear for datagram releases, one per session: bound beside the session's own address, answering
 * only datagrams that carry this session's token.
 */
export class ReleaseReceiver {
  readonly token = newNonce();

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  /**
   * Binds the rollcall port's UDP twin when free (so that a NetworkPolicy can name it), else any port.
   * Undefined when no socket can be bound at all: the session alone still carries the release.
   */
  static async open(address: string, port: number, onRelease: OnRelease): Promise<ReleaseReceiver | undefined> {
    for (const candidate of new Set([port, 0])) {
      const receiver = await ReleaseReceiver.bind(plainAddress(address), candidate, onRelease);
      if (receiver !== undefined) return receiver;
    }
    return undefined;
  }

  private static bind(host: string, port: number, onRelease: OnRelease): Promise<ReleaseReceiver | undefined> {
    const socket = createSocket(familyOf(host));
    return new Promise((resolve) => {
      socket.once('error', () => {
        socket.close();
        resolve(undefined);
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        socket.unref();
        const receiver = new ReleaseReceiver(socket, socket.address().port);
        socket.on('message', (bytes, from) => receiver.receive(bytes, from.address, from.port, onRelease));
        resolve(receiver);
      });
    });
  }

  close(): void {
    this.socket.close();
  }

  private receive(bytes: Buffer, address: string, port: number, onRelease: OnRelease): void {
    const datagram = parseDatagram(bytes);
    if (datagram?.t !== 'release' || !proofMatches(this.token, datagram.token)) return;
    // Every copy is acked: the coordinator stops re-sending only when one ack gets through.
    this.socket.send(encodeDatagram({ t: 'ack', barrier: datagram.barrier, token: this.token }) as Buffer, port, address);
    onRelease(datagram.barrier, datagram);
  }
}

/** The coordinator's datagram sockets, one per address family, opened on first use. */
export class ReleaseSender implements DatagramSender {
  private readonly sockets = new Map<'udp4' | 'udp6', Socket>();

  constructor(private readonly onAck: OnDatagramAck) {}

  /** False when the datagram would not fit one packet: the session alone carries it. */
  send(address: string, port: number, datagram: Datagram): boolean {
    const bytes = encodeDatagram(datagram);
    if (bytes === undefined) return false;
    const host = plainAddress(address);
    this.socket(familyOf(host)).send(bytes, port, host, () => {});
    return true;
  }

  close(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
  }

  private socket(family: 'udp4' | 'udp6'): Socket {
    let socket = this.sockets.get(family);
    if (socket === undefined) {
      socket = createSocket(family);
      socket.on('error', () => {});
      socket.on('message', (bytes) => {
        const datagram = parseDatagram(bytes);
        if (datagram?.t === 'ack') this.onAck(datagram.token, datagram.barrier);
      });
      socket.unref();
      this.sockets.set(family, socket);
    }
    return socket;
  }
}
