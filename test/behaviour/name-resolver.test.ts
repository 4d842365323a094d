import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import dnsPacket from 'dns-packet';
import { ClusterDnsServer } from '../../harness/cluster/cluster-dns-server.js';
import { createNameResolver } from '../../src/discovery/resolve.js';
import type { IpFamily } from '../../src/discovery/resolve.js';
import { AttemptError } from '../../src/errors.js';
import { Deadline } from '../../src/time/deadline.js';
import { freeUdpPort, onFreePort } from './loopback.js';

const NAME = 'job-1.svc.ns.svc.cluster.local';

/**
 * The resolver rollcall uses in a pod, against the simulated cluster's DNS on loopback with no cache (every
 * answer fresh): which questions it asks, and what a caller hears. In milliseconds, for mutation testing.
 */
describe('the name resolver against a cluster DNS', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function start(families: IpFamily[] = [4]) {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-resolver-test-'));
    const logFile = join(dir, 'log');
    const { port, listening } = await onFreePort(async (free) => {
      const server = new ClusterDnsServer({ listen: '127.0.0.1', port: free, zone: 'cluster.local', ttlS: 5, cache: undefined, replicas: 1, logFile });
      return { server, close: await server.listen() };
    });
    const { server, close } = listening;
    const resolver = createNameResolver({ servers: [`127.0.0.1:${port}`], families, attemptTimeoutMs: 1000, absolute: true });
    cleanups.push(() => {
      resolver.close();
      close();
      rmSync(dir, { recursive: true, force: true });
    });
    // Each question as the server logged it: its type and its DO and CD bits.
    const questions = () => readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => line.split(' ').slice(3, 5).join(' '));
    return { server, resolver, questions };
  }

  const reasonOf = async (resolving: Promise<unknown>) => {
    const error = await resolving.then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(AttemptError);
    return error as AttemptError;
  };

  test('a name not there yet gets a probe question, never the plain one, and "no such name"', async () => {
    const { resolver, questions } = await start();
    const error = await reasonOf(resolver.resolve(NAME));
    expect(error.reason).toBe('no-such-name');
    expect(error.detail).toContain(NAME);
    expect(questions()).toHaveLength(1);
    expect(questions()[0]).not.toBe('A 00');
  });

  test('once the name exists, the plain question follows at once and gives its addresses', async () => {
    const { server, resolver, questions } = await start();
    server.set('pod-1', NAME, ['10.0.0.7']);
    expect(await resolver.resolve(NAME)).toEqual(['10.0.0.7']);
    const asked = questions();
    expect(asked.at(-1)).toBe('A 00');
    expect(asked.slice(0, -1).every((question) => question !== 'A 00')).toBe(true);
  });

  test('a name known to exist (its pod said hello) is asked plainly, first time', async () => {
    const { server, resolver, questions } = await start();
    server.set('pod-1', NAME, ['10.0.0.7']);
    resolver.markExists(NAME);
    expect(await resolver.resolve(NAME)).toEqual(['10.0.0.7']);
    expect(questions()).toEqual(['A 00']);
  });

  test('a pod of both families is asked for both; a name with only the other family has no address', async () => {
    const dual = await start([4, 6]);
    dual.server.set('pod-1', NAME, ['10.0.0.7', 'fd00::7']);
    dual.resolver.markExists(NAME);
    expect((await dual.resolver.resolve(NAME)).sort()).toEqual(['10.0.0.7', 'fd00::7']);
    expect(dual.questions().sort()).toEqual(['A 00', 'AAAA 00']);
    const v6 = await start([6]);
    v6.server.set('pod-1', NAME, ['10.0.0.7']);
    v6.resolver.markExists(NAME);
    expect((await reasonOf(v6.resolver.resolve(NAME))).reason).toBe('no-address');
  });

  test('a speculative question (index 0 asking for a member not yet seen) is not the member\'s own', async () => {
    const { resolver, questions } = await start();
    await reasonOf(resolver.resolve(NAME, undefined, undefined, true));
    const other = await start();
    await reasonOf(other.resolver.resolve(NAME));
    expect(questions()[0]).not.toBe(other.questions()[0]);
  });

  test('a nameserver that does not answer is a dns-timeout by the deadline given; without an FQDN the system resolver answers from /etc/hosts', async () => {
    const port = await freeUdpPort();
    const silent = createNameResolver({ servers: [`127.0.0.1:${port}`], families: [4], attemptTimeoutMs: 1000, absolute: true });
    cleanups.push(() => silent.close());
    expect((await reasonOf(silent.resolve(NAME, undefined, Deadline.in(30)))).reason).toBe('dns-timeout');
    // getaddrinfo finds localhost in /etc/hosts: no nameserver is asked.
    const system = createNameResolver({ servers: [], families: [4], attemptTimeoutMs: 1000, absolute: false });
    expect(await system.resolve('localhost')).toEqual(['127.0.0.1']);
  });

  const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };

  /** A nameserver of the test's own on loopback: `answer` says, for each question, its rcode and addresses. */
  async function scripted(answer: (question: { type: string; bits: string }) => { rcode: keyof typeof RCODES; addresses?: string[] }) {
    const socket = createSocket('udp4');
    const asked: string[] = [];
    socket.on('message', (bytes, from) => {
      const query = dnsPacket.decode(bytes);
      const question = query.questions?.[0] as { type: string; name: string };
      const opt = (query.additionals ?? []).find((record) => record.type === 'OPT') as { flags?: number } | undefined;
      const bits = `${((opt?.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0 ? 1 : 0}${((query.flags ?? 0) & dnsPacket.CHECKING_DISABLED) !== 0 ? 1 : 0}`;
      asked.push(`${question.type} ${bits}`);
      const { rcode, addresses = [] } = answer({ type: question.type, bits });
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        // dns-packet takes the rcode from the flags' low four bits.
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (RCODES[rcode] ?? 0),
        questions: query.questions,
        answers: addresses.map((data) => ({ type: 'A', name: question.name, ttl: 5, data })),
      } as dnsPacket.Packet);
      socket.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const resolver = createNameResolver({ servers: [`127.0.0.1:${socket.address().port}`], families: [4], attemptTimeoutMs: 1000, absolute: true });
    cleanups.push(() => {
      resolver.close();
      socket.close();
    });
    return { resolver, asked };
  }

  test('a nameserver that refuses the probe questions (FORMERR) is asked the plain one, at once', async () => {
    const { resolver, asked } = await scripted(({ bits }) => (bits === '00' ? { rcode: 'NOERROR', addresses: ['10.0.0.9'] } : { rcode: 'FORMERR' }));
    // The probe question fails with FORMERR: that attempt fails, and the next asks the plain question at once.
    expect((await reasonOf(resolver.resolve(NAME))).detail).toMatch(/^FORMERR /);
    expect(await resolver.resolve(NAME)).toEqual(['10.0.0.9']);
    expect(asked).toHaveLength(2);
    expect(asked[0]).not.toBe('A 00');
    expect(asked[1]).toBe('A 00');
  });

  test('when every plain question fails, the most telling failure is reported; one failing beside an empty answer is "not yet"', async () => {
    const refusing = await scripted(() => ({ rcode: 'REFUSED' }));
    refusing.resolver.markExists(NAME);
    expect((await reasonOf(refusing.resolver.resolve(NAME))).reason).toBe('dns-refused');
    const failing = await scripted(() => ({ rcode: 'SERVFAIL' }));
    failing.resolver.markExists(NAME);
    expect((await reasonOf(failing.resolver.resolve(NAME))).reason).toBe('dns-failure');
  });
});
