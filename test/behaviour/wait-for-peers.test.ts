import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { ConfigError, PeersTimeoutError, type Group, type Progress } from '../../src/index.js';
import type { Dnsmasq } from '../../harness/cluster/dnsmasq.js';
import { sleep, waitUntil } from '../../harness/cluster/wait.js';
import { describeWith } from '../../harness/requirements.js';
import { LoopbackJob, freePort, since, startLoopbackDns } from './loopback.js';

describeWith(['dnsmasq'], 'waitForPeers on loopback with a real DNS server', () => {
  let dns: Dnsmasq;
  let job: LoopbackJob;
  beforeAll(async () => {
    dns = await startLoopbackDns();
  });
  afterAll(() => dns.stop());
  const newJob = async (count: number) => {
    job = new LoopbackJob(dns, await freePort(), count);
    return job;
  };
  afterEach(() => job?.closeAll());
  /** Each pod's progress reports, and a wait until every one of them names `index` missing: they wait for it. */
  const watching = (pods: number) => {
    const reports = Array.from({ length: pods }, () => [] as Progress[]);
    const waitingFor = (index: number) =>
      waitUntil(`every pod naming index ${index} missing`, () => reports.every((list) => list.some((progress) => progress.missing.some((missing) => missing.index === index))));
    return { reports, onProgress: (at: number) => (progress: Progress) => reports[at]?.push(progress), waitingFor };
  };

  test('mesh: three pods that start together all release, and each has checked every peer', async () => {
    await newJob(3);
    for (let index = 0; index < 3; index++) job.publish(index);
    const groups = await Promise.all([0, 1, 2].map((index) => job.start(index, { topology: 'mesh' })));
    for (const group of groups) {
      expect(group.size).toBe(3);
      expect(group.topology).toBe('mesh');
      expect(group.peers.map((peer) => peer.name)).toEqual([0, 1, 2].map((index) => `${job.job}-${index}.svc`));
      expect(group.peers.map((peer) => peer.fqdn)).toEqual([0, 1, 2].map((index) => job.fqdn(index)));
      expect(group.peers.map((peer) => peer.addresses)).toEqual([0, 1, 2].map((index) => [job.address(index)]));
      for (const peer of group.peers) expect(peer.rttMs).toBeGreaterThan(0);
    }
    expect(groups.map((group) => group.self.index)).toEqual([0, 1, 2]);
  });

  test.each(['mesh', 'star'] as const)('%s: a pod that appears late, once every other has found it missing, holds everyone until it arrives', async (topology) => {
    await newJob(4);
    const started = performance.now();
    for (let index = 0; index < 3; index++) job.publish(index);
    const watch = watching(3);
    const early = [0, 1, 2].map((index) => job.start(index, { topology, onProgress: watch.onProgress(index) }).then(() => since(started)));
    // Late: every early pod is waiting for it, having found it missing.
    await watch.waitingFor(3);
    job.publish(3);
    const appeared = since(started);
    const late = job.start(3, { topology }).then(() => since(started));
    const released = await Promise.all([...early, late]);
    for (const at of released) expect(at).toBeGreaterThanOrEqual(appeared);
  });

  test.each(['mesh', 'star'] as const)('%s: index 0 arriving last releases everyone', async (topology) => {
    await newJob(4);
    for (let index = 1; index < 4; index++) job.publish(index);
    const started = performance.now();
    const watch = watching(3);
    const others = [1, 2, 3].map((index) => job.start(index, { topology, onProgress: watch.onProgress(index - 1) }).then(() => since(started)));
    await watch.waitingFor(0);
    job.publish(0);
    const appeared = since(started);
    const zero = job.start(0, { topology });
    const released = await Promise.all(others);
    await zero;
    for (const at of released) expect(at).toBeGreaterThanOrEqual(appeared);
  });

  test.each(['mesh', 'star'] as const)('%s: a pod that never appears fails everyone at the deadline, naming it and why', async (topology) => {
    await newJob(3);
    job.publish(0);
    job.publish(1);
    const results = await Promise.allSettled([0, 1].map((index) => job.start(index, { topology, timeoutMs: 2500 })));
    for (const [index, result] of results.entries()) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as PeersTimeoutError;
      expect(error).toBeInstanceOf(PeersTimeoutError);
      expect(error.code).toBe('ERR_ROLLCALL_TIMEOUT');
      expect(error.message).toContain(`${job.job}-2.svc (`);
      const named = error.missing.map((peer) => `${peer.name} ${peer.reason}`);
      if (index === 0) expect(error.missing.map((peer) => peer.name)).toEqual([`${job.job}-2.svc`]);
      // A member whose deadline falls a moment after index 0's also sees index 0 leave, and says so.
      else expect(named.filter((line) => !line.startsWith(`${job.job}-2.svc `))).toSatisfy((rest: string[]) => rest.every((line) => line === `${job.job}-0.svc left the group`));
      expect(error.missing.some((peer) => peer.name === `${job.job}-2.svc`)).toBe(true);
    }
    // Index 0 checked the missing pod itself and knows exactly why.
    expect(((results[0] as PromiseRejectedResult).reason as PeersTimeoutError).missing[0]?.reason).toBe('no such name');
  });

  test('a name with a dead address beside the live one still releases, on the live one', async () => {
    await newJob(2);
    job.publish(0);
    // 127.S.0.99 has nothing listening: the stale address of a replaced pod.
    job.publish(1, [`127.${job.subnet}.0.99`, job.address(1)]);
    const [zero] = await Promise.all([job.start(0), job.start(1)]);
    expect(zero.peers[1]?.addresses.sort()).toEqual([`127.${job.subnet}.0.99`, job.address(1)].sort());
  });

  test('a record that points at another pod is not taken for this one', async () => {
    await newJob(2);
    // Index 1's record points at index 0's address: the handshake tells who really answers.
    job.publish(0);
    job.publish(1, [job.address(0)]);
    // Waited on the event (a pod saying why index 1 is missing), not on a deadline a loaded machine can miss.
    // Index 1 says it of itself; index 0 says it too when its call-out to index 1 comes first, and "not
    // arrived" when index 1's own check (dialing what it takes for itself: index 0) reached it first.
    const stop = new AbortController();
    let said: () => void = () => {};
    const notThisPod = new Promise<void>((resolve) => (said = resolve));
    const onProgress = (update: Progress) => update.missing.some((peer) => peer.index === 1 && peer.reason === 'address is not this pod') && said();
    const waits = [job.start(0, { timeoutMs: 60_000, signal: stop.signal }), job.start(1, { timeoutMs: 60_000, signal: stop.signal, onProgress })];
    const settled = Promise.allSettled(waits);
    await notThisPod;
    stop.abort(new Error('index 0 said why'));
    // Nobody was released on the strength of the wrong record: both waits end only with the abort.
    expect((await settled).map((result) => (result.status === 'rejected' ? (result.reason as Error).message : 'released'))).toEqual(['index 0 said why', 'index 0 said why']);
  });

  test('IPv6: resolves AAAA and probes over IPv6', async () => {
    await newJob(1);
    job.publish(0, ['::1']);
    const group = await job.start(0, { ipFamily: 'ipv6', listenHost: '::1' });
    expect(group.self.addresses).toEqual(['::1']);
    expect(group.self.rttMs).toBeGreaterThan(0);
  });

  test('an abort mid-wait rejects with the signal\'s reason and frees the port', async () => {
    await newJob(2);
    job.publish(0);
    const controller = new AbortController();
    let waitingFor: (missing: string) => void = () => {};
    const midWait = new Promise<string>((resolve) => (waitingFor = resolve));
    // Its own deadline is far off: only the abort can end the wait with the abort's reason.
    const waiting = job.start(0, { signal: controller.signal, timeoutMs: 30_000, onProgress: ({ missing }) => missing.length > 0 && waitingFor(missing[0]?.name ?? '') });
    expect(await midWait).toBe(`${job.job}-1.svc`);
    const reason = new Error('operator gave up');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    // The listener is closed: the same address and port can be taken again at once.
    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(job.port, job.address(0), resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  test('an already-aborted signal rejects before any network work', async () => {
    await newJob(1);
    await expect(job.start(0, { signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no');
  });

  test('progress reports k/N and who is missing, and the log line says the same', async () => {
    await newJob(2);
    job.publish(0);
    const progress: Progress[] = [];
    const waiting = job.start(0, { onProgress: (p) => progress.push(p), logIntervalMs: 300 });
    await waitUntil('a report and a log line naming index 1 missing', () => progress.some((report) => report.missing.some((missing) => missing.index === 1)) && job.logs.some((line) => line.startsWith('0: 1/2 confirmed; waiting for')));
    job.publish(1);
    await Promise.all([waiting, job.start(1)]);
    expect(progress[0]).toMatchObject({ barrier: 'start', size: 2, missing: [{ index: 1, name: `${job.job}-1.svc` }] });
    expect(progress.at(-1)).toMatchObject({ ready: 2, missing: [] });
    for (const { ready, missing, size } of progress) expect(ready + missing.length).toBeLessThanOrEqual(size);
    expect(job.logs.some((line) => new RegExp(`^0: 1/2 confirmed; waiting for ${job.job}-1\\.svc \\((no such name|connection refused)\\)$`).test(line))).toBe(true);
  });

  test('probe "dns" releases on resolution alone', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const groups = await Promise.all([0, 1].map((index) => job.start(index, { probe: 'dns' })));
    expect(groups[0]?.peers[1]?.addresses).toEqual([job.address(1)]);
    expect(groups[0]?.peers[1]?.rttMs).toBeUndefined();
  });

  test('probe "tcp:<port>" waits for an application port opened late', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const appPort = await freePort();
    const apps: Server[] = [];
    const started = performance.now();
    const watch = watching(2);
    const groups = Promise.all([0, 1].map((index) => job.start(index, { probe: `tcp:${appPort}`, onProgress: watch.onProgress(index) }).then(() => since(started))));
    // Both pods are up and each has been refused at an application port (it checks its own, too).
    await waitUntil('each pod refused at an application port', () => watch.reports.every((list) => list.some((progress) => progress.missing.some((missing) => missing.code === 'connection-refused'))));
    const opened = since(started);
    for (let index = 0; index < 2; index++) {
      const app = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => app.listen(appPort, job.address(index), resolve));
      apps.push(app);
    }
    try {
      for (const at of await groups) expect(at).toBeGreaterThanOrEqual(opened);
    } finally {
      for (const app of apps) app.close();
    }
  });

  test('a custom probe decides when a peer is ready: no release while it says no', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    let ready = false;
    // Index 0 asking about index 1 a second time proves that its first "no" was taken as a no.
    let askedAgain: () => void = () => {};
    const refusedTwice = new Promise<void>((resolve) => (askedAgain = resolve));
    let refusals = 0;
    const probeOf = (pod: number) => async ({ index }: { index: number }) => {
      if (index !== 1 || ready) return true;
      if (pod === 0 && ++refusals === 2) askedAgain();
      return false;
    };
    let released = false;
    const groups = Promise.all([0, 1].map((index) => job.start(index, { probe: probeOf(index) }))).then((all) => {
      released = true;
      return all;
    });
    await Promise.race([refusedTwice, groups.then(() => Promise.reject(new Error('released while the probe said no')))]);
    expect(released).toBe(false);
    ready = true;
    expect((await groups).map((group) => group.size)).toEqual([2, 2]);
  });

  test('a pod with the wrong secret is refused and never counted', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const results = await Promise.allSettled([job.start(0, { secret: 'right', timeoutMs: 2000 }), job.start(1, { secret: 'wrong', timeoutMs: 2000 })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(((results[0] as PromiseRejectedResult).reason as PeersTimeoutError).missing.map((peer) => peer.reason)).toEqual(['refused by peer']);
    expect(job.logs.some((line) => line.startsWith('0: refused') && line.includes('secret'))).toBe(true);
  });

  test('with the same secret the group releases', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const groups = await Promise.all([job.start(0, { secret: 'shared' }), job.start(1, { secret: 'shared' })]);
    expect(groups.map((group) => group.self.index)).toEqual([0, 1]);
    expect(job.logs.filter((line) => line.includes('refused'))).toEqual([]);
  });

  test('a pod of an older job with the same name (other uid) is refused', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const results = await Promise.allSettled([job.start(0, { jobUid: 'new-uid', timeoutMs: 2000 }), job.start(1, { jobUid: 'old-uid', timeoutMs: 2000 })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(job.logs.some((line) => line.includes('job uid "old-uid"'))).toBe(true);
  });

  test('named barriers synchronise the group again', async () => {
    await newJob(3);
    for (let index = 0; index < 3; index++) job.publish(index);
    const groups = await Promise.all([0, 1, 2].map((index) => job.start(index)));
    const started = performance.now();
    const passed = groups.map((group, index) => sleep(index * 400).then(() => group.barrier('checkpoint-1')).then(() => since(started)));
    for (const at of await Promise.all(passed)) expect(at).toBeGreaterThanOrEqual(800);
  });

  test('a named barrier that not everyone reaches times out naming who', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const [zero] = await Promise.all([job.start(0), job.start(1)]);
    const error = await (zero as Group).barrier('exit', { timeoutMs: 1500 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PeersTimeoutError);
    expect((error as PeersTimeoutError).message).toMatch(/^exit barrier timed out/);
    expect((error as PeersTimeoutError).missing.map((peer) => peer.index)).toEqual([1]);
  });

  test('after index 0 says goodbye, members stop polling its name, and a returning index 0 wakes them', async () => {
    await newJob(2);
    job.publish(0);
    job.publish(1);
    const [zero] = await Promise.all([job.start(0, { closeTimeoutMs: 1000 }), job.start(1)]);
    // Index 0 leaves first, without waiting at the exit barrier for the member.
    await (zero as Group).close({ exitTimeoutMs: 0 });
    // Every check is done before the release, so from the goodbye on, no query for index 0 is due.
    const name = job.fqdn(0);
    const before = dns.queryCount(name);
    await sleep(2500);
    expect(dns.queryCount(name), 'queries for index 0 while dormant').toBe(before);
    // A new index 0 (say, a replaced pod) dials the member, which wakes and arrives again.
    const returned = await job.start(0, { timeoutMs: 5000 });
    expect(returned.size).toBe(2);
  });

  test('a port already in use is a configuration error naming ROLLCALL_PORT', async () => {
    await newJob(1);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(job.port, job.address(0), resolve));
    try {
      await expect(job.start(0)).rejects.toSatisfy((error) => error instanceof ConfigError && error.variable === 'ROLLCALL_PORT');
    } finally {
      blocker.close();
    }
  });
});
