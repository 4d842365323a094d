import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDnsServer } from '../../src/cli/dns-server.js';
import { peerFqdn } from '../../src/identity/names.js';
import manifest from '../../package.json' with { type: 'json' };
import { ROLLCALL } from '../../harness/built.js';
import { loopbackPodEnv } from '../../harness/loopback-pod.js';
import { runProcess } from '../support/process.js';
import { EXECUTABLE } from '../../harness/built.js';
import { describeWith } from '../../harness/requirements.js';
import { freePort } from './loopback.js';

const ELF_MACHINE = { x64: 62, arm64: 183 } as const;
const SEA_BLOB_MAGIC = 0x0143da20;

/** What an ELF file says of itself: its machine, and the single-executable blob and fuse if injected. */
function elfFacts(file: string): { machine: number; seaBlob: boolean; fuseOn: boolean } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(bytes[4], 'ELFCLASS64').toBe(2);
  expect(bytes[5], 'little-endian').toBe(1);
  const [phoff, phentsize, phnum] = [Number(bytes.readBigUInt64LE(0x20)), bytes.readUInt16LE(0x36), bytes.readUInt16LE(0x38)];
  let seaBlob = false;
  for (let header = 0; header < phnum; header++) {
    const at = phoff + header * phentsize;
    if (bytes.readUInt32LE(at) !== 4) continue; // PT_NOTE
    const [offset, size] = [Number(bytes.readBigUInt64LE(at + 8)), Number(bytes.readBigUInt64LE(at + 32))];
    for (let note = offset; note + 12 <= offset + size; ) {
      const [namesz, descsz] = [bytes.readUInt32LE(note), bytes.readUInt32LE(note + 4)];
      const name = bytes.subarray(note + 12, note + 12 + namesz).toString('latin1').replace(/\0+$/, '');
      const desc = note + 12 + Math.ceil(namesz / 4) * 4;
      if (name === 'NODE_SEA_BLOB' && bytes.readUInt32LE(desc) === SEA_BLOB_MAGIC) seaBlob = true;
      note = desc + Math.ceil(descsz / 4) * 4;
    }
  }
  return { machine: bytes.readUInt16LE(0x12), seaBlob, fuseOn: bytes.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1') };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describeWith(['executables'], 'the single executables', () => {
  const dns = new LocalDnsServer('cluster.local');
  let server: string;
  const work = mkdtempSync(join(tmpdir(), 'rollcall-exe-'));
  beforeAll(async () => {
    server = await dns.start();
    dns.set(peerFqdn('solo', 0, 'svc', 'ns', 'cluster.local'), ['127.0.0.1']);
  });
  afterAll(() => {
    dns.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A pod of a group of one on 127.0.0.1, its name served by the embedded DNS server. */
  const soloPod = async (extra: Record<string, string> = {}) => ({ ...loopbackPodEnv('solo', { dnsServer: server, port: await freePort('127.0.0.1') }), ...extra });

  const freshDir = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir);
    return dir;
  };

  test.each(Object.entries(EXECUTABLE))('%s is an ELF for its machine with the blob injected and the fuse flipped', (arch, file) => {
    expect(elfFacts(file)).toEqual({ machine: ELF_MACHINE[arch as keyof typeof ELF_MACHINE], seaBlob: true, fuseOn: true });
  });

  test('SHA256SUMS beside them matches each', () => {
    const sums = readFileSync(join(EXECUTABLE.x64, '../SHA256SUMS'), 'utf8');
    for (const file of Object.values(EXECUTABLE)) expect(sums).toContain(`${sha256(file)}  ${file.split('/').at(-1)}`);
  });

  describe('linux-x64, run here', () => {
    test('--version names the package version and the Node it carries', async () => {
      const { code, stdout } = await runProcess([EXECUTABLE.x64, '--version']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^rollcall ${manifest.version.replace(/\./g, '\\.')} \\(single executable, linux-x64, Node v22\\.\\d+\\.\\d+\\)\\n$`));
    });

    test('a group of one releases and runs the workload with the group env', async () => {
      const { code, stdout, stderr } = await runProcess([EXECUTABLE.x64, '--', 'sh', '-c', 'echo "rank $RANK of $WORLD_SIZE at $MASTER_ADDR"'], await soloPod());
      expect(code, stderr).toBe(0);
      expect(stdout).toBe('rank 0 of 1 at solo-0.svc\n');
      expect(stderr).toContain('released as index 0');
    });

    test('local mode starts its replicas from the executable itself', async () => {
      const { code, stdout, stderr } = await runProcess([EXECUTABLE.x64, 'local', '-n', '3', '--', 'sh', '-c', 'echo "rank $RANK of $WORLD_SIZE"'], {}, { timeoutMs: 60_000 });
      expect(code, stderr).toBe(0);
      for (let rank = 0; rank < 3; rank++) expect(stdout).toContain(`rank ${rank} of 3`);
    });

    test('the icmp probe is refused with a reason (no native modules inside), exit 78', async () => {
      // Run from where a pod has it: next to dist/ it would find the repository's node_modules, net-ping
      // included, built for whichever Node the suite runs on.
      const dir = freshDir('icmp');
      expect((await runProcess([EXECUTABLE.x64, 'install', dir])).code).toBe(0);
      const { code, stderr } = await runProcess([join(dir, 'rollcall'), 'wait'], await soloPod({ ROLLCALL_PROBE: 'icmp', ROLLCALL_TERMINATION_LOG: join(work, 'none') }));
      expect(code).toBe(78);
      expect(stderr).toContain('single executable carries no native modules');
      // At once, before any peer is checked: a pod whose group is not there yet is told too, not timed out.
      const waiting = await runProcess([join(dir, 'rollcall'), 'wait'], await soloPod({ ROLLCALL_PROBE: 'icmp', ROLLCALL_COUNT: '3', ROLLCALL_JOB_NAME: 'nobody-here', ROLLCALL_TIMEOUT: '30s', ROLLCALL_TERMINATION_LOG: join(work, 'none') }));
      expect(waiting.code, waiting.stderr).toBe(78);
    });

    test('install puts the executable and its launcher in the directory, whole, and prints the launcher', async () => {
      const dir = freshDir('install-ok');
      const { code, stdout, stderr } = await runProcess([EXECUTABLE.x64, 'install', dir]);
      expect(code, stderr).toBe(0);
      expect(stdout).toBe(`${join(dir, 'rollcall')}\n`);
      expect(readdirSync(dir).sort()).toEqual(['rollcall', 'rollcall-linux']);
      for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o755);
      expect(sha256(join(dir, 'rollcall-linux'))).toBe(sha256(EXECUTABLE.x64));
      const launched = await runProcess([join(dir, 'rollcall'), '--version']);
      expect(launched.code).toBe(0);
      expect(launched.stdout).toContain('single executable, linux-x64');
    });

    test('install over an earlier install replaces it', async () => {
      const dir = freshDir('install-again');
      writeFileSync(join(dir, 'rollcall-linux'), 'old');
      expect((await runProcess([EXECUTABLE.x64, 'install', dir])).code).toBe(0);
      expect(sha256(join(dir, 'rollcall-linux'))).toBe(sha256(EXECUTABLE.x64));
    });

    test.each([
      ['a missing directory', () => join(work, 'absent'), 'does not exist'],
      ['a file', () => join(freshDir('file-parent'), 'file'), 'is not a directory'],
    ])('install into %s fails with exit 73 and the reason', async (_, target, reason) => {
      const path = target();
      if (path.endsWith('file')) writeFileSync(path, 'x');
      const { code, stdout, stderr } = await runProcess([EXECUTABLE.x64, 'install', path]);
      expect(code).toBe(73);
      expect(stdout).toBe('');
      expect(stderr).toContain(reason);
    });

    test('install from the npm-installed CLI refuses: there is no executable to copy', async () => {
      const dir = freshDir('from-npm');
      const { code, stderr } = await runProcess([process.execPath, ROLLCALL, 'install', dir]);
      expect(code).toBe(73);
      expect(stderr).toContain('runs as a script on Node');
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  describeWith(['root', 'unshare'], 'install onto mounts that fail it', () => {
    /** Runs install in a mount namespace of its own with `dir` mounted by `mount`, then lists what is left there. */
    const installOnMount = async (mount: string) => {
      const dir = freshDir(`mount-${Math.random().toString(36).slice(2)}`);
      const script = `${mount} "$0" && "$1" install "$0"; code=$?; echo "left: $(ls -A "$0")"; exit $code`;
      return runProcess(['unshare', '--mount', 'sh', '-c', script, dir, EXECUTABLE.x64]);
    };

    test('a read-only directory: exit 73, the reason, nothing written', async () => {
      const { code, stdout, stderr } = await installOnMount('mount -t tmpfs -o ro tmpfs');
      expect(code).toBe(73);
      expect(stderr).toMatch(/EROFS|not writable/);
      expect(stdout).toBe('left: \n');
    });

    test('a directory that fills up mid-copy: exit 73, and the partial copy is removed', async () => {
      const { code, stdout, stderr } = await installOnMount('mount -t tmpfs -o size=4m tmpfs');
      expect(code).toBe(73);
      expect(stderr).toContain('ENOSPC');
      expect(stdout).toBe('left: \n');
    });

    test('a directory with room for the executable but not its launcher: exit 73, and the copied executable is removed', async () => {
      const pages = Math.ceil(statSync(EXECUTABLE.x64).size / 4096);
      const { code, stdout, stderr } = await installOnMount(`mount -t tmpfs -o size=${pages * 4096} tmpfs`);
      expect(code).toBe(73);
      expect(stderr).toContain('ENOSPC');
      expect(stdout).toBe('left: \n');
    });
  });

  describeWith(['root', 'musl'], 'in an image without glibc (busybox and musl, as Alpine)', () => {
    test('the installed launcher says so, exit 126, where the bare executable gets only "not found"', async () => {
      const root = freshDir('alpine');
      for (const dir of ['bin', 'lib', 'dev', 'rollcall']) mkdirSync(join(root, dir));
      copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
      for (const tool of ['sh', 'uname', 'ls', 'head', 'dirname']) symlinkSync('busybox', join(root, 'bin', tool));
      copyFileSync('/lib/ld-musl-x86_64.so.1', join(root, 'lib/ld-musl-x86_64.so.1'));
      writeFileSync(join(root, 'dev/null'), '');
      expect((await runProcess([EXECUTABLE.x64, 'install', join(root, 'rollcall')])).code).toBe(0);
      const launched = await runProcess(['chroot', root, '/rollcall/rollcall', '--', 'true']);
      expect(launched.code).toBe(126);
      expect(launched.stderr).toContain('this image has no glibc (/lib64/ld-linux-x86-64.so.2 is missing; it has musl: /lib/ld-musl-x86_64.so.1)');
      const bare = await runProcess(['chroot', root, '/rollcall/rollcall-linux', '--version']);
      expect(bare.code).not.toBe(0);
      expect(bare.stderr).not.toContain('glibc');
    });
  });

  describeWith(['qemu'], 'linux-arm64, under qemu-user', () => {
    const arm64 = (args: string[], env: Record<string, string> = {}) => runProcess(['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', EXECUTABLE.arm64, ...args], env, { timeoutMs: 60_000 });

    test('--version', async () => {
      const { code, stdout, stderr } = await arm64(['--version']);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^rollcall \S+ \(single executable, linux-arm64, Node v22\.\d+\.\d+\)\n$/);
    });

    test('a group of one releases and runs the workload', async () => {
      const { code, stdout, stderr } = await arm64(['--', 'sh', '-c', 'echo "rank $RANK of $WORLD_SIZE"'], await soloPod());
      expect(code, stderr).toBe(0);
      expect(stdout).toBe('rank 0 of 1\n');
    });
  });
});
