import { execFileSync } from 'node:child_process';
import { describe, test } from 'vitest';

export type Requirement = 'root' | 'dnsmasq' | 'ip' | 'nft' | 'unshare' | 'ping' | 'script';

const PACKAGE: Record<Exclude<Requirement, 'root'>, string> = {
  dnsmasq: 'dnsmasq-base',
  ip: 'iproute2',
  nft: 'nftables',
  unshare: 'util-linux',
  ping: 'iputils-ping',
  script: 'bsdutils',
};

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What is missing, in words that say how to get it; empty when everything is here. */
export function missingRequirements(requirements: readonly Requirement[]): string[] {
  return requirements.flatMap((requirement) => {
    if (requirement === 'root') return process.getuid?.() === 0 ? [] : ['root (network namespaces need it: run as root)'];
    return hasCommand(requirement) ? [] : [`${requirement} (Debian package ${PACKAGE[requirement]}: apt-get install ${PACKAGE[requirement]})`];
  });
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
