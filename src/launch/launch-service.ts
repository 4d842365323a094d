import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { PeerConnection } from '../barrier/options.js';
import { systemClock, type Clock } from '../time/clock.js';
import { Deadline } from '../time/deadline.js';
import { keepAlive } from '../transport/heartbeat.js';
import { StreamReader, jsonPayload, sendJson, sendStream } from '../transport/stream-frames.js';
import { relayOutput } from './relay.js';

/** A command started for a launch: its pipes, and how it ended. */
export interface LaunchedCommand {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles once the command has exited and its output is closed. `stopped`: ended by `stop`, not on its own. */
  ended: Promise<{ exitCode: number | null; signal: string | null; stopped: boolean }>;
}

/** Starts `command` with `sh -c`, in a process group of its own, ended (grace, then SIGKILL) when `stop` aborts. */
export type CommandStarter = (command: string, stop: AbortSignal) => LaunchedCommand;

export interface LaunchRecord {
  /** The index the launch came from. */
  from: number;
  command: string;
  exitCode: number | null;
  signal: string | null;
  /** Ended by its agent going away or by the group's stop, not on its own. */
  stopped: boolean;
  runMs: number;
}

export interface LaunchServiceOptions {
  /** Remote launch runs only between pods that proved the group's secret. */
  secretSet: boolean;
  /** Silence after which a launch's connection counts as gone (both ends beat at a sixth of it). */
  sessionTimeoutMs: number;
  /** How long a launch may take to say what to run, once its handshake is done. */
  requestTimeoutMs: number;
  /** How long a launch that came before this pod's release may wait for it. */
  readyTimeoutMs: number;
  log(line: string, fields: Record<string, unknown>): void;
  clock?: Clock;
}

export const NO_SECRET_REASON =
  'remote launch needs ROLLCALL_SECRET: set the same secret in every pod (from a Kubernetes Secret), so that only the group can run commands here';

/**
 * Runs the commands the group's launchers send (mpirun's daemons, a person's `rollcall exec`): each on
 * a connection that proved the group's secret, with stdin, stdout and stderr relayed as binary frames
 * and the exit status last. A connection lost before the command ends stops it, and a command still
 * running when the service closes is stopped too: no daemon outlives its launcher or its pod's group.
 */
export class LaunchService {
  private starter: CommandStarter | undefined;
  private nameOf = (index: number) => `index ${index}`;
  private readonly ready: Array<() => void> = [];
  /** Set once the pod is done with launches: new ones are refused. */
  private closing = false;
  /** Aborted when the launches still running are to be stopped. */
  private readonly closed = new AbortController();
  /** Each running launch's end: sent its exit status, or its link gone. */
  private readonly running = new Set<Promise<void>>();
  private readonly clock: Clock;

  constructor(private readonly options: LaunchServiceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * From now on launches run with `starter`, and the log names peers with `nameOf`; those that arrived
   * before the pod was ready run now.
   */
  serve(starter: CommandStarter, nameOf: (index: number) => string): void {
    this.starter = starter;
    this.nameOf = nameOf;
    for (const go of this.ready.splice(0)) go();
  }

  /**
   * Refuses launches from now on. Those still running get until `drain` to end on their own and send
   * their exit status (mpirun's daemons are told to exit as mpirun ends, and end a moment after it), then
   * are stopped; resolves once every one has ended. Without `drain` (the pod leaves on a signal), at once.
   */
  async close(drain?: Deadline): Promise<void> {
    this.closing = true;
    for (const go of this.ready.splice(0)) go();
    const ended = Promise.all(this.running);
    if (drain !== undefined) await drain.bound(ended, () => new Error('launches still running')).catch(() => {});
    this.closed.abort(new Error('this pod is leaving'));
    await ended;
  }

  /** A launch connection, handed over by the listener once its peer proved it belongs to the group. */
  readonly accept = (connection: PeerConnection): void => {
    void this.handle(connection).catch(() => connection.socket.destroy());
  };

  private async handle({ socket, rest, index }: PeerConnection): Promise<void> {
    socket.on('error', () => socket.destroy());
    const refuse = (reason: string) => {
      this.options.log(`refused a launch from ${this.nameOf(index)}: ${reason}`, { event: 'launch-refused', from: index, reason });
      sendJson(socket, 'refused', { reason });
      socket.end();
    };
    if (!this.options.secretSet) return refuse(NO_SECRET_REASON);
    const command = await Deadline.in(this.options.requestTimeoutMs, this.clock).bound(this.request(socket, rest), () => new Error('no request in time'));
    if (command === undefined) return void socket.destroy();
    if (this.starter === undefined) await Deadline.in(this.options.readyTimeoutMs, this.clock).bound(new Promise<void>((resolve) => this.ready.push(resolve)), () => new Error('not ready in time'));
    if (this.closing || this.starter === undefined) return refuse(this.closing ? 'this pod is leaving' : 'this pod is not serving launches yet');
    this.run(socket, index, command.command, command.rest, this.starter);
  }

  /** The start frame's command, and the bytes that came after it; undefined for anything else. */
  private request(socket: Socket, rest: Buffer): Promise<{ command: string; rest: Buffer } | undefined> {
    return new Promise((resolve) => {
      let command: string | undefined;
      const reader = new StreamReader(
        (kind, payload) => {
          const request = kind === 'start' ? jsonPayload(payload) : undefined;
          command = typeof request?.command === 'string' && request.command.length > 0 ? request.command : undefined;
          finish();
        },
        () => finish(),
      );
      const onData = (chunk: Buffer) => reader.push(chunk);
      const finish = () => {
        // Held, not dropped: what comes next (stdin) is read once the command runs.
        socket.pause();
        socket.off('data', onData);
        socket.off('close', finish);
        const after = reader.takeRest();
        resolve(command === undefined ? undefined : { command, rest: after });
      };
      socket.on('data', onData);
      socket.once('close', finish);
      if (rest.length > 0) reader.push(rest);
    });
  }

  private run(socket: Socket, from: number, command: string, pending: Buffer, start: CommandStarter): void {
    const { log } = this.options;
    const { nameOf } = this;
    const startedAt = this.clock.now();
    const stop = new AbortController();
    const onClosed = () => stop.abort(this.closed.signal.reason);
    this.closed.signal.addEventListener('abort', onClosed, { once: true });
    log(`launch from ${nameOf(from)}: ${shorten(command)}`, { event: 'launch', from, command });
    const child = start(command, stop.signal);
    let pausedByStdin = false;
    const reader = new StreamReader(
      (kind, payload) => {
        if (kind === 'stdin') {
          if (payload.length === 0) child.stdin.end();
          else if (!child.stdin.write(payload)) {
            pausedByStdin = true;
            socket.pause();
            child.stdin.once('drain', () => ((pausedByStdin = false), socket.resume()));
          }
        } else if (kind !== 'beat') socket.destroy();
      },
      () => socket.destroy(),
    );
    child.stdin.on('error', () => {});
    socket.once('close', () => stop.abort(new Error('the launch connection closed')));
    if (pending.length > 0) reader.push(pending);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    if (!pausedByStdin) socket.resume();
    keepAlive(
      { onActivity: (handler) => socket.on('data', handler), onClose: (handler) => socket.once('close', handler), beat: () => sendStream(socket, 'beat'), destroy: () => socket.destroy(), paused: () => pausedByStdin },
      this.options.sessionTimeoutMs,
      this.clock,
    );
    const output = Promise.all([relayOutput(child.stdout, socket, 'stdout'), relayOutput(child.stderr, socket, 'stderr')]);
    const done = Promise.all([child.ended, output]).then(([ended]) => {
      this.closed.signal.removeEventListener('abort', onClosed);
      const record: LaunchRecord = { from, command, exitCode: ended.exitCode, signal: ended.signal, stopped: ended.stopped, runMs: this.clock.now() - startedAt };
      const how = ended.signal === null ? `exit ${ended.exitCode}` : ended.signal;
      log(`launch from ${nameOf(from)} ended: ${how}${ended.stopped ? ' (stopped)' : ''}: ${shorten(command)}`, { event: 'launch-ended', ...record });
      sendJson(socket, 'exit', { code: ended.exitCode, signal: ended.signal });
      socket.end();
      this.onEnded?.(record);
    });
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  /** Every launch's end, for a pod whose launches are its work (`rollcall serve`). */
  onEnded: ((record: LaunchRecord) => void) | undefined;
}

/**
 * The command as the log shows it: the environment a launcher sets up first (`PATH=… ; export PATH ;`)
 * left out, spaces collapsed, at most 200 characters.
 */
function shorten(command: string): string {
  const shown = command.replace(/^(\s*\w+=\S*\s*;\s*export\s+\w+\s*;)+/, '… ').replace(/\s+/g, ' ').trim();
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
