import type { Topology } from '../options.js';

export interface Peer {
  index: number;
  /** `<job>-<i>.<subdomain>`, as the task page names it. */
  name: string;
  /** `<job>-<i>.<subdomain>.<ns>.svc.<domain>` when namespace and domain are known. */
  fqdn: string | undefined;
  /** Every address the name resolved to (from this pod's check, or the coordinator's roster). */
  addresses: string[];
  /** The address that answered this pod's probe, when this pod probed the peer. */
  address: string | undefined;
  /** The last probe's round trip from this pod, when this pod probed the peer. */
  rttMs: number | undefined;
}

export interface BarrierOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Group {
  index: number;
  size: number;
  jobName: string;
  topology: Topology;
  self: Peer;
  peers: Peer[];
  /** Milliseconds from the call: until this pod's own checks passed, and until the group released. */
  timings: { checksMs: number; releaseMs: number };
  /** Synchronises the same group again (an exit barrier, a checkpoint), with the same guarantees. */
  barrier(name: string, options?: BarrierOptions): Promise<void>;
  /** Closes the listener once every peer has confirmed release (bounded by closeTimeoutMs). */
  close(): Promise<void>;
}
