import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** SIGKILL after this long. */
  timeoutMs?: number;
  onSpawn?: (pid: number) => void;
  /** Each chunk of stderr as it comes, with the process's pid: to act on what it says (signal it, say). */
  onStderr?: (chunk: string, pid: number) => void;
  cwd?: string;
}

/** Runs argv to its end with only PATH and `env`. */
export function runProcess(argv: readonly string[], env: Record<string, string> = {}, { timeoutMs = 20_000, onSpawn, onStderr, cwd }: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      if (child.pid !== undefined) onStderr?.(String(chunk), child.pid);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => (stderr += String(error)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
  });
}

/**
 * An `onStderr` that sends `signal` once, the first time the process writes `text` (say, that it is
 * waiting: its handlers are in place by then); `sent` tells whether it did.
 */
export function signalOnceItSays(text: string, signal: NodeJS.Signals): { onStderr: (chunk: string, pid: number) => void; readonly sent: boolean } {
  let sent = false;
  return {
    onStderr(chunk, pid) {
      if (sent || !chunk.includes(text)) return;
      sent = true;
      process.kill(pid, signal);
    },
    get sent() {
      return sent;
    },
  };
}
