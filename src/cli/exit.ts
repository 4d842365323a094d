import { existsSync, writeFileSync } from 'node:fs';
import { ConfigError, PeersTimeoutError, ProbeUnavailableError } from '../errors.js';
import { UsageError } from './flags.js';
import { InstallError } from './install.js';
import type { Logger } from './logger.js';

const EXIT = { usage: 64, install: 73, config: 78, timeout: 124 } as const;

/** Maps a failure to its exit code and writes the reason where `kubectl describe pod` shows it. */
export function fail(thrown: unknown, logger: Logger, terminationLog: string | undefined, flagOf: Record<string, string> = {}): number {
  const flag = thrown instanceof ConfigError ? flagOf[thrown.variable] : undefined;
  const error = thrown instanceof ConfigError && flag !== undefined ? thrown.as(flag) : thrown;
  const code =
    error instanceof UsageError ? EXIT.usage : error instanceof InstallError ? EXIT.install : error instanceof ConfigError || error instanceof ProbeUnavailableError ? EXIT.config : error instanceof PeersTimeoutError ? EXIT.timeout : 1;
  const message = error instanceof Error ? error.message : String(error);
  const fields = error instanceof PeersTimeoutError ? { code: error.code, missing: error.missing } : error instanceof ConfigError ? { code: error.code, variable: error.variable } : {};
  logger.line(message, fields, 'error');
  if (error instanceof UsageError) process.stderr.write(`Try "rollcall${error.command === '' || error.command === 'run' ? '' : ` ${error.command}`} --help".\n`);
  writeTerminationLog(terminationLog, message);
  return code;
}

/** Where `kubectl describe pod` shows why the container ended, when the kubelet mounted one. */
export function writeTerminationLog(path: string | undefined, message: string): void {
  if (path === undefined || !existsSync(path)) return;
  try {
    writeFileSync(path, `rollcall: ${message}\n`);
  } catch {
    // Best effort: the reason is on stderr already.
  }
}
