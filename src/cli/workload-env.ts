import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Group } from '../barrier/group.js';

export type HostfileFormat = 'plain' | 'openmpi' | 'mpich';
export type Preset = 'torchrun' | 'tf' | 'jax';

export interface WorkloadEnvOptions {
  hostfileFormat: HostfileFormat;
  slots: number;
  masterPort: number;
  preset: Preset | undefined;
  /** Where the hostfile is written. */
  dir: string;
}

/** One env var above this size goes to a file instead: an oversized environment breaks exec (E2BIG). */
const MAX_ENV_VALUE = 32 * 1024;

/** The environment distributed frameworks read, for the group that just assembled. */
export function workloadEnv(group: Group, options: WorkloadEnvOptions): Record<string, string> {
  const names = group.peers.map((peer) => peer.name);
  const master = names[0] ?? '';
  const hostfile = join(options.dir, `rollcall-hostfile-${group.jobName}-${group.index}`);
  writeFileSync(hostfile, hostfileText(names, options.hostfileFormat, options.slots));
  const env: Record<string, string> = {
    ROLLCALL_INDEX: String(group.index),
    ROLLCALL_SIZE: String(group.size),
    ROLLCALL_HOSTFILE: hostfile,
    RANK: String(group.index),
    WORLD_SIZE: String(group.size),
    MASTER_ADDR: master,
    MASTER_PORT: String(options.masterPort),
  };
  const peers = names.join(',');
  if (peers.length <= MAX_ENV_VALUE) env.ROLLCALL_PEERS = peers;
  if (options.preset === 'torchrun') {
    Object.assign(env, {
      PET_NNODES: String(group.size),
      PET_NODE_RANK: String(group.index),
      PET_MASTER_ADDR: master,
      PET_MASTER_PORT: String(options.masterPort),
    });
  } else if (options.preset === 'tf') {
    const config = JSON.stringify({ cluster: { worker: names.map((name) => `${name}:${options.masterPort}`) }, task: { type: 'worker', index: group.index } });
    if (config.length <= MAX_ENV_VALUE) env.TF_CONFIG = config;
    else {
      const file = join(options.dir, `rollcall-tf-config-${group.jobName}-${group.index}.json`);
      writeFileSync(file, config);
      env.TF_CONFIG_FILE = file;
    }
  } else if (options.preset === 'jax') {
    Object.assign(env, {
      JAX_COORDINATOR_ADDRESS: `${master}:${options.masterPort}`,
      JAX_PROCESS_ID: String(group.index),
      JAX_NUM_PROCESSES: String(group.size),
    });
  }
  return env;
}

export function hostfileText(names: readonly string[], format: HostfileFormat, slots: number): string {
  const line = (name: string) => (format === 'openmpi' ? `${name} slots=${slots}` : format === 'mpich' ? `${name}:${slots}` : name);
  return names.map(line).join('\n') + '\n';
}
