import { isIP } from 'node:net';
import { MEMBER_RANGES } from './member-ranges.js';
import { isMissingReasonCode, type MissingReasonCode } from '../errors.js';
import type { FailureHow } from '../group-failure.js';

/**
 * What goes on the wire, and the only way in: newline-delimited JSON frames on a session, and datagrams
 * beside it. Every inbound message is bounded and validated field by field; anything else is dropped.
 */
export const PROTOCOL_VERSION = 8;
export const MAX_FRAME_BYTES = 4096;

/**
 * What a hello asks for: a probe is answered and ended; a member's session is index 0's; a launch runs a
 * command; a status is index 0's view of the group, answered and ended.
 */
export type Role = 'probe' | 'member' | 'launch' | 'status';
const ROLES: readonly unknown[] = ['probe', 'member', 'launch', 'status'] satisfies Role[];

export interface Hello {
  t: 'hello';
  v: number;
  job: string;
  uid: string;
  size: number;
  index: number;
  gen: string;
  role: Role;
  nonce: string;
  mac: string;
}

export type Frame =
  | { t: 'challenge'; v: number; nonce: string }
  | Hello
  | { t: 'welcome'; index: number; gen: string; mac: string }
  | { t: 'refuse'; reason: string }
  | { t: 'arrive'; barrier: string; addrs: string[] }
  | { t: 'progress'; barrier: string; ready: number; missing: [number, MissingReasonCode][] }
  | ({ t: 'release'; barrier: string } & ReleaseFields)
  | { t: 'seen'; indexes: number[] }
  | { t: 'bye' }
  | { t: 'beat' }
  | { t: 'ack'; barrier: string }
  | { t: 'nudge'; port: number; token: string }
  | { t: 'alive'; round: number }
  | { t: 'leaving'; round: number; signal: string }
  | { t: 'done'; round: number }
  | OutcomeFrame
  | StopFrame;

/**
 * What a release carries beside its barrier: each index's own addresses (a star's start barrier, in a group
 * small enough), and, in an elastic group, the members it released (see `encodeMembers`).
 */
export interface ReleaseFields {
  roster?: string[][];
  members?: string;
  /** An elastic group's round: the restarts used before it, which its changes of membership did not raise. */
  used?: number;
}

/** A member's own workload ended in `round` (member to index 0; the session says whose it is). */
export interface OutcomeFrame {
  t: 'outcome';
  round: number;
  exit: number | null;
  signal: string | null;
  ms: number;
}

/** Index 0's verdict: `round` is over because of the failure named; `next` is the restart round, if one follows. */
export interface StopFrame {
  t: 'stop';
  round: number;
  next: number | null;
  index: number;
  how: FailureHow;
  exit: number | null;
  signal: string | null;
  ms: number;
  /** For a stall: each stalled pod's index and how long it has been silent, the longest first. */
  stalled?: [number, number][];
  /** Restarts used so far, this verdict's included (absent from a version 6 peer: then `next`, or `round`). */
  used?: number;
  /** An elastic group's membership changed: the restart round runs at the new size and uses no restart. */
  membership?: true;
}

const FAILURE_HOWS: readonly unknown[] = ['exit', 'signal', 'vanished', 'replaced', 'stalled', 'joined'] satisfies FailureHow[];
/** Stalled pods named in one stop frame: enough to say who, small enough for one frame. */
export const MAX_STALLED = 32;

/**
 * Datagrams beside a member's session. TCP delivers in order, so a release queued behind one lost
 * segment waits out the retransmission timer, which doubles with every loss; a datagram re-sent at a fixed
 * interval does not. The token, sent by the member over its authenticated session, is what makes a
 * datagram count: whoever cannot read that session cannot forge one.
 */
export type Datagram = ({ t: 'release'; barrier: string; token: string } & ReleaseFields) | { t: 'ack'; barrier: string; token: string };
/** Fits one packet on any path (IPv6's minimum MTU is 1280): a datagram is never fragmented. */
export const MAX_DATAGRAM_BYTES = 1200;

const NONCE = /^[0-9a-f]{32}$/;
const TOKEN = NONCE;
const GEN = /^[0-9a-z-]{1,40}$/;
const MAC = /^([0-9a-f]{64})?$/;
const BARRIER = /^[\w.:-]{1,64}$/;
const LABEL_PATH = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SIGNAL = /^SIG[A-Z0-9]{1,12}$/;
const MAX_ADDRS = 8;
/** Indexes in one `seen` frame: a burst of joins goes out in frames of at most this many. */
export const MAX_SEEN = 256;

const isInt = (value: unknown, max = 1_000_000): value is number => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;
const isStr = (value: unknown, pattern: RegExp): value is string => typeof value === 'string' && pattern.test(value);
const isAddrs = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length <= MAX_ADDRS && value.every((address) => typeof address === 'string' && isIP(address) !== 0);

/** A JSON object's fields, or undefined for anything else (bad JSON, an array, a bare value). */
function jsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export type FrameKind = Frame['t'];
/** The frame of one kind. */
export type FrameOf<K extends FrameKind> = Extract<Frame, { t: K }>;
type Fields = Record<string, unknown>;

/**
 * Every kind of frame and what makes one valid: a new kind is one entry here (and its type above), and a
 * handler in the role that takes it (see `routeFrames`). A kind not listed is never parsed.
 */
const FRAME_KINDS: { [K in FrameKind]: (frame: Fields) => boolean } = {
  challenge: (frame) => isInt(frame.v) && isStr(frame.nonce, NONCE),
  hello: (frame) =>
    isInt(frame.v) &&
    isStr(frame.job, LABEL_PATH) &&
    typeof frame.uid === 'string' &&
    frame.uid.length <= 64 &&
    isInt(frame.size) &&
    isInt(frame.index) &&
    isStr(frame.gen, GEN) &&
    ROLES.includes(frame.role) &&
    isStr(frame.nonce, NONCE) &&
    isStr(frame.mac, MAC),
  welcome: (frame) => isInt(frame.index) && isStr(frame.gen, GEN) && isStr(frame.mac, MAC),
  refuse: (frame) => typeof frame.reason === 'string' && frame.reason.length <= 200,
  arrive: (frame) => isStr(frame.barrier, BARRIER) && isAddrs(frame.addrs),
  ack: (frame) => isStr(frame.barrier, BARRIER),
  progress: (frame) =>
    isStr(frame.barrier, BARRIER) && isInt(frame.ready) && Array.isArray(frame.missing) && frame.missing.every((entry) => Array.isArray(entry) && isInt(entry[0]) && isMissingReasonCode(entry[1])),
  seen: (frame) => Array.isArray(frame.indexes) && frame.indexes.length <= MAX_SEEN && frame.indexes.every((index) => isInt(index)),
  bye: () => true,
  beat: () => true,
  release: (frame) => isRelease(frame),
  nudge: (frame) => isInt(frame.port, 65_535) && frame.port > 0 && isStr(frame.token, TOKEN),
  outcome: (frame) => isInt(frame.round) && isEnding(frame),
  stop: (frame) =>
    isInt(frame.round) &&
    (frame.next === null || isInt(frame.next)) &&
    isInt(frame.index) &&
    FAILURE_HOWS.includes(frame.how) &&
    isEnding(frame) &&
    (frame.used === undefined || isInt(frame.used)) &&
    (frame.membership === undefined || frame.membership === true) &&
    (frame.stalled === undefined ||
      (Array.isArray(frame.stalled) && frame.stalled.length <= MAX_STALLED && frame.stalled.every((entry) => Array.isArray(entry) && entry.length === 2 && isInt(entry[0]) && isInt(entry[1], Number.MAX_SAFE_INTEGER)))),
  alive: (frame) => isInt(frame.round),
  leaving: (frame) => isInt(frame.round) && isStr(frame.signal, SIGNAL),
  done: (frame) => isInt(frame.round),
};

/** Parses one frame, or returns undefined for anything that is not exactly a known message. */
export function parseFrame(line: string): Frame | undefined {
  const frame = jsonObject(line);
  if (frame === undefined || typeof frame.t !== 'string' || !Object.hasOwn(FRAME_KINDS, frame.t)) return undefined;
  return FRAME_KINDS[frame.t as FrameKind](frame) ? (frame as Frame) : undefined;
}

/** How a workload ended: an exit code, a signal, or neither (a pod that vanished), and when. */
const isEnding = (frame: Record<string, unknown>) =>
  (frame.exit === null || isInt(frame.exit, 255)) && (frame.signal === null || isStr(frame.signal, SIGNAL)) && isInt(frame.ms, Number.MAX_SAFE_INTEGER);

const isRelease = (frame: Record<string, unknown>) =>
  isStr(frame.barrier, BARRIER) &&
  (frame.roster === undefined || (Array.isArray(frame.roster) && frame.roster.every(isAddrs))) &&
  (frame.members === undefined || isStr(frame.members, MEMBER_RANGES)) &&
  (frame.used === undefined || isInt(frame.used));

/** Parses one datagram, or returns undefined for anything oversized or not exactly a known datagram. */
export function parseDatagram(bytes: Buffer): Datagram | undefined {
  if (bytes.length > MAX_DATAGRAM_BYTES) return undefined;
  const datagram = jsonObject(bytes.toString('utf8'));
  if (datagram === undefined || !isStr(datagram.token, TOKEN)) return undefined;
  if (datagram.t === 'release') return isRelease(datagram) ? (datagram as Datagram) : undefined;
  if (datagram.t === 'ack') return isStr(datagram.barrier, BARRIER) ? (datagram as Datagram) : undefined;
  return undefined;
}

/** The datagram's bytes, or undefined when it would not fit one packet (a large roster goes by session only). */
export function encodeDatagram(datagram: Datagram): Buffer | undefined {
  const bytes = Buffer.from(JSON.stringify(datagram));
  return bytes.length <= MAX_DATAGRAM_BYTES ? bytes : undefined;
}

export function isValidBarrierName(name: string): boolean {
  return BARRIER.test(name);
}
