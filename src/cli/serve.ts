import type { ChildProcess } from 'node:child_process';
import type { Group } from '../barrier/group.js';
import { WHOLE_ROUND_MS } from '../barrier/group-handle.js';
import type { CommandStarter, LaunchService } from '../launch/launch-service.js';
import type { Logger } from './logger.js';
import { runWorkload, type WorkloadRun } from './workload.js';
import { systemClock } from '../time/clock.js';

/**
 * Starts a launched command as a workload is started: `sh -c` with the pod's workload env for the
 * current round, in its own process group, stopped (grace, then SIGKILL) when its launch ends or the
 * group stops the round.
 */
export function launchStarter(group: Group, envFor: (round: number) => NodeJS.ProcessEnv, graceMs: number, logger: Logger): CommandStarter {
  return (command, stop) => {
    let child: ChildProcess | undefined;
    const run = runWorkload(['/bin/sh', '-c', command], {
      env: envFor(group.round),
      stop: AbortSignal.any([stop, group.signal]),
      graceMs,
      logger,
      stdio: 'pipe',
      what: 'a launched command',
      onSpawn: (spawned) => (child = spawned),
    });
    const { stdin, stdout, stderr } = child as ChildProcess;
    return { stdin: stdin!, stdout: stdout!, stderr: stderr!, ended: run.then(({ outcome, stopped }) => ({ exitCode: outcome.exitCode, signal: outcome.signal, stopped })) };
  };
}

/**
 * One round of `rollcall serve`: a pod with no workload of its own, whose work is what the group's
 * launchers run in it. It waits at the exit barrier from the start, so it is done once every other pod's
 * workload (index 0's mpirun) has finished; a launched command that fails on its own is this pod's failure.
 */
export function serveRound(group: Group, launches: LaunchService): (round: number, stop: AbortSignal) => Promise<WorkloadRun> {
  return (_round, stop) =>
    new Promise((resolve) => {
      const startedAt = systemClock.now();
      const end = (run: WorkloadRun) => {
        launches.onEnded = undefined;
        stop.removeEventListener('abort', onStop);
        resolve(run);
      };
      const onStop = () => end({ outcome: { exitCode: null, signal: null, runMs: systemClock.now() - startedAt }, stopped: true });
      launches.onEnded = (launch) => {
        if (!launch.stopped && (launch.exitCode !== 0 || launch.signal !== null)) end({ outcome: { exitCode: launch.exitCode, signal: launch.signal, runMs: systemClock.now() - startedAt }, stopped: false });
      };
      if (stop.aborted) return onStop();
      stop.addEventListener('abort', onStop, { once: true });
      void group.exitBarrier(WHOLE_ROUND_MS).then((passed) => {
        if (passed) end({ outcome: { exitCode: 0, signal: null, runMs: systemClock.now() - startedAt }, stopped: false });
      });
    });
}
