import { createSocket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { PeerFailedError, type Group } from '../../src/index.js';
import { ROLLCALL } from '../../harness/built.js';
import type { Dnsmasq } from '../../harness/cluster/dnsmasq.js';
import { describeWith } from '../../harness/requirements.js';
import { waitUntil } from '../../harness/cluster/wait.js';
import { runProcess } from '../support/process.js';
import { LoopbackJob, freePort, startLoopbackDns } from './loopback.js';

/** Resolves with the signal's reason once it aborts. */
const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => (signal.aborted ? resolve(signal.reason) : signal.addEventListener('abort', () => resolve(signal.reason), { once: true })));

describeWith(['dnsmasq'], 'the group\'s life through the library, on loopback', () => {
  let dns: Dnsmasq;
  let job: LoopbackJob;
  beforeAll(async () => {
    dns = await startLoopbackDns();
  });
  afterAll(() => dns.stop());
  afterEach(() => job?.closeAll());

  async function group(count: number, overrides = {}): Promise<Group[]> {
    job = new LoopbackJob(dns, await freePort(), count);
    for (let index = 0; index < count; index++) job.publish(index);
    return Promise.all(Array.from({ length: count }, (_, index) => job.start(index, overrides)));
  }

  test('one pod reports a failure: every pod\'s signal aborts with a PeerFailedError naming it', async () => {
    const groups = await group(3);
    groups[2]?.report({ exitCode: 3 });
    for (const each of groups) {
      const reason = await aborted(each.signal);
      expect(reason).toBeInstanceOf(PeerFailedError);
      expect(reason).toMatchObject({ code: 'ERR_ROLLCALL_PEER_FAILED', round: 0, next: undefined, failure: { index: 2, name: `${job.job}-2.svc`, how: 'exit', exitCode: 3, signal: null } });
    }
    expect(job.logs.filter((line) => line.startsWith('1: ') && line.includes(`${job.job}-2.svc failed (exit 3)`))).toHaveLength(1);
  });

  test('the exit barrier: close() returns once every pod has closed, index 0 last', async () => {
    const groups = await group(3);
    const order: number[] = [];
    const closing = groups.slice(0, 2).map((each, index) => each.close().then(() => order.push(index)));
    // Pods 0 and 1 are done and waiting at the exit barrier; nobody has left before pod 2 finishes too.
    const waiting = () => [0, 1].every((index) => job.logs.some((line) => line.startsWith(`${index}: workload finished; waiting`)));
    await waitUntil('pods 0 and 1 at the exit barrier', waiting, { timeoutMs: 5000 });
    expect(order).toEqual([]);
    await groups[2]?.close().then(() => order.push(2));
    await Promise.all(closing);
    expect(order.at(-1)).toBe(0);
    expect(order).toHaveLength(3);
    expect(job.logs.some((line) => line.startsWith('0: all 3 workloads finished'))).toBe(true);
  });

  test('restarts: the stop names the next round, nextRound() releases everyone into it with a fresh signal', async () => {
    const groups = await group(3, { restarts: 1 });
    groups[1]?.report({ signal: 'SIGKILL' });
    for (const each of groups) expect(await aborted(each.signal)).toMatchObject({ next: 1, failure: { index: 1, how: 'signal', signal: 'SIGKILL' } });
    expect(await Promise.all(groups.map((each) => each.nextRound()))).toEqual([1, 1, 1]);
    for (const each of groups) {
      expect(each.round).toBe(1);
      expect(each.signal.aborted).toBe(false);
    }
    // The restart used, the next failure ends the group.
    groups[0]?.report({ exitCode: 1 });
    for (const each of groups) expect(await aborted(each.signal)).toMatchObject({ round: 1, next: undefined, failure: { index: 0 } });
    await expect(groups[2]?.nextRound()).rejects.toBeInstanceOf(PeerFailedError);
  });

  test("status(): a member gets index 0's view over a real status session, index 0 its own", async () => {
    const groups = await group(3);
    const status = await (groups[2] as Group).status();
    expect(status).toMatchObject({ view: 'index 0', from: 0, size: 3, round: 0, phase: 'running', healthy: true });
    expect(status.pods.map((pod) => pod.state)).toEqual(['running', 'running', 'running']);
    expect(status.pods[2]).toMatchObject({ name: `${job.job}-2.svc`, address: job.address(2) });
    expect(await (groups[0] as Group).status()).toMatchObject({ view: 'index 0', size: 3 });
  });

  test('a fatal exit code ends the group with restarts left', async () => {
    const groups = await group(2, { restarts: 3, fatalExitCodes: [78] });
    groups[1]?.report({ exitCode: 78 });
    expect(await aborted(groups[0]?.signal as AbortSignal)).toMatchObject({ next: undefined });
  });

  test('bad reports are TypeErrors, and only the first report of a round counts', async () => {
    const groups = await group(2);
    const [zero, one] = groups as [Group, Group];
    expect(() => one.report({ exitCode: 256 })).toThrowError(/`exitCode`/);
    expect(() => one.report({ signal: 'KILL' })).toThrowError(/`signal`/);
    expect(() => one.report({ runMs: -1 })).toThrowError(/`runMs`/);
    one.report({ exitCode: 0 });
    one.report({ exitCode: 9 });
    zero.report({ exitCode: 0 });
    expect(await Promise.all([zero.exitBarrier(), one.exitBarrier()])).toEqual([true, true]);
    expect(zero.signal.aborted).toBe(false);
    expect(() => one.barrier('finish-0')).toThrowError(TypeError);
    expect(() => one.barrier('round-2')).toThrowError(TypeError);
  });

  test('a member process killed outright: index 0 learns it vanished within the session timeout', async () => {
    job = new LoopbackJob(dns, await freePort(), 2);
    job.publish(0);
    job.publish(1);
    let member: number | undefined;
    const killed = runProcess(
      [process.execPath, ROLLCALL, '--', 'sleep', '5'],
      {
        ROLLCALL_INDEX: '1',
        ROLLCALL_COUNT: '2',
        ROLLCALL_JOB_NAME: job.job,
        ROLLCALL_SUBDOMAIN: 'svc',
        ROLLCALL_NAMESPACE: 'ns',
        ROLLCALL_CLUSTER_DOMAIN: 'cluster.local',
        ROLLCALL_DNS_SERVERS: dns.server,
        ROLLCALL_LISTEN_HOST: job.address(1),
        ROLLCALL_PORT: String(job.port),
        ROLLCALL_IP_FAMILY: 'ipv4',
        ROLLCALL_SESSION_TIMEOUT: '1s',
      },
      {
        onStderr: (chunk, pid) => {
          if (chunk.includes('running sleep')) process.kill(pid, 'SIGKILL');
          member = pid;
        },
      },
    );
    const zero = await job.start(0, { sessionTimeoutMs: 1000 });
    await killed;
    expect(member).toBeDefined();
    const reason = (await aborted(zero.signal)) as PeerFailedError;
    // When it is judged (the session timeout after the last thing heard) is held on fake time, in the
    // vanish timers' and the referee's unit tests; how soon on this machine is the bench's.
    expect(reason.failure).toMatchObject({ index: 1, how: 'vanished' });
  });

  test('forged reports stop nothing: a pod with the wrong secret, and a release, verdict or outcome by datagram', async () => {
    const groups = await group(2, { secret: 'right' });
    // A pod claiming index 1 without the secret never gets a session to report on: refused at the handshake.
    // Its name resolves to it too (a pod checks its own name before it dials anyone).
    job.publish(1, [job.address(1), '127.0.0.250']);
    const forged = await job.start(1, { secret: 'wrong', listenHost: '127.0.0.250', timeoutMs: 1500 }).catch((error: unknown) => error);
    job.publish(1);
    expect(forged).toMatchObject({ name: 'PeersTimeoutError' });
    expect(job.logs.some((line) => line.startsWith('0: ') && line.includes('secret proof does not match'))).toBe(true);
    // Member 1 waits at a barrier index 0 has not reached; a release for it by datagram, without the
    // session's token, must not let it through.
    let heldReleased = false;
    const held = (groups[1] as Group).barrier('held', { timeoutMs: 20_000 }).then(() => (heldReleased = true));
    const socket = createSocket('udp4');
    const token = '0'.repeat(32);
    const send = (payload: object, address: string) => new Promise<void>((resolve) => socket.send(JSON.stringify({ ...payload, token }), job.port, address, () => resolve()));
    // Its ear is bound beside its session to index 0, on the rollcall port: where that session's source
    // address is depends on routing, so both candidates get the forgery.
    for (const address of [job.address(1), '127.0.0.1']) await send({ t: 'release', barrier: 'held' }, address);
    // Not datagram kinds at all: a verdict or an outcome travels only on an authenticated session.
    await send({ t: 'stop', round: 0, next: null, index: 0, how: 'exit', exit: 1, signal: null, ms: 1 }, job.address(1));
    await send({ t: 'outcome', round: 0, exit: 1, signal: null, ms: 1 }, job.address(0));
    socket.close();
    // A barrier round trip after the datagrams: they reached member 1's socket before its release of this one.
    await Promise.all(groups.map((each) => each.barrier('after-the-forgeries')));
    expect(heldReleased, 'a forged release let member 1 through').toBe(false);
    await (groups[0] as Group).barrier('held');
    await held;
    for (const each of groups) expect(each.signal.aborted).toBe(false);
  });
});
