import { connect } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { systemClock, type Clock } from '../time/clock.js';
import { keepAlive } from '../transport/heartbeat.js';
import { StreamReader, jsonPayload, sendJson, sendStream } from '../transport/stream-frames.js';
import type { AgentRequest } from './agent-args.js';
import { relayOutput } from './relay.js';

/** ssh's own exit status when it could not run the command at all: launchers read it as "unreachable". */
export const AGENT_FAILED = 255;

export interface AgentOptions {
  /** The pod's launch socket, served by its rollcall. */
  socketPath: string;
  request: AgentRequest;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Silence after which the launch counts as lost. */
  sessionTimeoutMs: number;
  /** Aborting it drops the launch; the remote side stops the command. */
  signal: AbortSignal;
  clock?: Clock;
}

/**
 * `rollcall exec`'s work: asks the pod's rollcall to launch the command on the host, relays stdin there
 * and the command's stdout and stderr back byte for byte, and resolves with its exit status (128 + n
 * for a signal), or 255 with a message naming the host when it could not run or the link was lost.
 */
export function runAgent(options: AgentOptions): Promise<number> {
  const { request, stdout, stderr, signal } = options;
  const clock = options.clock ?? systemClock;
  return new Promise((resolve) => {
    const socket = connect(options.socketPath);
    let status: number | undefined;
    const fail = (why: string) => {
      if (status !== undefined) return;
      status = AGENT_FAILED;
      stderr.write(`rollcall exec: ${request.host}: ${why}\n`);
    };
    let paused = false;
    const hold = (target: Writable, payload: Buffer) => {
      if (target.write(payload)) return;
      paused = true;
      socket.pause();
      target.once('drain', () => ((paused = false), socket.resume()));
    };
    const reader = new StreamReader(
      (kind, payload) => {
        if (kind === 'stdout') hold(stdout, payload);
        else if (kind === 'stderr') hold(stderr, payload);
        else if (kind === 'exit') {
          const ending = jsonPayload(payload);
          const code = typeof ending?.code === 'number' ? ending.code : undefined;
          const number = typeof ending?.signal === 'string' ? constants.signals[ending.signal as NodeJS.Signals] : undefined;
          status = code ?? (number === undefined ? AGENT_FAILED : 128 + number);
        } else if (kind === 'refused') fail(String(jsonPayload(payload)?.reason ?? 'refused'));
        else if (kind !== 'beat') socket.destroy();
      },
      (why) => (fail(`the launch link spoke garbage (${why})`), socket.destroy()),
    );
    const onAbort = () => (fail(`dropped: ${String((signal.reason as Error | undefined)?.message ?? signal.reason)}`), socket.destroy());
    socket.on('error', (error: NodeJS.ErrnoException) => fail(`cannot reach this pod's rollcall at ${options.socketPath} (${error.code ?? error.message})`));
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.once('connect', () => {
      sendJson(socket, 'start', { host: request.host, command: request.command });
      keepAlive({ onActivity: (handler) => socket.on('data', handler), onClose: (handler) => socket.once('close', handler), beat: () => sendStream(socket, 'beat'), destroy: () => socket.destroy(), paused: () => paused }, options.sessionTimeoutMs, clock);
      void relayOutput(options.stdin, socket, 'stdin').then(() => sendStream(socket, 'stdin'));
    });
    socket.once('close', () => {
      signal.removeEventListener('abort', onAbort);
      options.stdin.destroy();
      if (status === undefined) fail('the launch link was lost before the command ended');
      // The process exits right after: what a slow reader has not taken yet would be lost.
      void Promise.all([flushed(stdout), flushed(stderr)]).then(() => resolve(status as number));
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles once everything written to `stream` has gone out, or it can take no more (its reader went away). */
function flushed(stream: Writable): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
