import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDnsServer } from '../../src/cli/dns-server.js';
import { peerFqdn } from '../../src/identity/names.js';
import { ROLLCALL } from '../../harness/built.js';
import { assertBuilt } from '../integration/support.js';
import { loopbackPodEnv } from '../../harness/loopback-pod.js';
import { runProcess, signalOnceItSays, type ProcessResult, type RunOptions } from '../support/process.js';
import { describeWith } from '../../harness/requirements.js';
import { freePort } from './loopback.js';
import { scratchDir } from '../support/scratch.js';

/** Runs the built CLI as a child process; `onSpawn` may signal it. */
function rollcall(args: string[], env: Record<string, string> = {}, options: RunOptions = {}, prefix: string[] = []): Promise<ProcessResult> {
  return runProcess([...prefix, process.execPath, ROLLCALL, ...args], env, options);
}

/** A process's state letter from /proc (R, S, Z…), or "gone". */
function processState(pid: number): string {
  try {
    return /\) (\w) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 'gone';
  } catch {
    return 'gone';
  }
}

describe('the rollcall CLI', () => {
  const dns = new LocalDnsServer('cluster.local');
  let server: string;
  let port: number;
  const dir = scratchDir('rollcall-cli-');
  beforeAll(async () => {
    assertBuilt();
    server = await dns.start();
    port = await freePort('127.0.0.1');
    dns.set(peerFqdn('solo', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
    dns.set(peerFqdn('pair', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
  });
  afterAll(() => dns.close());

  /** A pod of a one-pod (or `count`-pod) group on 127.0.0.1, names served by the embedded DNS server. */
  const pod = (job: string, count = 1, extra: Record<string, string> = {}) => ({ ...loopbackPodEnv(job, { dnsServer: server, port, count }), ...extra });


  test('the built package exports the library by its name', async () => {
    // Node resolves "rollcall" through package.json "exports" (self-reference), as an installed package would.
    const script = 'const api = await import("rollcall"); console.log(JSON.stringify(Object.keys(api).sort()))';
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    await new Promise((resolve) => child.once('exit', resolve));
    expect(JSON.parse(stdout)).toEqual(
      ['ConfigError', 'DEFAULTS', 'PeerFailedError', 'PeersTimeoutError', 'ProbeUnavailableError', 'RollcallError', 'isDnsLabel', 'peerFqdn', 'peerShortName', 'podHostname', 'readIdentity', 'waitForPeers'].sort(),
    );
  });

  test('--help prints usage and exits 0', async () => {
    const { code, stdout } = await rollcall(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('rollcall [flags] -- <command>');
    expect(stdout).toContain('ROLLCALL_TIMEOUT');
  });

  test.each([[['--bogus']], [['frobnicate']], [['--']], [['wait', '--', 'true']], [['-n', '2', 'wait']]])('usage error %j exits 64', async (args) => {
    const { code, stderr } = await rollcall(args);
    expect(code).toBe(64);
    expect(stderr).toMatch(/Try "rollcall( \w+)? --help"/);
  });

  test('a configuration error exits 78, names the variable and fills the termination log', async () => {
    const terminationLog = join(dir, 'termination-log');
    writeFileSync(terminationLog, '');
    const { code, stderr } = await rollcall(['wait'], { JOB_COMPLETION_INDEX: '0', ROLLCALL_TERMINATION_LOG: terminationLog });
    expect(code).toBe(78);
    expect(stderr).toContain('ROLLCALL_COUNT (unset): is required');
    expect(readFileSync(terminationLog, 'utf8')).toContain('ROLLCALL_COUNT (unset): is required');
  });

  test('a flag beats its env twin, and an error about its value names the flag', async () => {
    const { code, stderr } = await rollcall(['wait', '--timeout', 'soon'], pod('solo', 1, { ROLLCALL_TIMEOUT: '5s' }));
    expect(code).toBe(78);
    expect(stderr).toContain('--timeout ("soon"): is not a positive duration');
    const fromEnv = await rollcall(['wait'], pod('solo', 1, { ROLLCALL_TIMEOUT: 'soon' }));
    expect(fromEnv.stderr).toContain('ROLLCALL_TIMEOUT ("soon")');
  });

  test('--index beats ROLLCALL_INDEX; against JOB_COMPLETION_INDEX it must agree, and an error names the flag given', async () => {
    const outsideAJob = pod('solo');
    const agreed = await rollcall(['peers', '--json', '--index', '0'], { ...outsideAJob, ROLLCALL_INDEX: '5' });
    expect(agreed.code, agreed.stderr).toBe(0);
    expect(JSON.parse(agreed.stdout)).toMatchObject({ index: 0 });
    const conflict = await rollcall(['peers', '--index', '0'], { ...pod('solo'), JOB_COMPLETION_INDEX: '5' });
    expect(conflict.code).toBe(78);
    expect(conflict.stderr).toContain('--index ("0"): disagrees with JOB_COMPLETION_INDEX ("5"), the index Kubernetes gave this pod. Unset --index');
    const tooLarge = await rollcall(['wait', '--index', '5'], outsideAJob);
    expect(tooLarge.code).toBe(78);
    expect(tooLarge.stderr).toContain('--index ("5"): is not below the group size 1');
  });

  test('every subcommand has its own --help; an unknown flag is answered with a suggestion and that help', async () => {
    const help = await rollcall(['local', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: rollcall local -n N/);
    const unknown = await rollcall(['wait', '--tiemout', '5s']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown flag --tiemout; did you mean --timeout?');
    expect(unknown.stderr).toContain('Try "rollcall wait --help".');
    const ignored = await rollcall(['local', '-n', '3', '--index', '1', '--', 'true']);
    expect(ignored.code).toBe(64);
    expect(ignored.stderr).toContain('--index is not taken by "rollcall local"');
  });

  test('a wait that times out exits 124 and says who is missing', async () => {
    const { code, stderr } = await rollcall(['wait', '--timeout', '1500ms'], pod('pair', 2));
    expect(code).toBe(124);
    expect(stderr).toContain('missing pair-1.svc (no such name)');
    // Its own name resolves: no init-container hint.
    expect(stderr).not.toContain('publishNotReadyAddresses');
  });

  test('a pod whose own name never resolves gets the init-container hint, at the latest when it times out', async () => {
    const { code, stderr } = await rollcall(['wait', '--timeout', '1500ms'], pod('unpublished', 2));
    expect(code).toBe(124);
    const lines = stderr.trim().split('\n');
    const hint = lines.findIndex((line) => line.includes("this pod's own name does not resolve") && line.includes('publishNotReadyAddresses: true'));
    expect(hint, stderr).toBeGreaterThanOrEqual(0);
    // The reason for the failure stays the last line, where `kubectl logs --tail` finds it.
    expect(lines.at(-1)).toContain('missing unpublished-0.svc (no such name)');
    expect(lines.filter((line) => line.includes('publishNotReadyAddresses'))).toHaveLength(1);
  });

  describeWith(['script'], 'on a terminal', () => {
    /**
     * Runs rollcall under script(1), which gives it a pseudo-terminal as `kubectl run -it` or a local shell
     * does. `onOutput` sees what the terminal showed so far, and may type a line on it, once.
     */
    const onTerminal = (args: string[], env: Record<string, string>, onOutput?: (shown: string, type: (line: string) => void) => void) =>
      new Promise<ProcessResult>((resolve) => {
        const command = [process.execPath, ROLLCALL, ...args].map((word) => `'${word}'`).join(' ');
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'dumb', ...env }, stdio: [onOutput === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let typed = false;
        const type = (line: string) => {
          if (typed) return;
          typed = true;
          child.stdin?.end(line);
        };
        child.stdout?.on('data', (chunk) => {
          stdout += String(chunk);
          onOutput?.(stdout, type);
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr: '' });
        });
      });

    test('progress is one live line, rewritten in place, ended before the next log line', async () => {
      const result = await onTerminal(['wait', '--timeout', '1500ms'], pod('pair', 2));
      expect(result.code).toBe(124);
      expect(result.stdout).toContain('\r\x1b[Krollcall: 1/2 confirmed; waiting for pair-1.svc (no such name)');
      // The failure starts on a line of its own, not glued to the live line.
      expect(result.stdout).toMatch(/no such name\)\r?\nrollcall: start barrier timed out/);
    });

    test('the workload keeps the terminal: it reads a line typed at /dev/tty', async () => {
      // Typed once rollcall has started the workload, as a person at the terminal would.
      const result = await onTerminal(['--', 'sh', '-c', 'read line < /dev/tty && echo "typed: $line"'], pod('solo'), (shown, type) => {
        if (shown.includes('running sh')) type('hello\n');
      });
      expect(result.stdout).toContain('typed: hello');
      expect(result.code).toBe(0);
    });
  });

  test('json logs are one object per line', async () => {
    const { code, stderr } = await rollcall(['wait', '--log-format', 'json', '--timeout', '1s'], pod('pair', 2));
    expect(code).toBe(124);
    const lines = stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string; missing?: unknown[] });
    expect(lines.at(-1)).toMatchObject({ level: 'error', missing: [{ index: 1, name: 'pair-1.svc', reason: 'no such name' }] });
  });

  test('peers --json prints the group on stdout', async () => {
    const { code, stdout } = await rollcall(['peers', '--json'], pod('solo'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ index: 0, size: 1, jobName: 'solo', peers: [{ name: 'solo-0.svc', addresses: ['127.0.0.1'] }] });
  });

  test('the workload gets the group\'s env, a hostfile and the preset\'s variables', async () => {
    const print = 'for (const k of Object.keys(process.env).sort()) if (/^(ROLLCALL_(INDEX|SIZE|PEERS|HOSTFILE)|RANK|WORLD_SIZE|MASTER_|PET_)/.test(k)) console.log(k + "=" + process.env[k]); console.log("HOSTFILE:" + require("fs").readFileSync(process.env.ROLLCALL_HOSTFILE, "utf8").trim())';
    const { code, stdout } = await rollcall(['--preset', 'torchrun', '--master-port', '29511', '--hostfile-format', 'openmpi', '--slots', '2', '--', process.execPath, '-e', print], pod('solo'));
    expect(code).toBe(0);
    expect(stdout).toContain('RANK=0\n');
    expect(stdout).toContain('WORLD_SIZE=1\n');
    expect(stdout).toContain('MASTER_ADDR=solo-0.svc\n');
    expect(stdout).toContain('MASTER_PORT=29511\n');
    expect(stdout).toContain('ROLLCALL_PEERS=solo-0.svc\n');
    expect(stdout).toContain('ROLLCALL_SIZE=1\n');
    expect(stdout).toContain('PET_NNODES=1\n');
    expect(stdout).toContain('PET_NODE_RANK=0\n');
    expect(stdout).toContain('PET_MASTER_ADDR=solo-0.svc\n');
    expect(stdout).toContain('HOSTFILE:solo-0.svc slots=2');
  });

  test('the workload\'s exit code is rollcall\'s', async () => {
    expect((await rollcall(['--', 'sh', '-c', 'exit 7'], pod('solo'))).code).toBe(7);
  });

  test('a workload killed by a signal exits 128+signal', async () => {
    expect((await rollcall(['--', 'sh', '-c', 'kill -KILL $$'], pod('solo'))).code).toBe(137);
  });

  test('a command that does not exist exits 127', async () => {
    expect((await rollcall(['--', 'no-such-command-rollcall'], pod('solo'))).code).toBe(127);
  });

  test('SIGTERM is forwarded to the workload', async () => {
    const ready = join(dir, 'ready');
    const workload = `trap 'echo got TERM; exit 42' TERM; touch ${ready}; while :; do sleep 0.05; done`;
    const result = await rollcall(['--', 'sh', '-c', workload], pod('solo'), { onSpawn: (pid) => {
      const poll = setInterval(() => {
        try {
          readFileSync(ready);
          clearInterval(poll);
          process.kill(pid, 'SIGTERM');
        } catch {
          // Not started yet.
        }
      }, 20);
      setTimeout(() => clearInterval(poll), 10_000);
    } });
    expect(result.stdout).toContain('got TERM');
    expect(result.code).toBe(42);
  });

  test('SIGTERM while still waiting ends the wait with 143', async () => {
    const signal = signalOnceItSays('waiting for', 'SIGTERM');
    const result = await rollcall(['wait'], pod('pair', 2, { ROLLCALL_LOG_INTERVAL: '100ms' }), { onStderr: signal.onStderr });
    expect(signal.sent).toBe(true);
    expect(result.code).toBe(143);
  });

  test.runIf(process.getuid?.() === 0)('the icmp probe without CAP_NET_RAW exits 78, saying what is missing and what to use', async () => {
    // setpriv takes the capability away from this child alone, as the Restricted pod security profile does.
    const { code, stderr } = await rollcall(['wait', '--probe', 'icmp'], pod('solo'), {}, ['setpriv', '--inh-caps=-net_raw', '--bounding-set=-net_raw', '--']);
    expect(code).toBe(78);
    // On Node 24 net-ping does not build at all; elsewhere the raw socket is refused.
    expect(stderr).toMatch(/CAP_NET_RAW|net-ping/);
    expect(stderr).toContain('Use probe "tcp"');
  });

  test('local mode runs N replicas with prefixed output and the first failure\'s exit code', async () => {
    // Rank 1 fails once every rank has printed (at most 10 s of waiting for their marks): its failure
    // stops the others, and a stop that came first would cut a line short.
    const marks = mkdtempSync(join(dir, 'marks-'));
    const waitForAll = `n=0; while [ "$(ls ${marks} | wc -l)" -lt 3 ] && [ $n -lt 200 ]; do n=$((n+1)); sleep 0.05; done`;
    const script = `echo "rank $RANK of $WORLD_SIZE via $MASTER_ADDR"; touch ${marks}/$RANK; [ "$RANK" != 1 ] || { ${waitForAll}; exit 9; }`;
    const { code, stdout } = await rollcall(['local', '-n', '3', '--', 'sh', '-c', script]);
    expect(code).toBe(9);
    // Index 0's loopback address: only the embedded DNS server knows the replicas' names.
    for (let rank = 0; rank < 3; rank++) expect(stdout).toContain(`[local-job-${rank}] rank ${rank} of 3 via 127.0.0.10`);
  });

  test('local mode with --count 3:4: 3 replicas of an elastic group release at 3 once the last call passes, ranks and WORLD_SIZE of the 3', async () => {
    const script = 'echo "rank $RANK of $WORLD_SIZE, index $ROLLCALL_INDEX, peers $ROLLCALL_PEERS"';
    // MIN 3: the last call starts once all three are there. With MIN 2 it started at the second, and under
    // load the third replica's start could outlast it (who a last call takes in is the simulator's to test).
    const { code, stdout, stderr } = await rollcall(['local', '-n', '3', '--count', '3:4', '--last-call', '500ms', '--', 'sh', '-c', script]);
    expect(code, stderr).toBe(0);
    for (let rank = 0; rank < 3; rank++) {
      expect(stdout).toContain(`[local-job-${rank}] rank ${rank} of 3, index ${rank}, peers 127.0.0.10,127.0.0.11,127.0.0.12`);
      expect(stderr).toContain(`[local-job-${rank}] rollcall: 3/4 ready after the last call (elastic); released as index ${rank} (star)`);
    }
    const refused = await rollcall(['local', '-n', '5', '--count', '2:4', '--', 'true']);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toMatch(/--count \("2:4"\): lets the group run at most 4 pods, and --replicas \(-n\) starts 5/);
  });

  describe('the group\'s life (local replicas, each its own rollcall)', () => {
    test('--stall-timeout: a workload that stops touching its progress file while it runs is stalled; the group stops, naming it', async () => {
      // Rank 0 touches for the whole run, rank 1 for a second and then never again (still running), rank 2
      // never (it is never called stalled). Each marks the wall clock of its last touch.
      const marks = mkdtempSync(join(dir, 'stall-'));
      const script = [
        'i=0',
        'while :; do',
        '  if [ "$RANK" = 0 ] || { [ "$RANK" = 1 ] && [ $i -lt 10 ]; }; then touch "$ROLLCALL_PROGRESS_FILE"; date +%s%3N > ' + marks + '/$RANK; fi',
        '  i=$((i+1)); sleep 0.1',
        'done',
      ].join('\n');
      const { code, stderr } = await rollcall(['local', '-n', '3', '--stall-timeout', '2s', '--grace', '1s', '--', 'sh', '-c', script], {}, { timeoutMs: 30_000 });
      expect(code, stderr).toBe(124);
      expect(stderr).toContain('exit codes: 0: 75, 1: 124, 2: 75');
      for (const replica of [0, 1, 2]) expect(stderr).toMatch(new RegExp(`\\[local-job-${replica}\\] rollcall: local-job-1\\.local-svc failed \\(stalled: no progress for [23]\\.\\ds\\) after [\\d.]+s; the group stops`));
      expect(stderr).not.toContain('also stalled');
      // How soon after the last touch it is named is the bench's (npm run bench -- --only stall); rank 1 did touch.
      expect(Number(readFileSync(join(marks, '1'), 'utf8'))).toBeGreaterThan(0);
    });

    test('one workload fails: the others are stopped and exit 75, the failed one with its own code, all naming it', async () => {
      // Rank 1 fails once the others' workloads run (each leaves a mark; at most 10 s of waiting for them):
      // a failure that came first would find nothing running to stop, which is right, and not this test.
      const marks = mkdtempSync(join(dir, 'running-'));
      const script = `[ "$RANK" = 1 ] || { touch ${marks}/$RANK; exec sleep 30; }; n=0; while { [ ! -e ${marks}/0 ] || [ ! -e ${marks}/2 ]; } && [ $n -lt 200 ]; do n=$((n+1)); sleep 0.05; done; exit 3`;
      const { code, stderr } = await rollcall(['local', '-n', '3', '--', 'sh', '-c', script], {}, { timeoutMs: 20_000 });
      expect(code).toBe(3);
      expect(stderr).toContain('exit codes: 0: 75, 1: 3, 2: 75');
      for (const replica of [0, 1, 2]) expect(stderr).toMatch(new RegExp(`\\[local-job-${replica}\\] rollcall: local-job-1\\.local-svc failed \\(exit 3\\) after [\\d.]+m?s; the group stops`));
      for (const replica of [0, 2]) expect(stderr).toContain(`[local-job-${replica}] rollcall: stopping the workload`);
    });

    test('a stop reaches the workload\'s whole process group, and SIGKILL follows the grace period', async () => {
      const pids = mkdtempSync(join(dir, 'pids-'));
      // The survivors ignore SIGTERM and leave a grandchild behind: only SIGKILL to the group ends both.
      // Rank 2 fails once both have (at most 10 s of waiting for their pid files): a stop that came first
      // would find a shell that has not yet set its trap.
      const failOnceReady = `n=0; while { [ ! -s ${pids}/0 ] || [ ! -s ${pids}/1 ]; } && [ $n -lt 200 ]; do n=$((n+1)); sleep 0.05; done; exit 1`;
      const script = `[ "$RANK" = 2 ] && { ${failOnceReady}; }; trap "" TERM; sleep 60 & echo $! > ${pids}/$RANK.tmp && mv ${pids}/$RANK.tmp ${pids}/$RANK; while :; do sleep 1; done`;
      const { code, stderr } = await rollcall(['local', '-n', '3', '--grace', '300ms', '--', 'sh', '-c', script], {}, { timeoutMs: 20_000 });
      expect(code).toBe(1);
      expect(stderr).toContain('SIGKILL after 300 ms');
      for (const rank of [0, 1]) {
        const pid = Number(readFileSync(join(pids, String(rank)), 'utf8'));
        // Gone, or a zombie waiting for an init that does not reap (as in many containers): either way, dead.
        expect(processState(pid), `rank ${rank}'s grandchild ${pid}`).toMatch(/^(gone|Z)$/);
      }
    });

    test('--restarts 1: a failure in round 0 starts round 1 everywhere, each workload told its round, and all exit 0', async () => {
      const script = 'echo "rank $RANK round $ROLLCALL_RESTART_COUNT"; [ "$RANK" = 1 ] && [ "$ROLLCALL_RESTART_COUNT" = 0 ] && exit 4; [ "$ROLLCALL_RESTART_COUNT" = 1 ] || sleep 30';
      const { code, stdout, stderr } = await rollcall(['local', '-n', '3', '--restarts', '1', '--', 'sh', '-c', script], {}, { timeoutMs: 20_000 });
      expect(code, stderr).toBe(0);
      for (const rank of [0, 1, 2]) expect(stdout).toContain(`[local-job-${rank}] rank ${rank} round 1`);
      expect(stderr).toContain('[local-job-0] rollcall: local-job-1.local-svc failed (exit 4)');
      expect(stderr).toMatch(/restart round 1 follows/);
      expect(stderr).toMatch(/\[local-job-0\] rollcall: all 3 workloads finished in restart round 1: 0: exit 0/);
    });

    test('a fatal exit code ends the group at once, restarts left or not', async () => {
      const script = 'echo "round $ROLLCALL_RESTART_COUNT"; [ "$RANK" = 1 ] && exit 78; sleep 30';
      const { code, stdout, stderr } = await rollcall(['local', '-n', '2', '--restarts', '3', '--fatal-exit-codes', '78', '--', 'sh', '-c', script], {}, { timeoutMs: 20_000 });
      expect(code).toBe(78);
      expect(stdout).not.toContain('round 1');
      expect(stderr).toContain('exit codes: 0: 75, 1: 78');
    });

    test('the exit barrier: replicas that finish early wait for the last, and index 0 exits last', async () => {
      const script = '[ "$RANK" = 2 ] && sleep 1; echo "done $RANK"';
      const { code, stderr } = await rollcall(['local', '-n', '3', '--', 'sh', '-c', script], {}, { timeoutMs: 20_000 });
      expect(code).toBe(0);
      expect(stderr).toMatch(/\[local-job-0\] rollcall: all 3 workloads finished: 0: exit 0 \(\d+ms\), 1: exit 0 \(\d+ms\), 2: exit 0 \([\d.]+s\)/);
      for (const replica of [0, 1]) expect(stderr).toContain(`[local-job-${replica}] rollcall: workload finished; waiting up to 5.0m until every pod's has (exit barrier)`);
    });

    test.each([
      [['--restarts', '1.5'], 'ROLLCALL_RESTARTS'],
      [['--restarts=-1'], 'ROLLCALL_RESTARTS'],
      [['--fatal-exit-codes', '78,abc'], 'ROLLCALL_FATAL_EXIT_CODES'],
      [['--exit-timeout', 'soon'], 'ROLLCALL_EXIT_TIMEOUT'],
      [['--grace', 'forever'], 'ROLLCALL_GRACE'],
    ])('bad input %j exits 78 naming the flag (not %s, its env twin), before anything runs', async (flags, variable) => {
      const { code, stderr, stdout } = await rollcall([...flags, '--', 'echo', 'RAN'], pod('solo'));
      expect(code).toBe(78);
      expect(stderr).toContain(`${(flags[0] as string).split('=')[0]} (`);
      expect(stderr).not.toContain(`${variable} (`);
      expect(stdout).not.toContain('RAN');
    });

    test('a negative number after a flag is taken as its value, and refused naming the flag', async () => {
      const { code, stderr, stdout } = await rollcall(['--restarts', '-1', '--', 'echo', 'RAN'], pod('solo'));
      expect(code).toBe(78);
      expect(stderr).toContain('--restarts ("-1"): is not an integer from 0 to 10000');
      expect(stdout).not.toContain('RAN');
    });
  });

  test('the demo runs the task page\'s job and reports the release', async () => {
    const { code, stdout, stderr } = await rollcall(['demo']);
    expect(code).toBe(0);
    for (let pod = 0; pod < 3; pod++) for (let peer = 0; peer < 3; peer++) expect(stdout).toContain(`[example-job-${pod}] Successfully pinged pod: example-job-${peer}.headless-svc`);
    expect(stderr).toMatch(/all 3 replicas released: first \d+ ms after start, last \d+ ms \(spread [\d.]+ ms\); \d+ DNS queries answered/);
  });

  test("two demos at once on one machine both run: each run's replicas listen on a port of its own", async () => {
    const runs = await Promise.all([rollcall(['demo']), rollcall(['demo'])]);
    for (const { code, stderr } of runs) expect(code, stderr).toBe(0);
  });
});
