import { AttemptError } from '../../errors.js';
import { icmpProbe } from './icmp.js';
import { tcpPortProbe } from './tcp.js';
import type { Probe, ProbeFunction, ProbeSpec } from './types.js';
import { systemClock } from '../../time/clock.js';

/**
 * Builds the probe for every spec but `tcp`, whose handshake with rollcall's own listener is the
 * barrier's business and is built there.
 */
export function buildProbe(spec: Exclude<ProbeSpec, 'tcp'>, timeoutMs: number): { probe: Probe; close(): void } {
  if (typeof spec === 'function') return { probe: customProbe(spec, timeoutMs), close() {} };
  if (spec === 'icmp') return icmpProbe(timeoutMs);
  if (spec === 'dns') return { probe: async () => ({}), close() {} };
  return { probe: tcpPortProbe(Number(spec.slice('tcp:'.length)), timeoutMs), close() {} };
}

function customProbe(check: ProbeFunction, timeoutMs: number): Probe {
  return async (target, signal) => {
    const started = systemClock.now();
    let verdict: boolean | void;
    try {
      verdict = await check(target, { signal, timeoutMs });
    } catch (error) {
      if (signal.aborted || error instanceof AttemptError) throw error;
      throw new AttemptError('probe-failed', (error as Error)?.message ?? String(error), { cause: error });
    }
    if (verdict === false) throw new AttemptError('probe-failed');
    return { rttMs: systemClock.now() - started };
  };
}
