/**
 * What the images the examples name hold, as far as the examples use them: the commands on PATH, the files
 * they keep where a mount could hide them, and the entrypoint. Images cannot be pulled here, so these are
 * written down; the rollcall image's files are checked against the replay of docker/Dockerfile
 * (test/integration/image.test.ts), the others against the images' own Dockerfiles as published.
 */
export interface ImageFacts {
  /** ENTRYPOINT (the image's CMD is never used by the examples). */
  entrypoint: string[];
  /** Commands on its PATH. */
  commands: string[];
  /** Files a volume mounted over them would hide. */
  files: string[];
  /** Whether /bin/sh is there: rollcall's launcher is a shell script. */
  shell: boolean;
  /** The user it runs as (its USER), and its PATH and HOME (its ENV). */
  user: string;
  path: string;
  home: string;
  /**
   * How the manifest runner stands it in (harness/manifests/kubelet.ts): `rollcall`, a root made only of
   * the files the image's final stage has; `host`, this machine's root, with `shims` (command → a script
   * that runs this machine's stand-in) put first on PATH.
   */
  root: 'rollcall' | 'host';
  shims: Record<string, string>;
  /** What stands in, in words, for the tests to say. */
  standIn: string;
}

/** The rollcall image: distroless, its executable, its launcher, the link on PATH and tini; no shell. */
export const ROLLCALL_IMAGE: ImageFacts = {
  entrypoint: ['/usr/bin/tini', '--', '/opt/rollcall/rollcall-linux'],
  commands: ['rollcall', 'tini'],
  files: ['/opt/rollcall/rollcall', '/opt/rollcall/rollcall-linux', '/usr/local/bin/rollcall', '/usr/bin/tini'],
  shell: false,
  user: '65532:65532',
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  home: '/home/nonroot',
  root: 'rollcall',
  shims: {},
  standIn: "rollcall's image: dist/'s executable and launcher as the Dockerfile lays them out, Debian's tini-static, and this machine's glibc and libstdc++ for distroless cc",
};

const DEBIAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PYTHON_SHIM = 'exec /usr/bin/python3 "$@"';
// Debian's torch 1.13 on Python 3.11 needs these two flags, which torchrun of the pytorch image does not.
const TORCHRUN_SHIM = 'exec /usr/bin/torchrun --redirects 1 --tee 1 "$@"';

const SHELL = ['sh', 'bash', 'echo', 'cat', 'env', 'sleep', 'true', 'false', 'hostname'];
const PYTHON = ['python', 'python3', 'pip', 'pip3'];

const HOST: Omit<ImageFacts, 'commands' | 'shims' | 'standIn'> = { entrypoint: [], files: [], shell: true, user: '0:0', path: DEBIAN_PATH, home: '/root', root: 'host' };

const IMAGES: Record<string, ImageFacts> = {
  'debian:bookworm-slim': { ...HOST, commands: SHELL, shims: {}, standIn: "this machine's root (Debian)" },
  'python:3.12-slim': { ...HOST, commands: [...SHELL, ...PYTHON], shims: { python: PYTHON_SHIM }, standIn: "this machine's root, Debian's python3 as python" },
  'pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime': {
    ...HOST,
    commands: [...SHELL, ...PYTHON, 'torchrun', 'conda'],
    shims: { python: PYTHON_SHIM, torchrun: TORCHRUN_SHIM },
    standIn: "this machine's root, Debian's python3-torch 1.13 (CPU, gloo) for PyTorch 2.5.1, its torchrun with --redirects 1 --tee 1",
  },
  // The MPI Operator's build/base: Debian with openssh (never started here) and openmpi-bin; no ENTRYPOINT, root.
  'mpioperator/openmpi:v0.6.0': {
    ...HOST,
    commands: [...SHELL, 'mpirun', 'mpiexec', 'orted', 'ssh', 'sshd'],
    shims: { mpirun: 'exec /usr/bin/mpirun.openmpi "$@"', mpiexec: 'exec /usr/bin/mpirun.openmpi "$@"' },
    standIn: "this machine's root, Debian's openmpi-bin (Open MPI 4.1) as mpirun",
  },
};

/** The image's facts, or undefined for an image not described here (which is itself a finding). */
export function imageFacts(reference: string): ImageFacts | undefined {
  if (isRollcallImage(reference)) return ROLLCALL_IMAGE;
  return IMAGES[reference];
}

export const isRollcallImage = (reference: string): boolean => /^rollcall:[\w.-]+$/.test(reference);
