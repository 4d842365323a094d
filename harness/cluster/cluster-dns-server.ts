// A cluster DNS as pods meet it, run inside the cluster's namespace by ClusterDns: CoreDNS's kubernetes
// plugin (records of ready pods, a TTL on every answer, an SOA whose minimum is that TTL on "no such name"
// and "no data") behind its cache plugin, in replicas that each keep their own cache behind one Service
// address. Each flow (a client's address and source port) sticks to one replica, as kube-proxy's
// conntrack entry makes it. Control lines come on stdin; every query is logged to a file.
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import dnsPacket from 'dns-packet';

export type CacheKeying = 'coredns' | 'dnsmasq';

export interface ClusterDnsServerConfig {
  listen: string;
  port: number;
  zone: string;
  /** The kubernetes plugin's `ttl`: on every answer, and the SOA's minimum on a negative one. */
  ttlS: number;
  /** The cache plugin in front, or none. */
  cache: { positiveS: number; negativeS: number; keying: CacheKeying } | undefined;
  replicas: number;
  logFile: string;
}

type Answer = { rcode: 'NOERROR' | 'NXDOMAIN'; addresses: string[] };
interface Entry {
  answer: Answer;
  storedAt: number;
  ttlS: number;
}

const FLOW_IDLE_MS = 30_000;

export class ClusterDnsServer {
  /** name → record key → addresses: a replaced pod's record can linger beside its successor's. */
  private readonly records = new Map<string, Map<string, string[]>>();
  private readonly caches: Map<string, Entry>[];
  private readonly flows = new Map<string, { replica: number; lastAt: number }>();
  private readonly log: number;

  constructor(private readonly config: ClusterDnsServerConfig) {
    this.caches = Array.from({ length: config.replicas }, () => new Map());
    this.log = openSync(config.logFile, 'a');
  }

  set(key: string, name: string, addresses: string[]): void {
    this.remove(key);
    const lower = name.toLowerCase();
    const byKey = this.records.get(lower) ?? new Map<string, string[]>();
    byKey.set(key, addresses);
    this.records.set(lower, byKey);
  }

  remove(key: string): void {
    for (const [name, byKey] of this.records) {
      if (byKey.delete(key) && byKey.size === 0) this.records.delete(name);
    }
  }

  /** The replica a flow sticks to: chosen at random when it is new or has been idle past conntrack's timeout. */
  replicaFor(flow: string, now: number): number {
    const known = this.flows.get(flow);
    if (known !== undefined && now - known.lastAt < FLOW_IDLE_MS) {
      known.lastAt = now;
      return known.replica;
    }
    const replica = Math.floor(Math.random() * this.config.replicas);
    this.flows.set(flow, { replica, lastAt: now });
    return replica;
  }

  respond(message: Buffer, replica: number, now = Date.now()): Buffer | undefined {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (question === undefined) return undefined;
    const dnssecOk = (query.additionals ?? []).some((record) => record.type === 'OPT' && ((record as { flags?: number }).flags ?? 0) & dnsPacket.DNSSEC_OK);
    const checkingDisabled = ((query.flags ?? 0) & dnsPacket.CHECKING_DISABLED) !== 0;
    const name = question.name.toLowerCase();
    const { answer, remainingS, cached } = this.lookup(replica, name, question.type, dnssecOk, checkingDisabled, now);
    writeSync(this.log, `${now} ${replica} ${name} ${question.type} ${dnssecOk ? 1 : 0}${checkingDisabled ? 1 : 0} ${answer.rcode} ${answer.addresses.length} ${cached ? 'hit' : 'miss'}\n`);
    const ttl = remainingS;
    // The zone's SOA, as the kubernetes plugin puts it in a negative answer: its minimum is the TTL.
    const soa = {
      type: 'SOA' as const,
      name: this.config.zone,
      ttl,
      data: { mname: `ns.dns.${this.config.zone}`, rname: `hostmaster.${this.config.zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: this.config.ttlS },
    };
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags ?? 0) & (dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED) | (answer.rcode === 'NXDOMAIN' ? 3 : 0),
      questions: [question],
      answers: answer.addresses.map((data) => ({ type: data.includes(':') ? ('AAAA' as const) : ('A' as const), name: question.name, ttl, data })),
      authorities: answer.addresses.length === 0 ? [soa] : [],
    });
  }

  /** What the kubernetes plugin holds now: no such name, no data of this type, or the addresses. */
  private authoritative(name: string, type: string): Answer {
    const byKey = this.records.get(name);
    if (byKey === undefined) return { rcode: 'NXDOMAIN', addresses: [] };
    const all = [...byKey.values()].flat();
    const wanted = type === 'A' ? all.filter((address) => !address.includes(':')) : type === 'AAAA' ? all.filter((address) => address.includes(':')) : [];
    return { rcode: 'NOERROR', addresses: wanted };
  }

  private lookup(replica: number, name: string, type: string, dnssecOk: boolean, checkingDisabled: boolean, now: number): { answer: Answer; remainingS: number; cached: boolean } {
    const { cache, ttlS } = this.config;
    if (cache === undefined) return { answer: this.authoritative(name, type), remainingS: ttlS, cached: false };
    const store = this.caches[replica] as Map<string, Entry>;
    // CoreDNS keys by name, type and the DO and CD bits; a dnsmasq cache remembers "no such name" for
    // the name whatever the type asked.
    const exactKey = cache.keying === 'coredns' ? `${name}|${type}|${dnssecOk ? 1 : 0}${checkingDisabled ? 1 : 0}` : `${name}|${type}`;
    const nameKey = `${name}|*`;
    for (const key of cache.keying === 'dnsmasq' ? [nameKey, exactKey] : [exactKey]) {
      const entry = store.get(key);
      if (entry === undefined) continue;
      // CoreDNS counts the TTL down in whole seconds elapsed.
      const remainingS = entry.ttlS - Math.floor((now - entry.storedAt) / 1000);
      if (remainingS > 0) return { answer: entry.answer, remainingS, cached: true };
      store.delete(key);
    }
    const answer = this.authoritative(name, type);
    const negative = answer.addresses.length === 0;
    const entryTtl = Math.min(ttlS, negative ? cache.negativeS : cache.positiveS);
    if (entryTtl > 0) {
      const key = cache.keying === 'dnsmasq' && answer.rcode === 'NXDOMAIN' ? nameKey : exactKey;
      store.set(key, { answer, storedAt: now, ttlS: entryTtl });
    }
    return { answer, remainingS: entryTtl > 0 ? entryTtl : ttlS, cached: false };
  }

  /** Listens on UDP and TCP; resolves with what closes both. */
  async listen(): Promise<() => void> {
    const { listen, port } = this.config;
    const udp = createSocket(listen.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (message, remote) => {
      const reply = this.respond(message, this.replicaFor(`udp ${remote.address} ${remote.port}`, Date.now()));
      if (reply !== undefined) udp.send(reply, remote.port, remote.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, listen, () => resolve());
    });
    const tcp = createServer((socket) => this.serveTcp(socket, this.replicaFor(`tcp ${socket.remoteAddress} ${socket.remotePort}`, Date.now())));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', (error) => {
        // The port's UDP half is not kept when its TCP half cannot be had.
        udp.close();
        reject(error);
      });
      tcp.listen(port, listen, () => resolve());
    });
    return () => {
      udp.close();
      tcp.close();
    };
  }

  private serveTcp(socket: Socket, replica: number): void {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const reply = this.respond(buffered.subarray(2, 2 + length), replica);
        buffered = buffered.subarray(2 + length);
        if (reply === undefined) continue;
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  }
}

if (process.argv[1]?.endsWith('cluster-dns-server.ts')) {
  const server = new ClusterDnsServer(JSON.parse(process.argv[2] as string) as ClusterDnsServerConfig);
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = JSON.parse(line) as { op: 'set'; key: string; name: string; addresses: string[] } | { op: 'remove'; key: string };
    if (command.op === 'set') server.set(command.key, command.name, command.addresses);
    else server.remove(command.key);
  });
  process.stdin.on('end', () => process.exit(0));
  await server.listen();
  process.stdout.write('listening\n');
}
