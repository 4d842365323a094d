import { accessSync, chmodSync, constants, copyFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RollcallError } from '../errors.js';
import { EXECUTABLE_NAME, LAUNCHER, LAUNCHER_NAME } from './launcher.js';
import { singleExecutable } from './runtime.js';

export class InstallError extends RollcallError {
  override name = 'InstallError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ROLLCALL_INSTALL', message, options);
  }
}

/**
 * `rollcall install <dir>`, an init container's whole command: puts this executable and its launcher
 * into `dir` (an emptyDir the workload container mounts) and returns the launcher's path. Each file is
 * written under a temporary name and renamed into place, so a workload never sees half a file, and a
 * failure leaves nothing behind.
 */
export function install(dir: string): string {
  if (!singleExecutable) {
    throw new InstallError(
      `"rollcall install" copies the single executable, and this rollcall runs as a script on Node (${process.argv[1] ?? 'unknown'}). ` +
        'Run it from the rollcall image or from a file built by "npm run build:exe".',
    );
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    throw new InstallError(`cannot install into ${dir}: it does not exist (mount an emptyDir there)`, { cause: error });
  }
  if (!isDirectory) throw new InstallError(`cannot install into ${dir}: it is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new InstallError(`cannot install into ${dir}: it is not writable (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
  const launcher = join(dir, LAUNCHER_NAME);
  placeFiles([
    [join(dir, EXECUTABLE_NAME), (temporary) => copyFileSync(process.execPath, temporary)],
    [launcher, (temporary) => writeFileSync(temporary, LAUNCHER)],
  ]);
  return launcher;
}

/** Writes every file under a temporary name first and renames them only when all were written. */
function placeFiles(files: [path: string, write: (temporary: string) => void][]): void {
  const written: [temporary: string, path: string][] = [];
  try {
    for (const [path, write] of files) {
      const temporary = `${path}.${process.pid}.tmp`;
      written.push([temporary, path]);
      write(temporary);
      chmodSync(temporary, 0o755);
    }
    for (const [temporary, path] of written) renameSync(temporary, path);
  } catch (error) {
    for (const [temporary] of written) rmSync(temporary, { force: true });
    // A read-only mount passes access() for root and fails only at the write.
    const where = written.at(-1)?.[1] ?? '';
    throw new InstallError(`cannot write ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}
