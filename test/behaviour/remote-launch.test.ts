import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { LaunchService, type CommandStarter, type LaunchRecord } from '../../src/launch/launch-service.js';
import { AttemptError } from '../../src/errors.js';
import type { WireIdentity } from '../../src/transport/authentication.js';
import { dialPeer } from '../../src/transport/handshake.js';
import { startListener, type Listener } from '../../src/transport/listener.js';
import { StreamReader, jsonPayload, sendJson, sendStream, type StreamKind } from '../../src/transport/stream-frames.js';
import { Deadline } from '../../src/time/deadline.js';
import { spawn } from 'node:child_process';
import { assertBuilt } from '../integration/support.js';
import { runProcess } from '../support/process.js';

const BIG = 100_000_000;

/**
 * `rollcall exec` between two replicas of `rollcall local` (each its own rollcall, on its own loopback
 * address): index 0's workload runs the agent against index 1 as a launcher would, and prints what it saw.
 */
describe('rollcall exec between two pods (local replicas)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-exec-'));
  const blob = join(dir, 'blob');
  let digest: string;
  let run: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    assertBuilt();
    // 100 MB that no compression or pattern could fake: what comes back must be these very bytes.
    const hash = createHash('sha256');
    const out = createWriteStream(blob);
    for (let written = 0; written < BIG; written += 1_000_000) {
      const chunk = randomBytes(1_000_000);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    digest = hash.digest('hex');
    const rc = `${process.execPath} ${ROLLCALL}`;
    /** Starts a remote command that writes its pids to a file, does `act`, then counts those still alive (bounded: 5 s). */
    const gone = (name: string, start: string, act: string) => [
      start,
      `n=0; until [ -s ${dir}/${name} ] || [ $n -ge 100 ]; do n=$((n+1)); sleep 0.05; done; sleep 0.2`,
      act,
      `alive() { c=0; for p in $(cat ${dir}/${name}); do kill -0 $p 2>/dev/null && c=$((c+1)); done; echo $c; }`,
      'n=0; while [ "$(alive)" != 0 ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.05; done',
      `echo "${name} left $(alive) of $(wc -l < ${dir}/${name})"`,
    ];
    const script = [
      'if [ "$ROLLCALL_INDEX" != 0 ]; then exit 0; fi',
      `echo "big $(${rc} exec 1 cat ${blob} | sha256sum | cut -d' ' -f1)"`,
      `echo "stdin $(head -c 5000000 ${blob} | ${rc} exec 1 sha256sum | cut -d' ' -f1) $(head -c 5000000 ${blob} | sha256sum | cut -d' ' -f1)"`,
      `${rc} exec 1 exit 7; echo "code $?"`,
      `${rc} exec 1 'kill -USR1 $$'; echo "signalled $?"`,
      `${rc} exec 1 'echo out; echo err >&2' 2>${dir}/err; echo "streams $(cat ${dir}/err)"`,
      `for host in 1 local-job-1 local-job-1.local-svc local-job-1.local-svc.default.svc.cluster.local 127.0.0.11; do echo "host $host $(${rc} exec $host 'echo $ROLLCALL_INDEX')"; done`,
      `echo "ssh-options $(${rc} exec -x -T -o ConnectionAttempts=10 -p 22 local-job-1 -- echo ok)"`,
      `${rc} exec nosuchpod true 2>${dir}/unknown; echo "unknown $? $(cat ${dir}/unknown)"`,
      // As many launches at once as Open MPI makes by default (plm_rsh_num_concurrent), all to one pod.
      `mkdir ${dir}/many; for i in $(seq 128); do ${rc} exec 1 "echo launched $i" > ${dir}/many/$i 2>&1 & done; wait`,
      `echo "concurrent $(cat ${dir}/many/* | grep -c '^launched [0-9]*$') of $(ls ${dir}/many | wc -l)"`,
      // The agent killed: the remote command and its own children (their pids in a file) must be gone within the grace period.
      ...gone('agent-killed', `${rc} exec 1 'echo $$ >> ${dir}/agent-killed; sleep 30 & echo $! >> ${dir}/agent-killed; wait' & agent=$!`, 'kill -9 $agent'),
      // The launcher gone without killing its agent: the agent notices within a second and, the grace
      // period later, drops the launch (the launcher lives a second after starting it, then exits: the
      // agent is left to init).
      ...gone('launcher-gone', `sh -c 'ROLLCALL_GRACE=1s ${rc} exec 1 "echo \\$\\$ >> ${dir}/launcher-gone; exec sleep 30" & sleep 1'`, ':'),
      // A launcher that ends well leaves its agents too (mpirun, once it has told its daemons to exit): a
      // command that ends on its own within the grace period ends the agent as it would have, saying nothing.
      `sh -c 'ROLLCALL_GRACE=5s ${rc} exec 1 "sleep 2; echo ended > ${dir}/launcher-ended" 2>${dir}/launcher-ended.err & echo $! > ${dir}/launcher-ended.agent; sleep 0.5'`,
      // Until the agent has exited (a zombie left to init counts as exited), 10 s at most.
      `agent=$(cat ${dir}/launcher-ended.agent); n=0; while state=$(cut -d' ' -f3 /proc/$agent/stat 2>/dev/null) && [ "$state" != Z ] && [ $n -lt 200 ]; do n=$((n+1)); sleep 0.05; done`,
      `echo "launcher-ended $(cat ${dir}/launcher-ended 2>/dev/null || echo missing) stderr[$(cat ${dir}/launcher-ended.err)]"`,
    ].join('\n');
    run = await runProcess([process.execPath, ROLLCALL, 'local', '-n', '2', '--grace', '1s', '--', 'sh', '-c', script], { ROLLCALL_SECRET: 'exec-test' }, { timeoutMs: 90_000 });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const said = (what: string) => new RegExp(`^\\[local-job-0\\] ${what} (.*)$`, 'm').exec(run.stdout)?.[1];

  test('100 MB of output come back byte for byte', () => {
    expect(said('big'), run.stderr).toBe(digest);
  });

  test('stdin is forwarded: the remote command reads what the agent was given', () => {
    const [remote, local] = (said('stdin') ?? '').split(' ');
    expect(remote).toBe(local);
    expect(remote).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the exit status is the command's, 128 + n for a signal; stderr stays stderr", () => {
    expect(said('code')).toBe('7');
    expect(said('signalled')).toBe('138');
    expect(said('streams')).toBe('err');
    expect(run.stdout).toContain('[local-job-0] out\n');
  });

  test("every form of host a hostfile or a person uses reaches index 1, whose command runs with that pod's workload env", () => {
    for (const host of ['1', 'local-job-1', 'local-job-1.local-svc', 'local-job-1.local-svc.default.svc.cluster.local', '127.0.0.11']) expect(said(`host ${host}`)).toBe('1');
    expect(said('ssh-options')).toBe('ok');
  });

  test('128 launches at once into one pod all run', () => {
    expect(said('concurrent')).toBe('128 of 128');
  });

  test('an unknown host exits 255, as ssh does, naming it and what would have worked', () => {
    expect(said('unknown')).toMatch(/^255 rollcall exec: nosuchpod: no pod of job "local-job" is called "nosuchpod" \(give an index from 0 to 1, a pod name, or a name from the hostfile, such as local-job-0\.local-svc, local-job-1\.local-svc\)$/);
  });

  test("the agent killed, or its launcher gone: nothing of the command is left in the remote pod", () => {
    expect(said('agent-killed left')).toBe('0 of 2');
    expect(said('launcher-gone left')).toBe('0 of 1');
  });

  test('its launcher gone, a command ending on its own within the grace period ends as it would have: no error line', () => {
    expect(said('launcher-ended')).toBe('ended stderr[]');
  });

  test('every launch is logged where it runs: who, what, and how it ended; and the group ends well', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('[local-job-1] rollcall: launch from local-job-0.local-svc: exit 7\n');
    expect(run.stderr).toContain('[local-job-1] rollcall: launch from local-job-0.local-svc ended: exit 7: exit 7\n');
    expect(run.stderr).toMatch(/\[local-job-1\] rollcall: launch from local-job-0\.local-svc ended: SIGTERM \(stopped\): echo \$\$ >> \S+agent-killed; sleep 30/);
  });

  test('outside a pod that rollcall serves, the agent says so and exits 255', async () => {
    const { code, stderr } = await runProcess([process.execPath, ROLLCALL, 'exec', '3', 'true'], { ROLLCALL_LAUNCH_SOCKET: join(dir, 'no.sock') });
    expect(code).toBe(255);
    expect(stderr).toContain(`rollcall exec: 3: cannot reach this pod's rollcall at ${join(dir, 'no.sock')} (ENOENT)`);
  });
});

/** The serving side on a real listener: what a peer of the group may launch, and what nobody else may. */
describe('a launch session at the listener', () => {
  const own: WireIdentity = { job: 'job', uid: '', size: 2, index: 1, gen: 'g1-aaaa' };
  const peer: WireIdentity = { ...own, index: 0, gen: 'g0-bbbb' };
  const listeners: Listener[] = [];
  afterAll(async () => Promise.all(listeners.map((listener) => listener.close())));

  const serving = async (secret: string | undefined, ended: LaunchRecord[] = []) => {
    const service = new LaunchService({ secretSet: secret !== undefined, sessionTimeoutMs: 5000, requestTimeoutMs: 2000, readyTimeoutMs: 2000, log: () => {} });
    const start: CommandStarter = (command, stop) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: 'pipe' });
      stop.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, ended: new Promise((resolve) => child.once('close', (exitCode, signal) => resolve({ exitCode, signal, stopped: stop.aborted }))) };
    };
    service.serve(start, (index) => `pod-${index}`);
    service.onEnded = (record) => ended.push(record);
    const listener = await startListener({ host: '127.0.0.1', port: 0, own, secret, handshakeTimeoutMs: 2000, maxConnections: 16, onHello: () => {}, sessions: { launch: (channel, hello) => service.accept({ ...channel.handOver(), index: hello.index }) }, onRefused: () => {} });
    listeners.push(listener);
    return { port: listener.port, service };
  };

  /** Dials as index 0 with `secret`, asks for `command`, and collects every frame until the end. */
  const launch = async (port: number, secret: string | undefined, command: string) => {
    const { channel } = await dialPeer({ addresses: ['127.0.0.1'], port, own: peer, secret, role: 'launch', expectIndex: 1, deadline: Deadline.in(2000), signal: new AbortController().signal });
    const { socket, rest } = channel.handOver();
    const frames: [StreamKind, string][] = [];
    const reader = new StreamReader((kind, payload) => frames.push([kind, payload.toString('utf8')]), () => {});
    reader.push(rest);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    sendJson(socket, 'start', { command });
    sendStream(socket, 'stdin', Buffer.from('from the agent\n'));
    sendStream(socket, 'stdin');
    await new Promise((resolve) => socket.once('close', resolve));
    return frames.filter(([kind]) => kind !== 'beat');
  };

  test('with the secret: the command runs, stdin in, stdout and stderr out, the exit status last', async () => {
    const ended: LaunchRecord[] = [];
    const { port } = await serving('s3cret', ended);
    const frames = await launch(port, 's3cret', 'cat; echo oops >&2; exit 3');
    expect(frames).toContainEqual(['stdout', 'from the agent\n']);
    expect(frames).toContainEqual(['stderr', 'oops\n']);
    expect(frames.at(-1)?.[0]).toBe('exit');
    expect(jsonPayload(Buffer.from(frames.at(-1)?.[1] ?? ''))).toEqual({ code: 3, signal: null });
    expect(ended).toEqual([expect.objectContaining({ from: 0, command: 'cat; echo oops >&2; exit 3', exitCode: 3, stopped: false })]);
  });

  test('a pod without ROLLCALL_SECRET refuses every launch, saying how to set it; nothing runs', async () => {
    const ended: LaunchRecord[] = [];
    const { port } = await serving(undefined, ended);
    const frames = await launch(port, undefined, 'echo ran');
    expect(frames).toEqual([['refused', JSON.stringify({ reason: 'remote launch needs ROLLCALL_SECRET: set the same secret in every pod (from a Kubernetes Secret), so that only the group can run commands here' })]]);
    expect(ended).toEqual([]);
  });

  test('a launcher with the wrong secret, or none, is refused at the handshake', async () => {
    const { port } = await serving('s3cret');
    await expect(launch(port, 'wrong', 'echo ran')).rejects.toThrow(AttemptError);
    await expect(launch(port, undefined, 'echo ran')).rejects.toThrow(AttemptError);
  });

  test('a pod that serves no launches refuses the role at the handshake', async () => {
    const listener = await startListener({ host: '127.0.0.1', port: 0, own, secret: 'x', handshakeTimeoutMs: 2000, maxConnections: 16, onHello: () => {}, sessions: {}, onRefused: () => {} });
    listeners.push(listener);
    await expect(launch(listener.port, 'x', 'true')).rejects.toThrow(/index 1 takes no launch sessions/);
  });

  test('the connection dropped mid-command: the command is stopped', async () => {
    const ended: LaunchRecord[] = [];
    const { port } = await serving('s3cret', ended);
    const { channel } = await dialPeer({ addresses: ['127.0.0.1'], port, own: peer, secret: 's3cret', role: 'launch', expectIndex: 1, deadline: Deadline.in(2000), signal: new AbortController().signal });
    const { socket } = channel.handOver();
    const started = new Promise((resolve) => socket.once('data', resolve));
    sendJson(socket, 'start', { command: 'echo started; exec sleep 30' });
    await started;
    socket.destroy();
    await expect.poll(() => ended, { timeout: 5000 }).toEqual([expect.objectContaining({ command: 'echo started; exec sleep 30', stopped: true })]);
  });

  /** A launch under way: its frames as they come, its stdin, and its end. */
  const underWay = async (port: number, command: string) => {
    const { channel } = await dialPeer({ addresses: ['127.0.0.1'], port, own: peer, secret: 's3cret', role: 'launch', expectIndex: 1, deadline: Deadline.in(2000), signal: new AbortController().signal });
    const { socket, rest } = channel.handOver();
    const frames: [StreamKind, string][] = [];
    const reader = new StreamReader((kind, payload) => kind !== 'beat' && frames.push([kind, payload.toString('utf8')]), () => {});
    reader.push(rest);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const said = (text: string) => expect.poll(() => frames.some(([kind, payload]) => kind === 'stdout' && payload.includes(text)), { timeout: 5000 }).toBe(true);
    sendJson(socket, 'start', { command });
    return { frames, closed, said, stdin: (text: string) => (sendStream(socket, 'stdin', Buffer.from(text)), sendStream(socket, 'stdin')) };
  };

  test("once the pod is done, a launch still running ends on its own within the drain: its own exit reaches the agent, nothing is stopped", async () => {
    const ended: LaunchRecord[] = [];
    const { port, service } = await serving('s3cret', ended);
    const running = await underWay(port, 'echo waiting; read line; exit 4');
    await running.said('waiting');
    const closing = service.close(Deadline.in(10_000));
    // Told to end (as mpirun tells its daemons) after the close began: it ends on its own, and is heard.
    running.stdin('go\n');
    await closing;
    await running.closed;
    expect(running.frames.at(-1)).toEqual(['exit', JSON.stringify({ code: 4, signal: null })]);
    expect(ended).toEqual([expect.objectContaining({ exitCode: 4, stopped: false })]);
    // Nothing new is taken once the pod is done.
    const late = await launch(port, 's3cret', 'echo ran');
    expect(late).toEqual([['refused', JSON.stringify({ reason: 'this pod is leaving' })]]);
  });

  test('a launch still running when the drain runs out is stopped, and its agent hears that', async () => {
    const ended: LaunchRecord[] = [];
    const { port, service } = await serving('s3cret', ended);
    const running = await underWay(port, 'echo waiting; exec sleep 30');
    await running.said('waiting');
    await service.close(Deadline.in(100));
    await running.closed;
    expect(running.frames.at(-1)).toEqual(['exit', JSON.stringify({ code: null, signal: 'SIGKILL' })]);
    expect(ended).toEqual([expect.objectContaining({ stopped: true })]);
  });
});

describe('a change of membership while a launch runs (local replicas of an elastic group)', () => {
  test('index 1 leaves on SIGTERM while index 0 runs a command on index 2: the launch ends with the round, named, and round 1 runs at 2', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-elastic-launch-'));
    try {
      const rc = `${process.execPath} ${ROLLCALL}`;
      // Index 1 leaves (SIGTERM to its own rollcall) once the launched command on index 2 is running: a
      // bounded wait for its mark, 10 s at most.
      const script = [
        'r=$ROLLCALL_RESTART_COUNT',
        'if [ "$r" != 0 ]; then echo "round $r, rank $RANK of $WORLD_SIZE"; exit 0; fi',
        // The agent runs in a session of its own, which stopping index 0's workload does not reach: what ends
        // the launched command is index 2's round, not its agent going away.
        `if [ "$ROLLCALL_INDEX" = 0 ]; then setsid ${rc} exec 2 'touch ${dir}/launched; exec sleep 30' >/dev/null 2>&1 & fi`,
        `if [ "$ROLLCALL_INDEX" = 1 ]; then n=0; until [ -e ${dir}/launched ] || [ $n -ge 200 ]; do n=$((n+1)); sleep 0.05; done; kill -TERM $PPID; fi`,
        'exec sleep 30',
      ].join('\n');
      const { stdout, stderr } = await runProcess([process.execPath, ROLLCALL, 'local', '-n', '3', '--count', '2:3', '--last-call', '500ms', '--grace', '2s', '--', 'sh', '-c', script], {}, { timeoutMs: 60_000 });
      const change = /local-job-1\.local-svc failed \(SIGTERM\) after [\d.]+m?s: the group shrinks; restart round 1 follows in place, using no restart/;
      for (const index of [0, 2]) expect(stderr.split('\n').filter((line) => line.startsWith(`[local-job-${index}]`)).join('\n')).toMatch(change);
      // Index 2's launched command is stopped with the round: after the verdict that names why, before
      // round 1 runs.
      const two = stderr.split('\n').filter((line) => line.startsWith('[local-job-2]'));
      const verdictAt = two.findIndex((line) => change.test(line));
      const stoppedAt = two.findIndex((line) => line.includes('stopping a launched command: SIGTERM'));
      const nextAt = two.findIndex((line) => line.includes('(restart round 1; membership 3 → 2)'));
      expect(stoppedAt, two.join('\n')).toBeGreaterThan(verdictAt);
      expect(nextAt, two.join('\n')).toBeGreaterThan(stoppedAt);
      for (const [index, rank] of [[0, 0], [2, 1]]) expect(stdout).toContain(`[local-job-${index}] round 1, rank ${rank} of 2`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
