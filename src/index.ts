/// <reference types="node" preserve="true" />
// The declarations use Node's types (sockets, buffers): they must say so themselves, for a project whose
// compiler includes no @types by default (TypeScript 7).
export { waitForPeers } from './barrier/wait-for-peers.js';
export type { Group, Peer, BarrierOptions, OutcomeReport, CloseOptions } from './barrier/group.js';
export type { WorkloadOutcome } from './lifecycle/outcome.js';
export { DEFAULTS, type WaitForPeersOptions, type Progress, type Topology, type IpFamilySetting, type LogFunction } from './barrier/options.js';
export { readIdentity, type Identity, type IdentityOptions, type PodFiles } from './identity/identity.js';
export type { GroupOptions } from './identity/group-of-pod.js';
export { isDnsLabel, peerShortName, peerFqdn, podHostname } from './identity/names.js';
export type { Membership, PartPlace, GroupPart } from './identity/membership.js';
export { RollcallError, ConfigError, PeersTimeoutError, PeerFailedError, ProbeUnavailableError, type MissingPeer, type MissingReason, type MissingReasonCode } from './errors.js';
export type { GroupFailure, FailureHow, StalledPod } from './group-failure.js';
export type { ProbeTarget, ProbeFunction, ProbeSpec } from './discovery/probes/types.js';
export type { GroupStatus, PodStatus, PodState } from './lifecycle/group-status.js';
