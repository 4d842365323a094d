import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { Group, Peer } from '../barrier/group.js';
import { ConfigError } from '../errors.js';
import { MPI_PRESETS, mpiEnv, type MpiAgent, type MpiPreset } from './mpi-presets.js';

export type HostfileFormat = 'plain' | 'openmpi' | 'mpich';
export type Preset = 'torchrun' | 'tf' | 'jax' | MpiPreset;
export const PRESETS: readonly Preset[] = ['torchrun', 'tf', 'jax', ...MPI_PRESETS];
/** How the workload's env names each pod: its DNS name, or its address where no resolver knows the names. */
export type WorkloadHosts = 'names' | 'addresses';

export interface WorkloadEnvOptions {
  hostfileFormat: HostfileFormat;
  slots: number;
  masterPort: number;
  preset: Preset | undefined;
  workloadHosts: WorkloadHosts;
  /** Where the hostfile is written: a directory of this run's own, which nobody else can write to. */
  dir: string;
  /** `rollcall exec`, for the MPI presets. */
  agent?: MpiAgent;
}

/** One env var above this size goes to a file instead: an oversized environment breaks exec (E2BIG). */
const MAX_ENV_VALUE = 32 * 1024;

/**
 * The environment distributed frameworks read, for the round that just assembled: its members in rank
 * order (every pod, unless the group is elastic), this pod's rank among them, and how many they are.
 */
export function workloadEnv(group: Group, options: WorkloadEnvOptions): Record<string, string> {
  const members = group.members.map((index) => group.peers[index] as Peer);
  const names = options.workloadHosts === 'addresses' ? members.map(addressOf) : members.map((peer) => peer.name);
  // A pod a round released without runs no workload in it; its launches (none come: no hostfile names it) get its index.
  const rank = String(group.rank ?? group.index);
  const master = names[0] ?? '';
  const hostfile = join(options.dir, 'hostfile');
  writeFileSync(hostfile, hostfileText(names, options.hostfileFormat, options.slots));
  const env: Record<string, string> = {
    ROLLCALL_INDEX: String(group.index),
    ROLLCALL_SIZE: String(group.size),
    ROLLCALL_HOSTFILE: hostfile,
    RANK: rank,
    WORLD_SIZE: String(group.size),
    MASTER_ADDR: master,
    MASTER_PORT: String(options.masterPort),
  };
  if (group.self.part !== undefined) Object.assign(env, { ROLLCALL_PART: group.self.part.name, ROLLCALL_PART_INDEX: String(group.self.part.index) });
  const peers = names.join(',');
  if (peers.length <= MAX_ENV_VALUE) env.ROLLCALL_PEERS = peers;
  if (options.preset === 'torchrun') {
    Object.assign(env, {
      PET_NNODES: String(group.size),
      PET_NODE_RANK: rank,
      PET_MASTER_ADDR: master,
      PET_MASTER_PORT: String(options.masterPort),
    });
  } else if (options.preset === 'tf') {
    const config = JSON.stringify({ cluster: { worker: names.map((name) => hostPort(name, options.masterPort)) }, task: { type: 'worker', index: Number(rank) } });
    if (config.length <= MAX_ENV_VALUE) env.TF_CONFIG = config;
    else {
      const file = join(options.dir, 'tf-config.json');
      writeFileSync(file, config);
      env.TF_CONFIG_FILE = file;
    }
  } else if (options.preset === 'jax') {
    Object.assign(env, {
      JAX_COORDINATOR_ADDRESS: hostPort(master, options.masterPort),
      JAX_PROCESS_ID: rank,
      JAX_NUM_PROCESSES: String(group.size),
    });
  } else if (options.preset !== undefined && options.agent !== undefined) {
    Object.assign(env, mpiEnv(options.preset, hostfile, options.agent, group.self));
  }
  return env;
}

export function hostfileText(names: readonly string[], format: HostfileFormat, slots: number): string {
  const line = (name: string) => (format === 'openmpi' ? `${name} slots=${slots}` : format === 'mpich' ? `${name}:${slots}` : name);
  return names.map(line).join('\n') + '\n';
}

/** The address a pod answered on, else the first its name had; a group too large for a star's roster has none to give. */
function addressOf(peer: Peer): string {
  const address = peer.address ?? peer.addresses[0];
  if (address === undefined) {
    throw new ConfigError('ROLLCALL_WORKLOAD_HOSTS', 'addresses', `has no address for ${peer.name}: in a star of more than 256 pods only index 0 learns every address`, 'Use --topology mesh, or "names".');
  }
  return address;
}

const hostPort = (host: string, port: number) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`);
