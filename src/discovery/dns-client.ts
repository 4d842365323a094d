import { createSocket, type Socket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { getServers } from 'node:dns';
import dnsPacket from 'dns-packet';
import { AttemptError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { Deadline } from '../time/deadline.js';

/**
 * One cache entry's worth of question: CoreDNS keys its cache by name, type and the DO and CD bits, so
 * a question with either bit set is answered, and remembered, apart from the plain one a workload asks.
 */
export interface QueryKey {
  type: 'A' | 'AAAA';
  dnssecOk: boolean;
  checkingDisabled: boolean;
}

export interface DnsAnswer {
  /** `NOERROR` with addresses or without (no data of this type), or `NXDOMAIN`. */
  rcode: 'NOERROR' | 'NXDOMAIN';
  addresses: string[];
  /**
   * How long a cache may keep serving this negative answer, in seconds: min(SOA TTL, SOA minimum) as
   * RFC 2308 says. A cache counts the SOA's TTL down, so an answer from a cache says what is left.
   */
  negativeTtlS: number | undefined;
  /** The SOA's minimum: what a fresh negative answer is kept for. */
  negativeMinimumS: number | undefined;
}

interface Pending {
  resolve(packet: dnsPacket.Packet): void;
  name: string;
}

interface Server {
  host: string;
  port: number;
}

const MAX_UDP_ANSWER = 1232;

/**
 * A small stub resolver over rollcall's own sockets, so that it can see what c-ares hides: the SOA of a
 * negative answer (how long a cache will repeat it) and whether an answer came from a cache. One UDP
 * socket per family, kept for the run: its flow stays on one replica behind the cluster DNS's Service
 * address (kube-proxy's conntrack entry), so what it learns about that replica's cache stays true.
 */
export class DnsClient {
  private readonly servers: Server[];
  private readonly sockets = new Map<4 | 6, Socket>();
  private readonly pending = new Map<number, Pending>();
  private nextId = Math.floor(Math.random() * 0x10000);

  constructor(
    servers: readonly string[],
    private readonly clock: Clock = systemClock,
  ) {
    const listed = servers.length > 0 ? servers : getServers();
    this.servers = listed.map(parseServer);
  }

  /** Asks `name` for `key`; rejects with AttemptError on a timeout or a failure no answer explains. */
  async query(name: string, key: QueryKey, deadline: Deadline, signal?: AbortSignal): Promise<DnsAnswer> {
    signal?.throwIfAborted();
    if (this.servers.length === 0) throw new AttemptError('dns-failure', 'no nameserver: resolv.conf names none and ROLLCALL_DNS_SERVERS is unset');
    const id = this.allocateId();
    const message = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED | (key.checkingDisabled ? dnsPacket.CHECKING_DISABLED : 0),
      questions: [{ type: key.type, name }],
      additionals: key.dnssecOk ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP_ANSWER, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }] : [],
    });
    const answered = new Promise<dnsPacket.Packet>((resolve) => this.pending.set(id, { resolve, name }));
    // Two sends within the deadline, the second to the next nameserver when there is one: one lost
    // datagram costs a third of the deadline, not all of it.
    const cancelResend = this.clock.after(Math.max(1, Math.floor(deadline.remainingMs / 3)), () => this.send(message, this.servers[1 % this.servers.length] as Server));
    try {
      this.send(message, this.servers[0] as Server);
      let packet = await deadline.bound(answered, () => new AttemptError('dns-timeout', name), signal);
      if (((packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0) {
        // Over TCP with what is left of the same deadline: a truncated answer does not earn a second one.
        packet = await queryTcp(message, this.servers[0] as Server, deadline, name, signal);
      }
      return interpret(packet, key.type, name);
    } finally {
      cancelResend();
      this.pending.delete(id);
    }
  }

  close(): void {
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
    this.pending.clear();
  }

  private allocateId(): number {
    for (let tries = 0; tries < 0x10000; tries++) {
      this.nextId = (this.nextId + 1) & 0xffff;
      if (!this.pending.has(this.nextId)) return this.nextId;
    }
    throw new AttemptError('dns-failure', '65,536 queries in flight');
  }

  private send(message: Buffer, server: Server): void {
    this.socket(isIP(server.host) === 6 ? 6 : 4).send(message, server.port, server.host);
  }

  private socket(family: 4 | 6): Socket {
    let socket = this.sockets.get(family);
    if (socket === undefined) {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.on('message', (reply, remote) => this.receive(reply, remote.address));
      // A send to an unreachable nameserver is an attempt that times out, not a crash.
      socket.on('error', () => {});
      socket.unref();
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private receive(reply: Buffer, from: string): void {
    let packet: dnsPacket.Packet;
    try {
      packet = dnsPacket.decode(reply);
    } catch {
      return;
    }
    const pending = packet.id === undefined ? undefined : this.pending.get(packet.id);
    // Only an answer from a nameserver we asked, to the question we asked, counts.
    if (pending === undefined || !this.servers.some((server) => server.host === from) || packet.questions?.[0]?.name.toLowerCase() !== pending.name.toLowerCase()) return;
    pending.resolve(packet);
  }
}

function interpret(packet: dnsPacket.Packet, type: QueryKey['type'], name: string): DnsAnswer {
  const rcode = (packet as { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode === 'SERVFAIL') throw new AttemptError('dns-failure', `SERVFAIL for ${name}`);
  if (rcode === 'REFUSED') throw new AttemptError('dns-refused', `REFUSED for ${name}`);
  if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') throw new AttemptError('dns-failure', `${rcode} for ${name}`);
  const addresses = (packet.answers ?? []).flatMap((record) => (record.type === type ? [String(record.data)] : []));
  const soa = (packet.authorities ?? []).find((record) => record.type === 'SOA') as unknown as { ttl?: number; data: { minimum: number } } | undefined;
  return {
    rcode,
    addresses,
    negativeTtlS: soa === undefined ? undefined : Math.min(soa.ttl ?? 0, soa.data.minimum),
    negativeMinimumS: soa?.data.minimum,
  };
}

/** One question over TCP, by what is left of the attempt's deadline; the socket goes with it either way. */
async function queryTcp(message: Buffer, server: Server, deadline: Deadline, name: string, signal: AbortSignal | undefined): Promise<dnsPacket.Packet> {
  const socket = connect({ host: server.host, port: server.port });
  const answer = new Promise<dnsPacket.Packet>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    socket.on('connect', () => {
      const framed = Buffer.alloc(2 + message.length);
      framed.writeUInt16BE(message.length, 0);
      message.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      socket.destroy();
      try {
        resolve(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      } catch (error) {
        reject(new AttemptError('dns-failure', 'a malformed answer over TCP', { cause: error }));
      }
    });
    socket.on('error', (error) => reject(new AttemptError('dns-failure', error.message, { cause: error })));
    socket.on('close', () => reject(new AttemptError('dns-failure', 'the nameserver closed the TCP connection without an answer')));
  });
  return deadline.bound(answer, () => new AttemptError('dns-timeout', name), signal).finally(() => socket.destroy());
}

/**
 * An IPv6 address without brackets or port. `host:port` has one colon and is never asked: the first
 * isIPv6 of a process compiles a large regular expression, a few milliseconds of a pod's start.
 */
export const isBareIPv6 = (server: string): boolean => server.indexOf(':') !== server.lastIndexOf(':') && isIP(server) === 6;

/** `host`, `host:port` or `[v6]:port`, as getServers() and ROLLCALL_DNS_SERVERS write them. */
function parseServer(server: string): Server {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed !== null) return { host: bracketed[1] as string, port: Number(bracketed[2] ?? 53) };
  if (isBareIPv6(server)) return { host: server, port: 53 };
  const [host = '', port] = server.split(':');
  return { host, port: Number(port ?? 53) };
}
