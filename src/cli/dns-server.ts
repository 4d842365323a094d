import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

const NXDOMAIN = 3;

/**
 * A small authoritative DNS server on loopback, for local mode: A records for the replicas' names, as
 * a cluster DNS would serve them. Names under `zone` it does not know are NXDOMAIN.
 */
export class LocalDnsServer {
  private readonly records = new Map<string, string[]>();
  private socket: Socket | undefined;
  queries = 0;

  constructor(private readonly zone: string) {}

  set(name: string, addresses: string[]): void {
    this.records.set(name.toLowerCase(), addresses);
  }

  async start(host = '127.0.0.1'): Promise<string> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (message, remote) => {
      this.queries += 1;
      const reply = this.answer(message);
      if (reply !== undefined) socket.send(reply, remote.port, remote.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => resolve());
    });
    return `${host}:${socket.address().port}`;
  }

  private answer(message: Buffer): Buffer | undefined {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (question === undefined) return undefined;
    const name = question.name.toLowerCase();
    const addresses = this.records.get(name);
    const known = addresses !== undefined || !name.endsWith(this.zone);
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : NXDOMAIN),
      questions: [question],
      answers: question.type === 'A' ? (addresses ?? []).map((data) => ({ type: 'A' as const, name: question.name, ttl: 0, data })) : [],
    });
  }

  close(): void {
    this.socket?.close();
  }
}
