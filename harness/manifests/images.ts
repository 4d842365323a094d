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
}

/** The rollcall image: distroless, its executable, its launcher, the link on PATH and tini; no shell. */
export const ROLLCALL_IMAGE: ImageFacts = {
  entrypoint: ['/usr/bin/tini', '--', '/opt/rollcall/rollcall-linux'],
  commands: ['rollcall', 'tini'],
  files: ['/opt/rollcall/rollcall', '/opt/rollcall/rollcall-linux', '/usr/local/bin/rollcall', '/usr/bin/tini'],
  shell: false,
};

const SHELL = ['sh', 'bash', 'echo', 'cat', 'env', 'sleep', 'true', 'false', 'hostname'];
const PYTHON = ['python', 'python3', 'pip', 'pip3'];

const IMAGES: Record<string, ImageFacts> = {
  'debian:bookworm-slim': { entrypoint: [], commands: SHELL, files: [], shell: true },
  'python:3.12-slim': { entrypoint: [], commands: [...SHELL, ...PYTHON], files: [], shell: true },
  'pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime': { entrypoint: [], commands: [...SHELL, ...PYTHON, 'torchrun', 'conda'], files: [], shell: true },
};

/** The image's facts, or undefined for an image not described here (which is itself a finding). */
export function imageFacts(reference: string): ImageFacts | undefined {
  if (isRollcallImage(reference)) return ROLLCALL_IMAGE;
  return IMAGES[reference];
}

export const isRollcallImage = (reference: string): boolean => /^rollcall:[\w.-]+$/.test(reference);
