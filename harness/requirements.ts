import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'vitest';
import { EXECUTABLE } from './built.js';

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const aptGet = (packages: string) => `Debian package ${packages}: apt-get install ${packages}`;

/** Each machine piece a test may need: how to tell it is here, and how to get it. */
const REQUIREMENTS = {
  root: { present: () => process.getuid?.() === 0, missing: 'root (network and mount namespaces need it: run as root)' },
  dnsmasq: { present: () => hasCommand('dnsmasq'), missing: `dnsmasq (${aptGet('dnsmasq-base')})` },
  ip: { present: () => hasCommand('ip'), missing: `ip (${aptGet('iproute2')})` },
  nft: { present: () => hasCommand('nft'), missing: `nft (${aptGet('nftables')})` },
  unshare: { present: () => hasCommand('unshare'), missing: `unshare (${aptGet('util-linux')})` },
  ping: { present: () => hasCommand('ping'), missing: `ping (${aptGet('iputils-ping')})` },
  script: { present: () => hasCommand('script'), missing: `script (${aptGet('bsdutils')})` },
  executables: {
    present: () => Object.values(EXECUTABLE).every((file) => existsSync(file)),
    missing: `the single executables in dist/ (npm test builds them when the strip tools are here: ${aptGet('binutils binutils-aarch64-linux-gnu')})`,
  },
  qemu: {
    present: () => hasCommand('qemu-aarch64-static') && existsSync('/usr/aarch64-linux-gnu/lib/libstdc++.so.6'),
    missing: `qemu-aarch64-static with arm64's C and C++ libraries (${aptGet('qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross')})`,
  },
  musl: {
    present: () => existsSync('/bin/busybox') && existsSync('/lib/ld-musl-x86_64.so.1'),
    missing: `a static busybox and musl's loader, to stand in for an Alpine image (${aptGet('busybox-static musl')})`,
  },
  openmpi: {
    present: () => hasCommand('mpirun.openmpi') && hasCommand('mpicc.openmpi'),
    missing: `Open MPI 4's launcher and compiler (${aptGet('openmpi-bin libopenmpi-dev gcc libc6-dev')})`,
  },
  mpich: {
    present: () => hasCommand('mpiexec.hydra') && hasCommand('mpicc.mpich'),
    missing: `MPICH's Hydra launcher and compiler (${aptGet('mpich libmpich-dev gcc libc6-dev')})`,
  },
  sshd: {
    present: () => existsSync('/usr/sbin/sshd') && hasCommand('ssh') && hasCommand('ssh-keygen'),
    missing: `OpenSSH's server and client, the benchmark's baseline agent (${aptGet('openssh-server openssh-client')})`,
  },
  tini: { present: () => existsSync('/usr/bin/tini-static'), missing: `a static tini, for the rollcall image's entrypoint (${aptGet('tini')})` },
  torch: {
    present: () => {
      try {
        execFileSync('/usr/bin/python3', ['-c', 'import torch.distributed as d; assert d.is_gloo_available()'], { stdio: 'ignore', timeout: 60_000 });
        return true;
      } catch {
        return false;
      }
    },
    missing: `PyTorch with gloo for /usr/bin/python3, a real distributed client (${aptGet('python3-torch')})`,
  },
} satisfies Record<string, { present: () => boolean; missing: string }>;

export type Requirement = keyof typeof REQUIREMENTS;

/** What is missing, in words that say how to get it; empty when everything is here. */
export function missingRequirements(requirements: readonly Requirement[]): string[] {
  return requirements.filter((requirement) => !REQUIREMENTS[requirement].present()).map((requirement) => REQUIREMENTS[requirement].missing);
}

/**
 * A describe block that needs machine pieces. Without them it is skipped with the exact reason,
 * except under CI=true, where a missing piece is a failing test, never a skip.
 */
export function describeWith(requirements: readonly Requirement[], name: string, body: () => void): void {
  const missing = missingRequirements(requirements);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = `needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('has what it needs', () => {
        throw new Error(`${name}: ${reason}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${reason}]`, body);
  }
}
