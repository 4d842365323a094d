import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { isSea } from 'node:sea';
import { AttemptError, ProbeUnavailableError } from '../../errors.js';
import type { Probe } from './types.js';
import { systemClock } from '../../time/clock.js';

interface PingSession {
  pingHost(target: string, callback: (error: Error | null, target: string, sent?: Date, received?: Date) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}

interface NetPing {
  createSession(options: { networkProtocol: number; timeout: number; retries: number }): PingSession;
  NetworkProtocol: { IPv4: number; IPv6: number };
}

const SUGGESTION = 'Use probe "tcp" (the default), which needs no privileges.';

function loadNetPing(): NetPing {
  try {
    // net-ping is CommonJS and optional: a missing or unbuilt module must not break the other probes.
    return createRequire(import.meta.url)('net-ping') as NetPing;
  } catch (error) {
    const remedy = isSea()
      ? 'The single executable carries no native modules: use the npm package on Node 20 or 22 for icmp'
      : `It could not be loaded (${(error as Error).message.split('\n')[0]}). Install it (npm install net-ping; it builds on Node 20 and 22)`;
    throw new ProbeUnavailableError('icmp', `The icmp probe needs the optional module net-ping. ${remedy}, or: ${SUGGESTION}`, { cause: error });
  }
}

/** ICMP echo through a raw socket: needs CAP_NET_RAW, which the Restricted pod security profile forbids. */
export function icmpProbe(timeoutMs: number): { probe: Probe; close(): void } {
  let netPing: NetPing | undefined;
  const sessions = new Map<4 | 6, PingSession>();

  function session(family: 4 | 6): PingSession {
    const existing = sessions.get(family);
    if (existing !== undefined) return existing;
    netPing ??= loadNetPing();
    let created: PingSession;
    try {
      created = netPing.createSession({
        networkProtocol: family === 4 ? netPing.NetworkProtocol.IPv4 : netPing.NetworkProtocol.IPv6,
        timeout: timeoutMs,
        retries: 0,
      });
    } catch (error) {
      const denied = /permitted|EPERM|EACCES/i.test((error as Error).message);
      throw new ProbeUnavailableError(
        'icmp',
        denied
          ? `The icmp probe cannot open a raw socket: the container lacks CAP_NET_RAW (add it under securityContext.capabilities, which the Restricted profile forbids). ${SUGGESTION}`
          : `The icmp probe cannot open a raw socket (${(error as Error).message}). ${SUGGESTION}`,
        { cause: error },
      );
    }
    // Errors surface per request through pingHost's callback; the session-level event only needs a listener.
    created.on('error', () => {});
    sessions.set(family, created);
    return created;
  }

  function pingOne(address: string): Promise<{ address: string; rttMs: number }> {
    const family = isIP(address) === 6 ? 6 : 4;
    const started = systemClock.now();
    return new Promise((resolve, reject) => {
      session(family).pingHost(address, (error) => {
        if (error === null) return resolve({ address, rttMs: systemClock.now() - started });
        const reason = error.name === 'RequestTimedOutError' ? 'timeout' : 'unreachable';
        reject(new AttemptError(reason, `${address} ${error.message}`, { cause: error }));
      });
    });
  }

  // Whether icmp can run here at all is known before any name resolves: say so at once (exit 78), not
  // after the whole wait. A raw IPv4 socket opens whatever addresses the pod has.
  session(4);

  const probe: Probe = async (target, signal) => {
    if (signal.aborted) throw signal.reason;
    if (target.addresses.length === 0) throw new AttemptError('no-address');
    try {
      return await Promise.any(target.addresses.map(pingOne));
    } catch (error) {
      const first = (error as AggregateError).errors?.[0] ?? error;
      throw first instanceof ProbeUnavailableError || first instanceof AttemptError ? first : new AttemptError('probe-failed', String(first));
    }
  };

  return {
    probe,
    close() {
      for (const open of sessions.values()) open.close();
      sessions.clear();
    },
  };
}
