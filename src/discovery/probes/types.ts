/** A peer as a probe sees it: resolved, not yet proven reachable. */
export interface ProbeTarget {
  index: number;
  /** The name that was resolved (FQDN when known). */
  name: string;
  addresses: readonly string[];
}

export interface ProbeResult {
  /** The address that answered; none for a probe that contacts nobody (dns) or does not say (a function). */
  address?: string;
  rttMs?: number;
}

/** Throws AttemptError for "not yet", ProbeUnavailableError for "never here". */
export type Probe = (target: ProbeTarget, signal: AbortSignal) => Promise<ProbeResult>;

/** A user's own check: resolve (or return true) when the peer is ready, return false or throw when not yet. */
export type ProbeFunction = (target: ProbeTarget, context: { signal: AbortSignal; timeoutMs: number }) => Promise<boolean | void> | boolean | void;

/**
 * `tcp`: a handshake with the peer's rollcall listener (the default; "reachable" means rollcall runs there).
 * `tcp:<port>`: a TCP connect to an application port. `icmp`: an echo through net-ping (needs CAP_NET_RAW).
 * `dns`: resolution alone. A function: the caller's own check.
 */
export type ProbeSpec = 'tcp' | `tcp:${number}` | 'icmp' | 'dns' | ProbeFunction;
