import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to its end (SIGKILL at `timeoutMs`) with only PATH and `env`; `onSpawn` may signal it. */
export function runProcess(argv: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000, onSpawn?: (pid: number) => void): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => (stderr += String(error)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
  });
}
