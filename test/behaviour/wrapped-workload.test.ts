import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { assertBuilt } from '../integration/support.js';
import { runProcess } from '../support/process.js';
import { scratchDir } from '../support/scratch.js';

const REPO = join(import.meta.dirname, '../..');
const LIBRARY = join(REPO, 'dist/index.js');
const dir = scratchDir('rollcall-wrapped-');

/** A workload in Node that uses the library itself, as examples/workload.ts does. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `import { waitForPeers, PeerFailedError, RollcallError } from ${JSON.stringify(LIBRARY)};\n${body}\n`);
  return path;
}

const local = (replicas: number, workload: string[], env: Record<string, string> = {}) =>
  runProcess([process.execPath, ROLLCALL, 'local', '-n', String(replicas), '--timeout', '20s', '--', ...workload], { HOME: dir, ...env }, { timeoutMs: 60_000 });

describe('a workload under rollcall that calls waitForPeers itself', () => {
  beforeAll(() => assertBuilt());

  test("joins the wrapper's group (same index, peers and round), with no second listener, and its barriers hold the group", async () => {
    // Each replica marks that it joined before it comes to the barrier, and counts the marks once past it:
    // the lines of three processes reach rollcall local's stdout in no order that tells which came first.
    const marks = mkdtempSync(join(dir, 'joined-'));
    const app = script(
      'join.mjs',
      `import { readdirSync, writeFileSync } from 'node:fs';
const group = await waitForPeers();
console.log(\`joined \${group.index}/\${group.size} round \${group.round} peers \${group.peers.map((peer) => peer.name).join(',')}\`);
writeFileSync(\`\${process.env.MARKS}/\${group.index}\`, '');
await group.barrier('checkpoint');
console.log(\`past checkpoint \${group.index}, \${readdirSync(process.env.MARKS).length} joined\`);
try { group.report({ exitCode: 0 }); } catch (error) { console.log(\`report: \${error.code}\`); }
await group.close();`,
    );
    const { code, stdout, stderr } = await local(3, [process.execPath, app], { MARKS: marks });
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/in use|EADDRINUSE/);
    for (let index = 0; index < 3; index++) {
      expect(stdout).toContain(`[local-job-${index}] joined ${index}/3 round 0 peers local-job-0.local-svc,local-job-1.local-svc,local-job-2.local-svc`);
      // A barrier releases nobody early: every replica had joined before any passed the checkpoint.
      expect(stdout).toContain(`[local-job-${index}] past checkpoint ${index}, 3 joined`);
      // The wrapper owns the outcome: it reports the process's exit code.
      expect(stdout).toContain(`[local-job-${index}] report: ERR_ROLLCALL_WRAPPED`);
    }
  });

  test("the group's stop aborts the library's signal, naming the pod that failed", async () => {
    const app = script(
      'stop.mjs',
      `const group = await waitForPeers();
// Ignore the wrapper's SIGTERM long enough to report what the signal said.
process.on('SIGTERM', () => {});
if (group.index === 1) { await group.barrier('all-listening'); process.exit(3); }
group.signal.addEventListener('abort', () => {
  const reason = group.signal.reason;
  console.log(\`stopped: \${reason instanceof PeerFailedError} index \${reason.failure.index} exit \${reason.failure.exitCode}\`);
  process.exit(0);
});
await group.barrier('all-listening');
await new Promise(() => {});`,
    );
    const { code, stdout, stderr } = await local(3, [process.execPath, app], { ROLLCALL_GRACE: '10s' });
    expect(code, stderr).toBe(3);
    for (const index of [0, 2]) expect(stdout).toContain(`[local-job-${index}] stopped: true index 1 exit 3`);
  });

  test('"rollcall peers" inside a wrapped workload prints the wrapper\'s group; a nested "rollcall --" is refused', async () => {
    const peers = await local(2, [process.execPath, ROLLCALL, 'peers', '--json']);
    expect(peers.code, peers.stderr).toBe(0);
    const printed = peers.stdout.split('\n').filter((line) => line.startsWith('[local-job-0] ')).map((line) => line.slice('[local-job-0] '.length));
    expect(JSON.parse(printed.join('\n'))).toMatchObject({ index: 0, size: 2, jobName: 'local-job' });

    const nested = await local(1, [process.execPath, ROLLCALL, '--', 'true']);
    expect(nested.code).toBe(78);
    expect(nested.stderr).toContain('ROLLCALL_GROUP_SOCKET');
    expect(nested.stderr).toContain('already runs under "rollcall --"');
  });

  test('examples/workload.ts runs as its header says', async () => {
    const { code, stdout, stderr } = await runProcess([process.execPath, ROLLCALL, 'local', '-n', '3', '--', 'npx', 'tsx', 'examples/workload.ts'], { HOME: dir }, { timeoutMs: 90_000, cwd: REPO });
    expect(code, stderr).toBe(0);
    for (let index = 0; index < 3; index++) expect(stdout).toContain(`I am local-job-${index}.local-svc, ${index + 1} of 3`);
  });
});

describe('rollcall local hands the workload addresses, which resolve without its DNS server', () => {
  beforeAll(() => assertBuilt());

  test('MASTER_ADDR, the hostfile, ROLLCALL_PEERS and TF_CONFIG carry each replica\'s loopback address', async () => {
    const workload = ['sh', '-c', 'echo "master=$MASTER_ADDR peers=$ROLLCALL_PEERS tf=$TF_CONFIG"; tr "\\n" " " < "$ROLLCALL_HOSTFILE"; echo'];
    const { code, stdout, stderr } = await local(3, workload);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('[local-job-1] master=127.0.0.10 peers=127.0.0.10,127.0.0.11,127.0.0.12');
    expect(stdout).toContain('[local-job-2] 127.0.0.10 127.0.0.11 127.0.0.12');
    const tf = await runProcess([process.execPath, ROLLCALL, 'local', '-n', '2', '--preset', 'tf', '--', ...workload], { HOME: dir }, { timeoutMs: 60_000 });
    expect(tf.code, tf.stderr).toBe(0);
    expect(tf.stdout).toContain('"worker":["127.0.0.10:29500","127.0.0.11:29500"]');
    // Names stay available for those who want them.
    const named = await runProcess([process.execPath, ROLLCALL, 'local', '-n', '2', '--workload-hosts', 'names', '--', ...workload], { HOME: dir }, { timeoutMs: 60_000 });
    expect(named.stdout).toContain('[local-job-0] master=local-job-0.local-svc');
  });
});
