// Remote launch on the simulated cluster: `mpirun -np N hostname` over N pods with rollcall as Open MPI's
// agent, beside the same with OpenSSH (Debian's sshd in every pod, a key made here), in one run; and the
// relay's throughput, `rollcall exec` against `ssh`, for the same bytes from /dev/zero. Each figure is
// timed inside index 0's pod, around the launcher alone (the group's own wait is not in it).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type PodReport } from '../harness/cluster/cluster.js';
import { ROLLCALL } from '../harness/built.js';

export interface LaunchResult {
  n: number;
  /** Median of the runs: `mpirun -np n hostname`, rollcall as the agent / ssh as the agent. */
  rollcallLaunchMs: number;
  sshLaunchMs: number;
  runs: number;
  /** Bytes relayed from another pod's /dev/zero, and MB/s through each. */
  bytes: number;
  rollcallMBps: number;
  sshMBps: number;
}

const SSH_PORT = 2222;

/** A key pair and an sshd configuration every pod's sshd runs with (root login by that key only). */
function sshSetUp(dir: string) {
  const key = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  writeFileSync(join(dir, 'authorized_keys'), execFileSync('cat', [`${key}.pub`]));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  writeFileSync(
    join(dir, 'sshd_config'),
    [`Port ${SSH_PORT}`, `HostKey ${join(dir, 'host_key')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'UsePAM no', 'StrictModes no', `PidFile ${join(dir, 'sshd.pid')}`, 'LogLevel ERROR'].join('\n') + '\n',
  );
  // sshd's privilege separation directory, which Debian's package leaves to its service to make.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const client = `ssh -F /dev/null -i ${key} -p ${SSH_PORT} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes`;
  return { config: join(dir, 'sshd_config'), client };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** Every "<WORD> <ms>" line index 0 printed. */
const timings = (report: PodReport, word: string) => [...report.stdout.matchAll(new RegExp(`^${word} (\\d+)$`, 'gm'))].map((match) => Number(match[1]));

export async function runLaunch(n: number, runs: number, bytes: number): Promise<LaunchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-bench-launch-'));
  const cluster = await Cluster.create();
  try {
    const ssh = sshSetUp(dir);
    const timed = (word: string, command: string) => `s=$(date +%s%N); ${command}; echo "${word} $(( ($(date +%s%N) - s) / 1000000 ))"`;
    const mpirun = (agent: string) => `mpirun.openmpi --mca plm_rsh_agent "${agent}" -np ${n} hostname > /dev/null`;
    const script = [
      'set -e',
      ...Array.from({ length: runs }, () => [timed('ROLLCALL', mpirun(`${process.execPath} ${ROLLCALL} exec`)), timed('SSH', mpirun(ssh.client))]).flat(),
      timed('RELAY_ROLLCALL', `${process.execPath} ${ROLLCALL} exec 1 head -c ${bytes} /dev/zero | wc -c > /dev/null`),
      timed('RELAY_SSH', `${ssh.client} example-job-1.headless-svc head -c ${bytes} /dev/zero | wc -c > /dev/null`),
    ].join('\n');
    const env = { ROLLCALL_COUNT: String(n), ROLLCALL_TIMEOUT: '120s', ROLLCALL_SECRET: 'bench', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
    // Every pod runs its sshd before it checks in, so no launch (by either agent) can find one missing.
    const pods = await Promise.all(
      Array.from({ length: n }, (_, index) =>
        cluster.startPod({
          job: 'example-job',
          index,
          command: ['sh', '-c', `/usr/sbin/sshd -f ${ssh.config} && exec "$@"`, 'pod', process.execPath, ROLLCALL, ...(index === 0 ? ['--preset', 'openmpi', '--', 'sh', '-c', script] : ['serve'])],
          env,
        }),
      ),
    );
    const reports = await Promise.all(pods.map((pod) => pod.finished(600_000)));
    const launcher = reports[0] as PodReport;
    if (launcher.exitCode !== 0) throw new Error(`index 0 exited ${launcher.exitCode}:\n${launcher.stderr.slice(-3000)}`);
    const [rollcallRelay, sshRelay] = [timings(launcher, 'RELAY_ROLLCALL')[0] as number, timings(launcher, 'RELAY_SSH')[0] as number];
    return {
      n,
      runs,
      rollcallLaunchMs: median(timings(launcher, 'ROLLCALL')),
      sshLaunchMs: median(timings(launcher, 'SSH')),
      bytes,
      rollcallMBps: bytes / 1e6 / (rollcallRelay / 1000),
      sshMBps: bytes / 1e6 / (sshRelay / 1000),
    };
  } finally {
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
