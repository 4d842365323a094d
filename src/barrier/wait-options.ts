import type { Socket } from 'node:net';
import type { GroupCount } from '../errors.js';
import type { IdentityOptions } from '../identity/identity.js';
import type { Backoff } from '../discovery/peer-check.js';
import type { ProbeSpec } from '../discovery/probes/types.js';
import type { Env } from '../settings.js';

export type Topology = 'mesh' | 'star';
export type IpFamilySetting = 'auto' | 'ipv4' | 'ipv6' | 'dual';

/** Everything is optional: inside a pod of an Indexed Job the defaults and the pod's own files suffice. */
export interface WaitForPeersOptions extends IdentityOptions {
  /** The Job's UID (ROLLCALL_JOB_UID): pods of an older Job with the same name are refused. */
  jobUid?: string;
  /** A shared secret (ROLLCALL_SECRET): only pods that prove it count. It never crosses the wire. */
  secret?: string;
  /** rollcall's own listener port (ROLLCALL_PORT), the same in every pod. */
  port?: number;
  /** Bind the listener to one address instead of all (ROLLCALL_LISTEN_HOST; local mode gives each replica a loopback address). */
  listenHost?: string;
  /** How a peer is checked (ROLLCALL_PROBE): `tcp` (default), `tcp:<port>`, `icmp`, `dns`, or a function. */
  probe?: ProbeSpec;
  /** ROLLCALL_TOPOLOGY: `mesh`, `star`, or `auto` (star with the default probe, which a star can apply; mesh with any other). */
  topology?: Topology | 'auto';
  /** Overall deadline (ROLLCALL_TIMEOUT). */
  timeoutMs?: number;
  /** Deadline of one DNS query or one connection attempt. */
  attemptTimeoutMs?: number;
  /** How long close() waits for every peer to confirm release. */
  closeTimeoutMs?: number;
  /**
   * How long a session with index 0 may go silent before either side counts the other as gone
   * (ROLLCALL_SESSION_TIMEOUT); both send a heartbeat every sixth of it. The same in every pod.
   */
  sessionTimeoutMs?: number;
  /**
   * Gang restarts (ROLLCALL_RESTARTS, default 0): on a failure every pod stops its workload and, once all
   * are gone, a new round starts them again together. Index 0's setting counts for the group.
   */
  restarts?: number;
  /**
   * An elastic group's last call (ROLLCALL_LAST_CALL, default 5 s): once `minCount` pods are there, and
   * every pod with a session has arrived, a round releases after this long with no newcomer.
   */
  lastCallMs?: number;
  /** Exit codes that end the group at once without using a restart (ROLLCALL_FATAL_EXIT_CODES). */
  fatalExitCodes?: number[];
  /**
   * Stall detection (ROLLCALL_STALL_TIMEOUT, off by default): a workload that has reported progress
   * (`group.progress()`, or touching ROLLCALL_PROGRESS_FILE under the CLI) and then reports none for this
   * long while it still runs is stalled, a failure of its pod. Index 0's setting counts for the group.
   */
  stallTimeoutMs?: number;
  /**
   * How long close() keeps a pod whose workload succeeded in the group, until every workload has
   * finished (ROLLCALL_EXIT_TIMEOUT, default 5 min); 0 turns the exit barrier off.
   */
  exitTimeoutMs?: number;
  /** Nameservers to ask instead of resolv.conf's (ROLLCALL_DNS_SERVERS). */
  dnsServers?: string[];
  /** Which address families to resolve and probe (ROLLCALL_IP_FAMILY); `auto` follows the pod's own addresses. */
  ipFamily?: IpFamilySetting;
  /** Attempts in flight at once (ROLLCALL_CONCURRENCY). */
  concurrency?: number;
  backoff?: Partial<Backoff>;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Where log lines go (stderr by default), with their facts as fields; `false` silences them. */
  log?: false | LogFunction;
  /** How often the "k/N confirmed; waiting for …" line is written while waiting. */
  logIntervalMs?: number;
  /** The environment to read (process.env by default). */
  env?: Env;
  /**
   * Connections of other kinds this pod's listener takes from the group (a remote launch): each is handed
   * over once the peer has proved it belongs to the group, for the part that serves it.
   */
  sessions?: ServedSessions;
  /** A dotenv file of ROLLCALL_* values; ROLLCALL_ENV_FILE names it by default. */
  envFile?: string;
}

/** A connection from (or to) a peer of the group, past its handshake: the socket and what came after it. */
export interface PeerConnection {
  socket: Socket;
  /** Bytes that arrived with the handshake's last frame: the start of what the session speaks. */
  rest: Buffer;
  /** The peer's index. */
  index: number;
}

export interface ServedSessions {
  launch?: (connection: PeerConnection) => void;
}

export type LogFunction = (line: string, fields?: Record<string, unknown>) => void;

/** What this pod knows of a barrier: `ready` confirmed, `missing` known absent (and why); the rest it has not checked. */
export interface Progress extends GroupCount {
  barrier: string;
}
