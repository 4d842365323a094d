import { constants } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ConfigError, PeersTimeoutError } from '../errors.js';
import type { Group } from '../barrier/group.js';
import { waitForPeers } from '../barrier/wait-for-peers.js';
import { DEFAULTS, type Progress } from '../barrier/options.js';
import { parseCommandLine, type ParsedArgs } from './flags.js';
import { helpText } from './help.js';
import { fail, writeTerminationLog } from './exit.js';
import { GROUP_SOCKET_VARIABLE } from '../barrier/group-link.js';
import { InitContainerHint, outsideKubernetesHint } from './hint.js';
import { install } from './install.js';
import { Logger } from './logger.js';
import { selfCommand, versionLine } from './runtime.js';
import { superviseRounds } from './supervise.js';
import { logReleased } from './release-line.js';
import { entryOf } from '../barrier/role.js';
import { Deadline } from '../time/deadline.js';
import { workloadEnv } from './workload-env.js';
import { MPI_PRESETS, checkLauncher, type MpiPreset } from './mpi-presets.js';
import { FORWARDED, runWorkload } from './workload.js';
import { openPodSockets, type PodSockets } from './pod-sockets.js';
import { launchSettings, type LaunchSettings } from './launch-settings.js';
import { cliSettings, type CliSettings } from './cli-settings.js';
import { watchProgressFile } from './progress-file.js';
import { LaunchService } from '../launch/launch-service.js';
import { launchStarter, serveRound } from './serve.js';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let logger = new Logger('text');
  let settings: CliSettings | undefined;
  let args: ParsedArgs | undefined;
  try {
    args = parseCommandLine(argv);
    if (args.command === 'help') {
      process.stdout.write(helpText(args.helpFor));
      return 0;
    }
    if (args.command === 'version') {
      process.stdout.write(`${versionLine()}\n`);
      return 0;
    }
    if (args.command === 'exec') {
      const { runExec } = await import('./exec.js');
      return await runExec(args.workload, env);
    }
    if (args.command === 'status') {
      const { runStatus } = await import('./status.js');
      return await runStatus(args.json, env);
    }
    if (args.command === 'install') {
      process.stdout.write(`${install(args.installDir as string)}\n`);
      return 0;
    }
    const merged = { ...env, ...args.env };
    settings = cliSettings(merged);
    logger = new Logger(settings.logFormat);
    if (args.command === 'demo' || args.command === 'local') {
      const { runLocal } = await import('./local.js');
      return await runLocal({ demo: args.command === 'demo', replicas: args.replicas, workload: args.workload, env: merged, logger });
    }
    return await waitAndRun(args, merged, settings, logger);
  } catch (error) {
    const code = fail(error, logger, settings?.terminationLog ?? '/dev/termination-log', args?.flagOf);
    const hint = args?.command === 'demo' || args?.command === 'local' ? undefined : outsideKubernetesHint(error, env);
    if (hint !== undefined) logger.line(hint, { event: 'hint' }, 'warn');
    return code;
  }
}

async function waitAndRun(args: ParsedArgs, env: NodeJS.ProcessEnv, settings: CliSettings, logger: Logger): Promise<number> {
  const wrapper = env[GROUP_SOCKET_VARIABLE];
  if (wrapper !== undefined && wrapper !== '') refuseNested(args.command, wrapper);
  const hint = new InitContainerHint(Number(env.JOB_COMPLETION_INDEX ?? env.ROLLCALL_INDEX), logger);
  const stop = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received = signal;
    stop.abort(new Error(`received ${signal} while waiting`));
  };
  // Every pod that stays with the group serves remote launches: mpirun's daemons, a person's `rollcall exec`.
  const stays = args.command === 'run' || args.command === 'serve';
  const launching = stays ? launchSettings(env) : undefined;
  const launches = launching === undefined ? undefined : launchService(launching, logger);
  for (const signal of FORWARDED) process.on(signal, onSignal);
  let group: Group;
  let sockets: PodSockets | undefined;
  // Opened while the pod waits, so that the release only hands them the group; but in the next turn of
  // the event loop, after the one in which waitForPeers sends its first question, not before it.
  const opening = launching === undefined ? undefined : nextTurn().then(() => openPodSockets(selfCommand(), launching.secretSet));
  opening?.catch((error: unknown) => stop.abort(error));
  try {
    const waiting = waitForPeers({
      env,
      signal: stop.signal,
      log: (line, fields) => logger.line(line, fields),
      onProgress: (progress: Progress) => {
        logger.progress(progress);
        hint.progress(progress.missing);
      },
      ...(launches === undefined ? {} : { sessions: { launch: launches.accept } }),
    });
    [group, sockets] = await Promise.all([waiting, opening]);
  } catch (error) {
    sockets = await opening?.catch(() => undefined);
    await Promise.all([launches?.close(), sockets?.close(Deadline.in(0))]);
    if (received !== undefined) {
      const message = `received ${received} while waiting for the group: leaving`;
      logger.line(message, { event: 'leaving', signal: received });
      writeTerminationLog(settings.terminationLog, message);
      return 128 + constants.signals[received];
    }
    if (error instanceof PeersTimeoutError) hint.timedOut(error.missing);
    throw error;
  } finally {
    for (const signal of FORWARDED) process.off(signal, onSignal);
  }
  logReleased(group, logger);
  // From here a signal is not the end of the process: the workload gets it too, and rollcall leaves the
  // group once it has ended, telling index 0, rather than by Node's default (143, and a silent vanish).
  const leave = new AbortController();
  const onLeave = (signal: NodeJS.Signals) => leave.abort(signal);
  for (const signal of FORWARDED) process.on(signal, onLeave);
  try {
    if (args.command === 'peers') printPeers(group, args.json);
    if (launches === undefined || sockets === undefined) return 0;
    try {
      await sockets.serve(group);
      const agent = { command: [...selfCommand(), 'exec'].join(' '), script: sockets.agentScript };
      // Built once a round: an elastic group's members, and so the ranks and the hostfile, change between rounds.
      const rounds = new Map<number, Record<string, string>>();
      const envFor = (round: number) => entryOf(rounds, round, () => ({ ...env, ...workloadEnv(group, { ...settings, dir: sockets.dir, agent }), ...sockets.env, ROLLCALL_RESTART_COUNT: String(round) }));
      const base = envFor(group.round);
      launches.serve(launchStarter(group, envFor, settings.graceMs, logger), (index) => group.peers[index]?.name ?? `index ${index}`);
      const { graceMs } = settings;
      const command = args.workload;
      if (args.command === 'run' && settings.preset !== undefined && (MPI_PRESETS as readonly string[]).includes(settings.preset)) checkLauncher(settings.preset as MpiPreset, command, base);
      const serving = serveRound(group, launches);
      // Serving has no workload of its own to hear the signal: a signal ends it (and what it launched) at once.
      const runRound =
        args.command === 'serve'
          ? (round: number, stopped: AbortSignal) => serving(round, AbortSignal.any([stopped, leave.signal]))
          : (round: number, stopped: AbortSignal) => runWorkload(command, { env: envFor(round), stop: stopped, graceMs, logger });
      return await superviseRounds(group, {
        describe: args.command === 'serve' ? 'serving remote launches until index 0 has finished' : `running ${command.join(' ')}`,
        runRound: async (round, stopped) => {
          const stopWatching = watchProgressFile(sockets.progressFile, () => group.progress());
          try {
            return await runRound(round, stopped);
          } finally {
            stopWatching();
          }
        },
        leave: leave.signal,
        logger,
        onGroupFailed: (message) => writeTerminationLog(settings.terminationLog, message),
      });
    } finally {
      // What the group's launchers started ends on its own as the launcher ends: it gets the grace period
      // to do so and to tell its agent, before anything is stopped or cut. A pod leaving on a signal waits for none.
      const drain = leave.signal.aborted ? undefined : Deadline.in(settings.graceMs);
      await Promise.all([launches.close(drain), sockets.close(drain ?? Deadline.in(0))]);
    }
  } finally {
    // The listener stays up while the workload runs, for late joiners and restarted peers. The outcome is
    // reported and the exit barrier passed by now; `wait` and `peers` leave at once, their part done.
    await group.close({ exitTimeoutMs: 0 });
    for (const signal of FORWARDED) process.off(signal, onLeave);
  }
}

/**
 * Under a wrapper (`rollcall --`, or a replica of `rollcall local`) this pod already has its rollcall: a
 * second would hold the pod's place twice. `wait` and `peers` join the wrapper's group instead.
 */
function refuseNested(command: ParsedArgs['command'], wrapper: string): void {
  const under = 'is set: this process already runs under "rollcall --" or "rollcall local"';
  if (command === 'run') {
    throw new ConfigError(GROUP_SOCKET_VARIABLE, wrapper, under, 'Run the command directly: the wrapper started this process with the group\'s env ("rollcall wait" and "peers" join its group).');
  }
  if (command === 'serve') {
    throw new ConfigError(
      GROUP_SOCKET_VARIABLE,
      wrapper,
      `${under}, whose rollcall already serves this pod's remote launches`,
      'Let this process end instead (e.g. "true"): its rollcall keeps serving launches at the exit barrier until index 0\'s launcher has finished (docs/mpi.md, "Try MPI locally").',
    );
  }
}

function launchService({ secretSet, sessionTimeoutMs }: LaunchSettings, logger: Logger): LaunchService {
  return new LaunchService({
    secretSet,
    sessionTimeoutMs,
    requestTimeoutMs: DEFAULTS.handshakeTimeoutMs,
    readyTimeoutMs: DEFAULTS.timeoutMs,
    log: (line, fields) => logger.line(line, fields),
  });
}

function printPeers(group: Group, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ index: group.index, size: group.size, jobName: group.jobName, topology: group.topology, peers: group.peers }, null, 2)}\n`);
    return;
  }
  for (const peer of group.peers) {
    const rtt = peer.rttMs === undefined ? '-' : `${peer.rttMs.toFixed(2)}ms`;
    process.stdout.write(`${peer.index}\t${peer.fqdn ?? peer.name}\t${peer.addresses.join(',') || '-'}\t${rtt}\n`);
  }
}
