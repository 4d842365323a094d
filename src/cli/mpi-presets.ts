import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { basename } from 'node:path';
import type { Peer } from '../barrier/group.js';
import { ConfigError } from '../errors.js';

export type MpiPreset = 'openmpi' | 'openmpi5' | 'mpich';
export const MPI_PRESETS: readonly MpiPreset[] = ['openmpi', 'openmpi5', 'mpich'];

/** The hostfile format each launcher reads by default. */
export const MPI_HOSTFILE_FORMAT = { openmpi: 'openmpi', openmpi5: 'openmpi', mpich: 'mpich' } as const;

export interface MpiAgent {
  /** `rollcall exec` as words a launcher splits on spaces (Open MPI, PRRTE). */
  command: string;
  /** `rollcall exec` as one executable path (Hydra runs its launcher-exec as it is). */
  script: string;
}

/**
 * What makes an unchanged `mpirun -np N prog` (or `mpiexec`) on this pod start its daemons in the
 * group's pods through `rollcall exec`: the remote agent, the default hostfile, and host names kept as
 * the hostfile has them (they are what other pods resolve).
 */
export function mpiEnv(preset: MpiPreset, hostfile: string, agent: MpiAgent, self: Pick<Peer, 'address' | 'addresses'>): Record<string, string> {
  if (preset === 'openmpi') {
    return { OMPI_MCA_plm_rsh_agent: agent.command, OMPI_MCA_orte_default_hostfile: hostfile, OMPI_MCA_orte_keep_fqdn_hostnames: 'true' };
  }
  if (preset === 'openmpi5') {
    return { PRTE_MCA_plm_ssh_agent: agent.command, PRTE_MCA_prte_default_hostfile: hostfile, PRTE_MCA_prte_keep_fqdn_hostnames: 'true' };
  }
  // Hydra's proxies call back to the launcher by its short hostname, which only this pod knows; named by
  // the interface that holds the pod's address, the launcher gives them that address instead.
  const iface = interfaceOf([...(self.address === undefined ? [] : [self.address]), ...self.addresses]);
  return { HYDRA_LAUNCHER: 'ssh', HYDRA_LAUNCHER_EXEC: agent.script, HYDRA_HOST_FILE: hostfile, ...(iface === undefined ? {} : { HYDRA_IFACE: iface }) };
}

function interfaceOf(addresses: readonly string[]): string | undefined {
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    if (entries?.some((entry) => addresses.includes(entry.address))) return name;
  }
  return undefined;
}

const LAUNCHER = /^(mpirun|mpiexec|orterun|prterun)([.-].*)?$/;

/** The MPI a launcher belongs to, from its `--version`: Open MPI's major version, or MPICH's Hydra. */
export function launcherFlavour(versionText: string): { family: 'openmpi'; major: number } | { family: 'mpich' } | undefined {
  if (/HYDRA|MPICH/i.test(versionText)) return { family: 'mpich' };
  const openMpi = /\((?:Open MPI|OpenRTE|PRRTE)\)\s+(\d+)\./.exec(versionText);
  return openMpi === null ? undefined : { family: 'openmpi', major: Number(openMpi[1]) };
}

/**
 * Stops a preset that does not fit the workload's launcher before anything runs: Open MPI 5 ignores
 * Open MPI 4's agent setting and would start every rank on this one pod, reporting success.
 */
export function checkLauncher(preset: MpiPreset, workload: readonly string[], env: NodeJS.ProcessEnv): void {
  const launcher = workload[0];
  if (launcher === undefined || !LAUNCHER.test(basename(launcher))) return;
  const run = spawnSync(launcher, ['--version'], { env, encoding: 'utf8', timeout: 10_000 });
  const flavour = launcherFlavour(`${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (flavour === undefined) return;
  const fits = preset === 'mpich' ? flavour.family === 'mpich' : flavour.family === 'openmpi' && (preset === 'openmpi5') === flavour.major >= 5;
  if (fits) return;
  const actual = flavour.family === 'mpich' ? 'mpich' : flavour.major >= 5 ? 'openmpi5' : 'openmpi';
  const what = flavour.family === 'mpich' ? "MPICH's Hydra" : `Open MPI ${flavour.major}`;
  throw new ConfigError('ROLLCALL_PRESET', preset, `does not fit ${launcher}, which is ${what}: ${misfit(preset, actual)}`, `Use --preset ${actual}.`);
}

/** What the launcher would do with settings meant for another: the reason a wrong preset is refused. */
function misfit(given: MpiPreset, actual: MpiPreset): string {
  if (given === 'openmpi' && actual === 'openmpi5') return "it ignores Open MPI 4's agent setting and would run every rank on this pod, reporting success";
  const reads = actual === 'mpich' ? 'it reads none of Open MPI\'s settings' : given === 'mpich' ? 'it reads none of Hydra\'s settings' : "it ignores Open MPI 5's (PRRTE's) agent setting";
  return `${reads} and would start its daemons through ssh, not rollcall`;
}
