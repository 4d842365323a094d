import { ConfigError } from '../errors.js';
import { SettingSource, parseChoice, parseInteger } from '../settings.js';
import { graceSetting } from './launch-settings.js';
import type { LogFormat } from './logger.js';
import { MPI_HOSTFILE_FORMAT, MPI_PRESETS, type MpiPreset } from './mpi-presets.js';
import { PRESETS, type HostfileFormat, type Preset, type WorkloadHosts } from './workload-env.js';

/** What the CLI itself reads from its env (or the flags' twins): how it logs, and the workload's env. */
export interface CliSettings {
  logFormat: LogFormat;
  hostfileFormat: HostfileFormat;
  slots: number;
  masterPort: number;
  preset: Preset | undefined;
  workloadHosts: WorkloadHosts;
  terminationLog: string;
  graceMs: number;
}

export function cliSettings(env: NodeJS.ProcessEnv): CliSettings {
  const settings = new SettingSource(env);
  const get = (variable: string) => settings.get(variable)?.value;
  const integer = (variable: string, fallback: number, max: number) => {
    const raw = get(variable);
    return raw === undefined ? fallback : parseInteger(variable, raw, { min: 1, max });
  };
  const rawPreset = get('ROLLCALL_PRESET');
  const preset = rawPreset === undefined ? undefined : parseChoice<Preset>('ROLLCALL_PRESET', rawPreset, PRESETS, { noun: 'a preset' });
  const mpiFormat = preset !== undefined && (MPI_PRESETS as readonly string[]).includes(preset) ? MPI_HOSTFILE_FORMAT[preset as MpiPreset] : undefined;
  const choice = <T extends string>(variable: string, allowed: readonly T[], noun: string, fallback: T): T => {
    const raw = get(variable);
    return raw === undefined ? fallback : parseChoice(variable, raw, allowed, { noun, fallback });
  };
  return {
    logFormat: choice('ROLLCALL_LOG_FORMAT', ['text', 'json'], 'a log format', 'text'),
    hostfileFormat: hostfileFormat(choice('ROLLCALL_HOSTFILE_FORMAT', ['plain', 'openmpi', 'mpich', 'default'], 'a hostfile format', 'default'), preset, mpiFormat),
    slots: integer('ROLLCALL_SLOTS', 1, 1_000_000),
    masterPort: integer('ROLLCALL_MASTER_PORT', 29500, 65535),
    preset,
    workloadHosts: choice('ROLLCALL_WORKLOAD_HOSTS', ['names', 'addresses'], 'a way to name the pods', 'names'),
    terminationLog: get('ROLLCALL_TERMINATION_LOG') ?? '/dev/termination-log',
    graceMs: graceSetting(settings),
  };
}

/** An MPI preset's launcher reads its own format; any other format given with it is a mistake. */
function hostfileFormat(given: HostfileFormat | 'default', preset: Preset | undefined, mpiFormat: HostfileFormat | undefined): HostfileFormat {
  if (mpiFormat === undefined) return given === 'default' ? 'plain' : given;
  if (given === 'default' || given === mpiFormat) return mpiFormat;
  throw new ConfigError('ROLLCALL_HOSTFILE_FORMAT', given, `does not go with preset "${String(preset)}", whose launcher reads the ${mpiFormat} format`, 'Leave it out: the preset picks it.');
}
