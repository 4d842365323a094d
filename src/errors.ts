import { describeFailure, type GroupFailure } from './group-failure.js';
import { formatDuration } from './time/duration.js';

/**
 * Why a peer has not been seen yet: a stable code (what the wire carries and programs compare) and the
 * words a person reads in a log line, rendered only where a person or a caller sees it.
 */
export const MISSING_REASONS = {
  'no-such-name': 'no such name',
  'no-address': 'no address',
  'not-this-pod': 'address is not this pod',
  'dns-timeout': 'DNS timed out',
  'dns-failure': 'DNS server failure',
  'dns-refused': 'DNS refused',
  'connection-refused': 'connection refused',
  'timeout': 'timed out',
  'unreachable': 'unreachable',
  'refused-by-peer': 'refused by peer',
  'probe-failed': 'probe failed',
  'not-arrived': 'not arrived at coordinator',
  'still-checking': 'still checking its peers',
  'not-at-barrier': 'not at this barrier yet',
  'left': 'left the group',
  'not-checked': 'not checked yet',
} as const;

export type MissingReasonCode = keyof typeof MISSING_REASONS;
/** The words for a code: what MissingPeer.reason holds. */
export type MissingReason = (typeof MISSING_REASONS)[MissingReasonCode];

export function isMissingReasonCode(value: unknown): value is MissingReasonCode {
  return typeof value === 'string' && Object.hasOwn(MISSING_REASONS, value);
}

export interface MissingPeer {
  index: number;
  name: string;
  /** Why, as a stable code (`no-such-name`, `left`, …). */
  code: MissingReasonCode;
  /** Why, in words: the code's text. */
  reason: MissingReason;
  /** The low-level detail behind the reason (an errno, the peer's refusal text), when there is one. */
  detail?: string;
}

interface RollcallErrorOptions {
  cause?: unknown;
}

/** Base class of every error rollcall throws on purpose; `code` is stable across releases. */
export class RollcallError extends Error {
  override name = 'RollcallError';
  readonly code: string;

  constructor(code: string, message: string, options: RollcallErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Configuration that would make this pod disagree with its group; raised before any network work. */
export class ConfigError extends RollcallError {
  override name = 'ConfigError';
  /** The environment variable (or option) at fault. */
  readonly variable: string;
  readonly value: string | undefined;
  readonly problem: string;
  readonly hint: string;

  constructor(variable: string, value: string | undefined, problem: string, hint: string, options?: RollcallErrorOptions) {
    const shown = value === undefined ? 'unset' : JSON.stringify(value);
    super('ERR_ROLLCALL_CONFIG', `${variable} (${shown}): ${problem}. ${hint}`, options);
    this.variable = variable;
    this.value = value;
    this.problem = problem;
    this.hint = hint;
  }

  /** The same error, naming the value by where the user gave it (a CLI flag rather than its env twin). */
  as(name: string): ConfigError {
    const rename = (text: string) => text.replaceAll(this.variable, name);
    return new ConfigError(name, this.value, rename(this.problem), rename(this.hint), { cause: this.cause ?? this });
  }
}

/** The group did not assemble before the deadline; `missing` says who and why. */
export class PeersTimeoutError extends RollcallError {
  override name = 'PeersTimeoutError';
  readonly missing: MissingPeer[];
  readonly timeoutMs: number;
  /** The pods this pod knows arrived: index 0's count once it has spoken, else the peers it checked itself. */
  readonly arrived: number;
  /** Pods neither confirmed nor known missing: in a star, a member checks only itself and index 0. */
  readonly notChecked: number;
  readonly size: number;

  constructor(timeoutMs: number, count: GroupCount, barrier = 'start') {
    super('ERR_ROLLCALL_TIMEOUT', `${barrier} barrier timed out after ${formatDuration(timeoutMs)}: ${describeCount(count, 'missing')}`);
    this.missing = count.missing;
    this.timeoutMs = timeoutMs;
    this.arrived = count.ready;
    this.notChecked = notChecked(count);
    this.size = count.size;
  }
}

/** What one pod knows of its group's arrival: how many it has confirmed, who it knows is missing and why. */
export interface GroupCount {
  ready: number;
  size: number;
  missing: MissingPeer[];
}

export function notChecked({ ready, size, missing }: GroupCount): number {
  return Math.max(0, size - ready - missing.length);
}

/**
 * "1/4 confirmed; waiting for … (why); 2 not checked by this pod": the three kinds apart, so that a peer
 * this pod never checked is not counted as ready.
 */
export function describeCount(count: GroupCount, lead: 'waiting for' | 'missing' = 'waiting for'): string {
  const unknown = notChecked(count);
  const missing = count.missing.length === 0 ? '' : `; ${lead} ${describeMissing(count.missing)}`;
  return `${count.ready}/${count.size} confirmed${missing}${unknown === 0 ? '' : `; ${unknown} not checked by this pod (index 0 checks them)`}`;
}

/**
 * The group stopped this pod's round because a pod failed (its workload exited non-zero or on a signal,
 * or the pod vanished or was replaced). `failure` names the first failure; `next` is the restart round
 * when one follows, undefined when the group is over.
 */
export class PeerFailedError extends RollcallError {
  override name = 'PeerFailedError';
  readonly failure: GroupFailure;
  readonly round: number;
  readonly next: number | undefined;

  constructor(failure: GroupFailure, round: number, next: number | undefined) {
    const inPlace = failure.membership === true ? ' in place, using no restart' : '';
    super('ERR_ROLLCALL_PEER_FAILED', `${describeFailure(failure)}${round > 0 ? ` in restart round ${round}` : ''}${describeChange(failure)}; ${next === undefined ? 'the group stops' : `restart round ${next} follows${inPlace}`}`);
    this.failure = failure;
    this.round = round;
    this.next = next;
  }
}

/** A probe that cannot run in this pod at all (module or capability missing); retrying would not help. */
export class ProbeUnavailableError extends RollcallError {
  override name = 'ProbeUnavailableError';
  readonly probe: string;

  constructor(probe: string, message: string, options?: RollcallErrorOptions) {
    super('ERR_ROLLCALL_PROBE_UNAVAILABLE', message, options);
    this.probe = probe;
  }
}

export function describeMissing(missing: readonly MissingPeer[], limit = 8): string {
  if (missing.length === 0) return 'nobody';
  const shown = missing.slice(0, limit).map((peer) => `${peer.name} (${peer.reason})`);
  const more = missing.length > limit ? `, and ${missing.length - limit} more` : '';
  return shown.join(', ') + more;
}


/**
 * One failed attempt at a peer: "not yet", retried with backoff. Internal (not exported from the
 * package): callers see it folded into MissingPeer reasons.
 */
export class AttemptError extends Error {
  override name = 'AttemptError';
  readonly reason: MissingReasonCode;
  readonly detail: string | undefined;
  /** Asking sooner is pointless: a cache will repeat this answer until then (from the SOA of a negative answer). */
  readonly retryAfterMs: number;

  constructor(reason: MissingReasonCode, detail?: string, options?: RollcallErrorOptions & { retryAfterMs?: number }) {
    const words = MISSING_REASONS[reason];
    super(detail === undefined ? words : `${words}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.detail = detail;
    this.retryAfterMs = options?.retryAfterMs ?? 0;
  }
}

/** Of the failures of one attempt's parts (a name's families, a peer's addresses), the one that says most. */
export function mostTelling(failures: readonly AttemptError[], ranking: readonly MissingReasonCode[]): AttemptError | undefined {
  const rank = (failure: AttemptError) => {
    const position = ranking.indexOf(failure.reason);
    return position === -1 ? ranking.length : position;
  };
  return failures.reduce<AttemptError | undefined>((best, failure) => (best === undefined || rank(failure) < rank(best) ? failure : best), undefined);
}

/** What an elastic group's change of membership does: ": the group grows", ": the group shrinks", or nothing. */
function describeChange(failure: GroupFailure): string {
  if (failure.membership !== true) return '';
  return failure.how === 'joined' ? ': the group grows' : ': the group shrinks';
}

