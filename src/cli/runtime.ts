import { isSea } from 'node:sea';
import manifest from '../../package.json' with { type: 'json' };

/** Whether this process is the single executable (Node and rollcall in one file) rather than Node running a script. */
export const singleExecutable = isSea();

/**
 * How to start this very program again: the executable alone, or Node with the script it runs. Node's
 * "--" keeps the words after the script ours: Node reads an `--env-file` anywhere before a "--" as its
 * own, and a launched command's words (`rollcall exec HOST cmd --env-file x`) come after the script.
 */
export function selfCommand(): [string, ...string[]] {
  return singleExecutable ? [process.execPath] : [process.execPath, '--', process.argv[1] as string];
}

/** What `rollcall --version` prints: the package's version, and the Node that runs it. */
export function versionLine(): string {
  const form = singleExecutable ? `single executable, linux-${process.arch}` : 'on Node';
  return `rollcall ${manifest.version} (${form}, Node ${process.version})`;
}
