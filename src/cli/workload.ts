import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import type { WorkloadOutcome } from '../lifecycle/outcome.js';
import { systemClock } from '../time/clock.js';
import type { Logger } from './logger.js';
import { sessionMembers } from './process-session.js';

export const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

export interface WorkloadRun {
  outcome: WorkloadOutcome;
  /** Ended because `stop` aborted (the group stopped it), not on its own. */
  stopped: boolean;
}

export interface WorkloadOptions {
  env: NodeJS.ProcessEnv;
  /** Aborting it stops the workload: SIGTERM to its process group, SIGKILL after `graceMs`. */
  stop: AbortSignal;
  graceMs: number;
  logger: Logger;
  /** 'pipe' for a launched command, whose streams go to its agent (given to `onSpawn`). */
  stdio?: 'inherit' | 'pipe';
  onSpawn?(child: ChildProcess): void;
  /** What the log calls it. */
  what?: string;
}

/**
 * Runs one round's workload with stdio inherited, in a session of its own so that a stop reaches
 * everything it started (torchrun's workers, mpirun's ranks, each in a process group of its own), and
 * forwards the signals rollcall gets.
 * Whatever is left of the session once the leader has exited after a failure or a stop is killed: a
 * restarted round must never meet the old one's processes.
 */
export function runWorkload(command: readonly string[], options: WorkloadOptions): Promise<WorkloadRun> {
  const { env, stop, graceMs, logger, stdio = 'inherit', what = 'the workload' } = options;
  const startedAt = systemClock.now();
  return new Promise((resolve) => {
    const [file, ...rest] = command as [string, ...string[]];
    // On a terminal the workload stays in rollcall's group, or reading the terminal would stop it (SIGTTIN).
    // Asked of the descriptor: process.stdin would build a stream for it, on every pod's release.
    const ownGroup = stdio === 'pipe' || !isatty(0);
    const child = spawn(file, rest, { stdio, env, detached: ownGroup });
    options.onSpawn?.(child);
    const signalSession = (signal: NodeJS.Signals) => {
      const { pid } = child;
      if (!ownGroup || pid === undefined) return void child.kill(signal);
      for (const member of new Set([pid, ...sessionMembers(pid)])) {
        try {
          process.kill(member, signal);
        } catch {
          // Gone already.
        }
      }
    };
    let stopped = false;
    let cancelKill = () => {};
    const onStop = () => {
      stopped = true;
      logger.line(`stopping ${what}: SIGTERM, then SIGKILL after ${graceMs} ms`, { event: 'stopping', graceMs });
      signalSession('SIGTERM');
      cancelKill = systemClock.after(graceMs, () => signalSession('SIGKILL'));
    };
    const forward = (signal: NodeJS.Signals) => signalSession(signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    const done = (exitCode: number | null, signal: string | null) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      stop.removeEventListener('abort', onStop);
      cancelKill();
      const outcome = { exitCode, signal, runMs: systemClock.now() - startedAt };
      if (stopped || exitCode !== 0 || signal !== null) signalSession('SIGKILL');
      resolve({ outcome, stopped });
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      logger.line(`cannot run ${file}: ${error.code ?? error.message}`, { event: 'exec-failed' }, 'error');
      done(error.code === 'ENOENT' ? 127 : 126, null);
    });
    child.once('exit', (code, signal) => done(code, signal));
  });
}

/** The exit code a shell would give: the code, or 128 + the signal's number. */
export function exitCodeOf(outcome: Pick<WorkloadOutcome, 'exitCode' | 'signal'>): number {
  if (outcome.exitCode !== null) return outcome.exitCode;
  const number = outcome.signal === null ? undefined : constants.signals[outcome.signal as NodeJS.Signals];
  return 128 + (number ?? 0);
}
