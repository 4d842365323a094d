import { constants } from 'node:os';
import { AGENT_FAILED, runAgent } from '../launch/agent.js';
import { AgentUsageError, parseAgentArgs, type AgentRequest } from '../launch/agent-args.js';
import { launchSettings } from './launch-settings.js';
import { systemClock, type Cancel } from '../time/clock.js';
import { formatDuration } from '../time/duration.js';
import { findPodSocket } from './pod-sockets.js';
import { FORWARDED } from './workload.js';

/** How often the agent checks that its launcher is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * `rollcall exec HOST CMD…`: the remote agent launchers run instead of ssh. Its exit status is the
 * command's; 255 (as ssh) when the command could not run; 128 + n when the agent itself is signalled,
 * which drops the launch, and the remote side stops the command. A launcher that exits without its agent
 * (it leaves it to the init process) drops the launch too, after the grace period: a launcher ending
 * well (mpirun, once it has told its daemons to exit) does not wait for them, and they end on their own.
 */
export async function runExec(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let request: AgentRequest;
  try {
    request = parseAgentArgs(argv);
  } catch (error) {
    if (!(error instanceof AgentUsageError)) throw error;
    process.stderr.write(`rollcall exec: ${error.message}\nTry "rollcall exec --help".\n`);
    return AGENT_FAILED;
  }
  const socket = findPodSocket(env, 'launch.sock');
  if (socket === undefined) {
    process.stderr.write(`rollcall exec: ${request.host}: no rollcall runs in this pod (none has linked its network namespace): run it in a pod whose rollcall runs "rollcall -- <command>" or "rollcall serve"\n`);
    return AGENT_FAILED;
  }
  const { sessionTimeoutMs, graceMs } = launchSettings(env);

  const drop = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received = signal;
    drop.abort(new Error(`received ${signal}`));
  };
  for (const signal of FORWARDED) process.on(signal, onSignal);
  const parent = process.ppid;
  let stopWaiting: Cancel | undefined;
  const stopWatching = systemClock.every(PARENT_CHECK_MS, () => {
    if (process.ppid === parent || stopWaiting !== undefined) return;
    const why = `its launcher went away, and the command had not ended ${formatDuration(graceMs)} later`;
    stopWaiting = systemClock.after(graceMs, () => drop.abort(new Error(why)));
  });
  // A reader that went away (a closed pipe) ends nothing here: the command's exit status still counts.
  process.stdout.on('error', () => {});
  try {
    const status = await runAgent({ socketPath: socket.path, request, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, sessionTimeoutMs, signal: drop.signal });
    return received === undefined ? status : 128 + constants.signals[received];
  } finally {
    stopWatching();
    stopWaiting?.();
    for (const signal of FORWARDED) process.off(signal, onSignal);
  }
}
