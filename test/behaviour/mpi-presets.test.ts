import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROLLCALL } from '../../harness/built.js';
import { launcherFlavour } from '../../src/cli/mpi-presets.js';
import { assertBuilt } from '../integration/support.js';
import { runProcess } from '../support/process.js';

/**
 * Open MPI 5 is not in this Debian: a stand-in `mpirun` prints the version line Open MPI 5's prints,
 * then its argv and the env the preset gave it. What is checked is rollcall's side: the settings
 * PRRTE reads, and the refusal of a preset that does not fit the launcher.
 */
describe('the MPI presets on a stand-in launcher (one local replica)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-presets-'));
  const standIn = (name: string, version: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\nif [ "$1" = --version ]; then echo "${version}"; exit 0; fi\necho "argv $*"\nenv | grep -E '^(OMPI|PRTE|HYDRA)_' | sort\ncat "$PRTE_MCA_prte_default_hostfile" "$OMPI_MCA_orte_default_hostfile" "$HYDRA_HOST_FILE" 2>/dev/null\nexit 0\n`);
    chmodSync(path, 0o755);
    return path;
  };
  let openMpi5: string;
  let openMpi4: string;
  let hydra: string;
  beforeAll(() => {
    assertBuilt();
    openMpi5 = standIn('mpirun', 'mpirun (Open MPI) 5.0.3');
    openMpi4 = standIn('mpirun.openmpi', 'mpirun.openmpi (OpenRTE) 4.1.4');
    hydra = standIn('mpiexec.hydra', 'HYDRA build details:\n    Version:                                 4.0.2');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const local = (args: string[], launcher: string) => runProcess([process.execPath, ROLLCALL, 'local', '-n', '1', '--slots', '4', ...args, '--', launcher, '-np', '4', 'prog'], { ROLLCALL_SECRET: 's' });

  test('--preset openmpi5: PRRTE\'s agent and hostfile settings, host names kept, the hostfile in Open MPI\'s format', async () => {
    const { code, stdout, stderr } = await local(['--preset', 'openmpi5'], openMpi5);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('argv -np 4 prog');
    expect(stdout).toMatch(new RegExp(`PRTE_MCA_plm_ssh_agent=${process.execPath} -- ${ROLLCALL} exec\\n`));
    expect(stdout).toMatch(/PRTE_MCA_prte_default_hostfile=\/\S+rollcall-[^/]+\/hostfile\n/);
    expect(stdout).toContain('PRTE_MCA_prte_keep_fqdn_hostnames=true');
    expect(stdout).not.toContain('OMPI_MCA_plm_rsh_agent');
    expect(stdout).toContain('127.0.0.10 slots=4');
  });

  test('--preset openmpi on Open MPI 4: its rsh agent and default hostfile', async () => {
    const { code, stdout, stderr } = await local(['--preset', 'openmpi'], openMpi4);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`OMPI_MCA_plm_rsh_agent=${process.execPath} -- ${ROLLCALL} exec\\n`));
    expect(stdout).toMatch(/OMPI_MCA_orte_default_hostfile=\/\S+rollcall-[^/]+\/hostfile\n/);
    expect(stdout).toContain('OMPI_MCA_orte_keep_fqdn_hostnames=true');
  });

  test("--preset mpich: Hydra's launcher, its one-word agent, its hostfile format", async () => {
    const { code, stdout, stderr } = await local(['--preset', 'mpich'], hydra);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/HYDRA_LAUNCHER=ssh\n/);
    expect(stdout).toMatch(/HYDRA_LAUNCHER_EXEC=\/\S+\/rollcall-exec\n/);
    expect(stdout).toContain('127.0.0.10:4');
  });

  test('a preset that does not fit the launcher stops before anything runs, naming the one that does', async () => {
    const five = await local(['--preset', 'openmpi'], openMpi5);
    expect(five.code).toBe(78);
    expect(five.stderr).toContain('does not fit');
    expect(five.stderr).toContain("which is Open MPI 5: it ignores Open MPI 4's agent setting and would run every rank on this pod, reporting success. Use --preset openmpi5.");
    expect(five.stdout).not.toContain('argv');
    // Each refusal says what that launcher would do, and no other's fate.
    const four = await local(['--preset', 'openmpi5'], openMpi4);
    expect(four.code).toBe(78);
    expect(four.stderr).toContain("which is Open MPI 4: it ignores Open MPI 5's (PRRTE's) agent setting and would start its daemons through ssh, not rollcall. Use --preset openmpi.");
    const mpich = await local(['--preset', 'openmpi'], hydra);
    expect(mpich.stderr).toContain("which is MPICH's Hydra: it reads none of Open MPI's settings and would start its daemons through ssh, not rollcall. Use --preset mpich.");
    const openMpi = await local(['--preset', 'mpich'], openMpi4);
    expect(openMpi.stderr).toContain("which is Open MPI 4: it reads none of Hydra's settings and would start its daemons through ssh, not rollcall. Use --preset openmpi.");
    for (const refused of [four, mpich, openMpi]) expect(refused.stderr).not.toContain('Open MPI 5 would');
  });

  test('an explicit hostfile format other than the preset\'s is refused', async () => {
    const { code, stderr } = await local(['--preset', 'mpich', '--hostfile-format', 'openmpi'], hydra);
    expect(code).toBe(78);
    expect(stderr).toContain('--hostfile-format ("openmpi"): does not go with preset "mpich", whose launcher reads the mpich format');
  });
});

describe('the launcher a --version text names', () => {
  test("Open MPI 4 (OpenRTE), Open MPI 5, PRRTE, Hydra, and something else", () => {
    expect(launcherFlavour('mpirun.openmpi (OpenRTE) 4.1.4\n\nReport bugs to http://www.open-mpi.org/community/help/')).toEqual({ family: 'openmpi', major: 4 });
    expect(launcherFlavour('mpirun (Open MPI) 5.0.3')).toEqual({ family: 'openmpi', major: 5 });
    expect(launcherFlavour('prterun (PRRTE) 3.0.5')).toEqual({ family: 'openmpi', major: 3 });
    expect(launcherFlavour('HYDRA build details:\n    Version: 4.0.2')).toEqual({ family: 'mpich' });
    expect(launcherFlavour('Intel(R) MPI Library for Linux* OS, Version 2021.11')).toBeUndefined();
  });
});
