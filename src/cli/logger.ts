import type { Progress } from '../barrier/options.js';
import { describeCount } from '../errors.js';

export type LogFormat = 'text' | 'json';

/**
 * Logs on stderr (stdout belongs to the workload): readable lines, or one JSON object a line for log
 * pipelines; on a terminal, progress is one live line rewritten in place.
 */
export class Logger {
  private live = false;

  constructor(
    private readonly format: LogFormat,
    private readonly given?: NodeJS.WriteStream,
  ) {}

  // Node builds process.stderr on its first use: not before the pod's first DNS question, which the
  // constructor comes before.
  private get stream(): NodeJS.WriteStream {
    return this.given ?? process.stderr;
  }

  get interactive(): boolean {
    return this.format === 'text' && this.stream.isTTY === true;
  }

  line(message: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.endLive();
    if (this.format === 'json') this.stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
    else this.stream.write(`rollcall: ${message}\n`);
  }

  progress(progress: Progress): void {
    if (!this.interactive) return;
    this.stream.write(`\r\x1b[Krollcall: ${describeCount(progress)}`);
    this.live = true;
  }

  private endLive(): void {
    if (!this.live) return;
    this.stream.write('\n');
    this.live = false;
  }
}
