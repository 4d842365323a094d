import { AttemptError, type MissingReasonCode } from '../errors.js';

// What a failed or empty lookup means to a caller, in words a person reads in the log.

/** getaddrinfo's and c-ares' error codes, as the reasons a missing peer is listed with. */
const REASON_BY_CODE: Record<string, MissingReasonCode> = {
  ENOTFOUND: 'no-such-name',
  ENODATA: 'no-address',
  EAI_NODATA: 'no-address',
  ETIMEOUT: 'dns-timeout',
  EAI_AGAIN: 'dns-timeout',
  ECANCELLED: 'dns-timeout',
  ESERVFAIL: 'dns-failure',
  EREFUSED: 'dns-refused',
  ECONNREFUSED: 'dns-refused',
};

/** A lookup's failure as a "not yet": its error code's reason, or a DNS failure for anything unknown. */
export function dnsFailure(error: unknown): AttemptError {
  if (error instanceof AttemptError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return new AttemptError(REASON_BY_CODE[code] ?? 'dns-failure', code, { cause: error });
}

/** "no such name" says more than "no address" for the other family, which says more than a timeout. */
export const DNS_FAILURE_RANK: MissingReasonCode[] = ['no-such-name', 'no-address', 'dns-refused', 'dns-failure', 'dns-timeout'];

/**
 * A name with no address yet: "no such name", or "no address" when the name exists without one of this
 * pod's families. `retryAfterMs`, when a negative answer says how long asking again is pointless, goes
 * into the words: how long the cluster DNS's cache will repeat it, or, with no cache known, when it is
 * asked again.
 */
export function notYetError(name: string, retryAfterMs: number, exists: boolean, cached: boolean): AttemptError {
  const seconds = (retryAfterMs / 1000).toFixed(1);
  const detail = retryAfterMs < 1000 ? name : cached ? `${name}; the cluster DNS's cache repeats that for ${seconds} s more` : `${name}; asked again in ${seconds} s, when a cache would let it go`;
  return new AttemptError(exists ? 'no-address' : 'no-such-name', detail, { retryAfterMs });
}
