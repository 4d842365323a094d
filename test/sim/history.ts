import type { SimClock } from './sim-clock.js';

/** One thing that happened in a simulated group, at a moment of its clock. */
export interface SimEvent {
  at: number;
  pod: string;
  index: number;
  generation: number;
  event: string;
  fields: Record<string, unknown>;
}

/** Everything a run did, in order: what the properties are checked against, and what a failing seed prints. */
export class History {
  readonly events: SimEvent[] = [];
  private readonly lines: { at: number; pod: string; line: string }[] = [];

  constructor(private readonly clock: SimClock) {}

  event(pod: string, index: number, generation: number, event: string, fields: Record<string, unknown>): void {
    this.events.push({ at: this.clock.now(), pod, index, generation, event, fields });
  }

  /** A line a pod's rollcall logged. */
  line(pod: string, line: string): void {
    this.lines.push({ at: this.clock.now(), pod, line });
  }

  of(event: string): SimEvent[] {
    return this.events.filter((entry) => entry.event === event);
  }

  /** The run as a person reads it: events and log lines interleaved, by time. */
  render(limit = 400): string {
    const rows = [
      ...this.events.map((entry) => ({ at: entry.at, text: `${entry.pod} ${entry.event}${Object.keys(entry.fields).length === 0 ? '' : ` ${JSON.stringify(entry.fields)}`}` })),
      ...this.lines.map((entry) => ({ at: entry.at, text: `${entry.pod} | ${entry.line}` })),
    ].sort((a, b) => a.at - b.at);
    const shown = rows.length > limit ? [...rows.slice(0, limit / 2), { at: Number.NaN, text: `… ${rows.length - limit} more …` }, ...rows.slice(-limit / 2)] : rows;
    return shown.map((row) => `${Number.isNaN(row.at) ? '' : `${(row.at / 1000).toFixed(3).padStart(9)}s`} ${row.text}`).join('\n');
  }
}
