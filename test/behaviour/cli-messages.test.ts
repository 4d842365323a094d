import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { loopbackPodEnv } from '../../harness/loopback-pod.js';
import { describeWith } from '../../harness/requirements.js';
import { LocalDnsServer } from '../../src/cli/dns-server.js';
import { peerFqdn } from '../../src/identity/names.js';
import { assertBuilt } from '../integration/support.js';
import { runProcess, signalOnceItSays } from '../support/process.js';
import { freePort } from './loopback.js';
import { testScratchDir } from '../support/scratch.js';

/**
 * What a new user meets first, held to what it claims: each message names what the user did (a flag, or
 * nothing at all), and says what to do, once.
 */
const rollcall = (args: string[], env: Record<string, string> = {}, timeoutMs = 30_000, onStderr?: (chunk: string, pid: number) => void) =>
  runProcess([process.execPath, ROLLCALL, ...args], env, { timeoutMs, ...(onStderr === undefined ? {} : { onStderr }) });
/** A directory of the test's own as TMPDIR: nothing another run or user left in /tmp is found there. */
const freshTmp = () => testScratchDir('rollcall-messages-');
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

describe('messages of the CLI', () => {
  beforeAll(() => assertBuilt());

  test('"rollcall status" where no rollcall runs says so, exits 69, and blames no variable nobody set', async () => {
    const { code, stderr } = await rollcall(['status'], { TMPDIR: freshTmp() });
    expect(code).toBe(69);
    expect(stderr).toContain('rollcall status: no rollcall runs in this pod (none has linked its network namespace)');
    expect(stderr).not.toContain('ROLLCALL_GROUP_SOCKET');
    const named = await rollcall(['status'], { TMPDIR: freshTmp(), ROLLCALL_GROUP_SOCKET: '/nonexistent/group.sock' });
    expect(named.code).toBe(69);
    expect(named.stderr).toContain('cannot be reached at /nonexistent/group.sock, named by ROLLCALL_GROUP_SOCKET (ENOENT)');
  });

  test('outside Kubernetes, a setting only a pod would give comes with the command that runs a group on this machine; in a pod, or for a bad value, it does not', async () => {
    const hint = '"rollcall local -n 3 -- <command>" runs a group of 3 on this machine';
    const here = await rollcall(['--', 'true'], { TMPDIR: freshTmp() });
    expect(here.code).toBe(78);
    expect(here.stderr).toContain('ROLLCALL_COUNT (unset): is required');
    expect(here.stderr).toContain(`this is not a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set), where such settings come from: ${hint}.`);
    const inPod = await rollcall(['--', 'true'], { TMPDIR: freshTmp(), KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    expect(inPod.code).toBe(78);
    expect(inPod.stderr).toContain('ROLLCALL_COUNT (unset): is required');
    expect(inPod.stderr).not.toContain('rollcall local');
    const badValue = await rollcall(['--', 'true'], { TMPDIR: freshTmp(), ROLLCALL_COUNT: 'three' });
    expect(badValue.code).toBe(78);
    expect(badValue.stderr).toContain('ROLLCALL_COUNT ("three")');
    expect(badValue.stderr).not.toContain('rollcall local');
  });

  test('"rollcall serve" under a wrapper exits 78, saying that its rollcall serves already and what to do instead', async () => {
    const { code, stdout, stderr } = await rollcall(['local', '-n', '2', '--', process.execPath, ROLLCALL, 'serve']);
    expect(code, stderr).toBe(78);
    expect(stderr).toContain("ROLLCALL_GROUP_SOCKET");
    expect(stderr).toContain('already runs under "rollcall --" or "rollcall local", whose rollcall already serves this pod\'s remote launches');
    expect(stderr).toContain('Let this process end instead');
    expect(`${stdout}${stderr}`).not.toMatch(STACK_TRACE);
    expect(stderr).not.toContain('ERR_ROLLCALL_WRAPPED');
  });

  test('under "rollcall local", a bad flag is refused once, by the parent, naming the flag as typed', async () => {
    const { code, stdout, stderr } = await rollcall(['local', '-n', '3', '--timeout', 'soon', '--', 'true']);
    expect(code).toBe(78);
    expect(stderr).toContain('--timeout ("soon"): is not a positive duration');
    expect(stderr).not.toContain('ROLLCALL_TIMEOUT');
    // No replica started: it is not said three times over.
    expect(`${stdout}${stderr}`).not.toContain('[local-job-');
    expect(stderr.match(/--timeout \("soon"\)/g)).toHaveLength(1);
  });

  test('"rollcall local --group" runs every pod of the JobSet the parts describe, named as JobSet names them, as one group; a -n that disagrees is refused once, naming the flag', async () => {
    const { code, stdout, stderr } = await rollcall(['local', '--group', 'driver:1,workers:2x2', '--', 'sh', '-c', 'echo "$ROLLCALL_PART $ROLLCALL_PART_INDEX: rank $RANK of $WORLD_SIZE"']);
    expect(code, stderr).toBe(0);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual([
      '[local-job-driver-0-0] driver 0: rank 0 of 5',
      '[local-job-workers-0-0] workers 0: rank 1 of 5',
      '[local-job-workers-0-1] workers 1: rank 2 of 5',
      '[local-job-workers-1-0] workers 2: rank 3 of 5',
      '[local-job-workers-1-1] workers 3: rank 4 of 5',
    ]);
    const mismatch = await rollcall(['local', '-n', '3', '--group', 'a:1,b:1', '--', 'true']);
    expect(mismatch.code).toBe(78);
    expect(mismatch.stderr.match(/--group \("a:1,b:1"\): is a group of 2 pods, and --replicas \(-n\) asks for 3/g)).toHaveLength(1);
    expect(`${mismatch.stdout}${mismatch.stderr}`).not.toContain('[local-job-');
    expect(`${mismatch.stdout}${mismatch.stderr}`).not.toMatch(STACK_TRACE);
  });

  test('"--env-file" is answered with its new name; "--env-from" reaches rollcall on Node; a launched command\'s words stay its own', async () => {
    // The npm bin as npm links it: a file run by its first line, not by "node <file>".
    const old = await runProcess([ROLLCALL, 'wait', '--env-file', '/nonexistent.env'], {}, { timeoutMs: 30_000 });
    expect(old.code, old.stderr).toBe(64);
    expect(old.stderr).toContain('--env-file is now --env-from: Node takes --env-file for itself');
    const renamed = await rollcall(['wait', '--env-from', '/nonexistent.env']);
    expect(renamed.code).toBe(78);
    expect(renamed.stderr).toContain('--env-from ("/nonexistent.env"): cannot be read (ENOENT)');
    // The agent rollcall hands a launcher is Node with "--" before the script: "--env-file" after the host
    // is the remote command's, not Node's (which would exit 9 without running rollcall at all).
    const agent = await rollcall(['local', '-n', '2', '--preset', 'openmpi', '--', 'sh', '-c', '[ "$RANK" = 1 ] || $OMPI_MCA_plm_rsh_agent 1 echo launched --env-file /nonexistent.env']);
    expect(agent.code, agent.stderr).toBe(0);
    expect(agent.stdout).toContain('[local-job-0] launched --env-file /nonexistent.env');
  });

  describe('a clash on the port', () => {
    const dns = new LocalDnsServer('cluster.local');
    let server: string;
    let blocker: Server;
    // A loopback address of this test's own: port 7420 on it is free but for the blocker.
    const host = `127.${40 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.1`;
    beforeAll(async () => {
      server = await dns.start();
      dns.set(peerFqdn('clash', 0, 'svc', 'ns', 'cluster.local'), [host]);
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(7420, host, resolve));
    });
    afterAll(() => {
      blocker.close();
      dns.close();
    });
    // ROLLCALL_PORT left unset: the default port is rollcall's own choice.
    const env = (extra: Record<string, string>) => {
      const pod: Record<string, string> = { ...loopbackPodEnv('clash', { dnsServer: server, port: 7420 }), ROLLCALL_LISTEN_HOST: host, ...extra };
      delete pod.ROLLCALL_PORT;
      return pod;
    };

    test('on the default port blames no setting, and says to set one', async () => {
      const { code, stderr } = await rollcall(['wait'], env({}));
      expect(code).toBe(78);
      expect(stderr).toContain(`ROLLCALL_PORT (unset): is not set, so rollcall listens on its default port 7420, which is already in use on ${host}. Set it to a free port, the same in every pod.`);
      expect(stderr).not.toContain('"7420"');
    });

    test('on a chosen port names the flag and the value given', async () => {
      const { code, stderr } = await rollcall(['wait', '--port', '7420'], env({}));
      expect(code).toBe(78);
      expect(stderr).toContain(`--port ("7420"): is already in use on ${host}`);
    });

    test("is told at once while the pod's own record is not there yet", async () => {
      const unpublished: Record<string, string> = { ...loopbackPodEnv('unpublished', { dnsServer: server, port: 7420 }), ROLLCALL_LISTEN_HOST: host, ROLLCALL_TIMEOUT: '10m' };
      delete unpublished.ROLLCALL_PORT;
      const { code, stderr } = await rollcall(['wait'], unpublished);
      expect(code).toBe(78);
      expect(stderr).toContain(`default port 7420, which is already in use on ${host}`);
    });
  });
});

describe("the workload's files", () => {
  beforeAll(() => assertBuilt());

  test('the hostfile is in a directory of the run\'s own (0700, under TMPDIR), gone once rollcall exits', async () => {
    const tmp = freshTmp();
    const { code, stdout, stderr } = await rollcall(['local', '-n', '2', '--', 'sh', '-c', 'stat -c "dir %a %u" "$(dirname "$ROLLCALL_HOSTFILE")"; echo "file $ROLLCALL_HOSTFILE"; cat "$ROLLCALL_HOSTFILE"'], { TMPDIR: tmp });
    expect(code, stderr).toBe(0);
    const files = [...stdout.matchAll(/^\[local-job-\d\] file (\S+)$/gm)].map((match) => match[1] as string);
    expect(files).toHaveLength(2);
    expect(new Set(files).size).toBe(2);
    for (const file of files) {
      expect(file.startsWith(`${tmp}/rollcall-`), file).toBe(true);
      expect(existsSync(file), `${file} left behind`).toBe(false);
    }
    expect(stdout).toContain(`[local-job-0] dir 700 ${process.getuid?.()}`);
    expect(stdout).toContain('[local-job-1] 127.0.0.10\n');
  });

  test('each replica of "rollcall local" has a TMPDIR of its own, as each pod has a /tmp, gone once rollcall exits', async () => {
    const tmp = freshTmp();
    const { code, stdout, stderr } = await rollcall(['local', '-n', '3', '--', 'sh', '-c', 'echo "tmp $TMPDIR $(stat -c %a "$TMPDIR")"'], { TMPDIR: tmp });
    expect(code, stderr).toBe(0);
    const dirs = [...stdout.matchAll(/^\[local-job-(\d)\] tmp (\S+) 700$/gm)].map((match) => [match[1], match[2] as string]);
    expect(dirs).toHaveLength(3);
    expect(new Set(dirs.map(([, dir]) => dir)).size).toBe(3);
    for (const [index, dir] of dirs) expect(dir).toMatch(new RegExp(`^${tmp}/rollcall-local-[A-Za-z0-9]{6}/local-job-${index}$`));
    expect(readdirSync(tmp)).toEqual([]);
  });

  test('a pod whose group never comes, or that gets SIGTERM while it waits, leaves nothing under TMPDIR', async () => {
    const dns = new LocalDnsServer('cluster.local');
    try {
      const server = await dns.start();
      dns.set(peerFqdn('lonely', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
      // Index 1 never has a record: the wait ends by its timeout, or by the signal.
      const pod = async (tmp: string) => ({ ...loopbackPodEnv('lonely', { dnsServer: server, port: await freePort('127.0.0.1'), count: 2 }), TMPDIR: tmp });
      const [timedOut, signalled] = [freshTmp(), freshTmp()];
      const late = await rollcall(['--timeout', '1s', '--', 'true'], await pod(timedOut));
      expect(late.code, late.stderr).toBe(124);
      expect(readdirSync(timedOut)).toEqual([]);
      const signal = signalOnceItSays('waiting for', 'SIGTERM');
      const left = await rollcall(['--', 'true'], await pod(signalled), 30_000, signal.onStderr);
      expect(signal.sent).toBe(true);
      expect(left.code, left.stderr).toBe(143);
      expect(readdirSync(signalled)).toEqual([]);
    } finally {
      dns.close();
    }
  });

  describeWith(['root'], 'on a machine shared by several users', () => {
    test('a second user runs the demo after root has, in the same TMPDIR', async () => {
      // A shared TMPDIR of the test's own, sticky and world-writable as /tmp is.
      const shared = freshTmp();
      chmodSync(shared, 0o1777);
      const first = await rollcall(['demo'], { TMPDIR: shared });
      expect(first.code, first.stderr).toBe(0);
      const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
      // This run's Node may sit where only root may enter (CI unpacks Node 22 and 24 into a private
      // directory): the second user runs the machine's own Node then; what is tested is TMPDIR, not Node.
      const own = (await runProcess([...asNobody, 'test', '-x', process.execPath])).code === 0;
      const node = own ? [process.execPath] : ['/usr/bin/env', 'node'];
      const nobody = await runProcess([...asNobody, ...node, ROLLCALL, 'demo'], { TMPDIR: shared, HOME: shared, ...(own ? {} : { PATH: '/usr/local/bin:/usr/bin:/bin' }) }, { timeoutMs: 30_000 });
      expect(nobody.code, nobody.stderr).toBe(0);
      expect(nobody.stdout).toContain('Successfully pinged pod: example-job-2.headless-svc');
      expect(readFileSync('/proc/self/status', 'utf8')).toMatch(/^Uid:\s+0\s/m);
    });
  });
});
