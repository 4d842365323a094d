import { parseDnsServers } from '../discovery/resolve.js';
import { MAX_GROUP_SIZE } from '../identity/membership.js';
import type { WaitForPeersOptions } from './wait-options.js';

export const MAX_RESTARTS = 10_000;

export const PROBE = /^(tcp|icmp|dns|tcp:(\d{1,5}))$/;

/** A caller's options checked for type and range before anything is read: each wrong one named. */
export function checkOptionTypes(options: WaitForPeersOptions): void {
  const integer = (name: keyof WaitForPeersOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)) {
      throw new TypeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  integer('index', 0);
  integer('count', 1, MAX_GROUP_SIZE);
  integer('port', 0, 65535);
  integer('timeoutMs', 1);
  integer('attemptTimeoutMs', 1);
  integer('closeTimeoutMs', 0);
  integer('sessionTimeoutMs', 6);
  integer('concurrency', 1);
  integer('restarts', 0, MAX_RESTARTS);
  integer('exitTimeoutMs', 0);
  integer('stallTimeoutMs', 0);
  integer('lastCallMs', 0);
  if (options.fatalExitCodes !== undefined && (!Array.isArray(options.fatalExitCodes) || !options.fatalExitCodes.every((code) => Number.isSafeInteger(code) && code >= 1 && code <= 255))) {
    throw new TypeError(`Expected \`fatalExitCodes\` to be an array of integers from 1 to 255, got ${JSON.stringify(options.fatalExitCodes)}`);
  }
  integer('logIntervalMs', 1);
  if (options.probe !== undefined && typeof options.probe !== 'function' && !PROBE.test(options.probe)) {
    throw new TypeError(`Expected \`probe\` to be "tcp", "tcp:<port>", "icmp", "dns" or a function, got ${JSON.stringify(options.probe)}`);
  }
  if (options.topology !== undefined && !['mesh', 'star', 'auto'].includes(options.topology)) {
    throw new TypeError(`Expected \`topology\` to be "mesh", "star" or "auto", got ${JSON.stringify(options.topology)}`);
  }
  const { minDelayMs = 0, maxDelayMs = 0 } = options.backoff ?? {};
  if (minDelayMs < 0 || maxDelayMs < 0 || (options.backoff?.minDelayMs !== undefined && options.backoff.maxDelayMs !== undefined && maxDelayMs < minDelayMs)) {
    throw new TypeError('Expected `backoff` delays to be non-negative, with maxDelayMs ≥ minDelayMs');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('Expected `signal` to be an AbortSignal');
  }
  if (options.dnsServers !== undefined) parseDnsServers('dnsServers', options.dnsServers.join(','));
}

