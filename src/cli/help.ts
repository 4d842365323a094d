import { FLAGS, type FlagSpec } from './flag-table.js';
import { COMMANDS, groupFlags, lifeFlags, workloadFlags, type Command } from './flags.js';

// The help, rendered from the command and flag tables: `rollcall --help`, `rollcall help <command>`.

const FOOTER = [
  'ROLLCALL_SECRET is env only, never a flag: argv is visible to every process.',
  'Exit codes: the command\'s own, or 128+signal; 75 stopped because another pod failed; 124 timed out or stalled; 78 configuration error; 64 usage error; 73 install failed; 126 (from the launcher) this image has no glibc; 255 from "rollcall exec" when the command could not run at all (as ssh); from "rollcall status", 0 healthy, 1 not, 69 no rollcall runs here.',
];

/** The help's width: a terminal's 100 columns, or a pager's. */
const HELP_WIDTH = 100;
const FLAG_COLUMN = Math.max(...Object.entries(FLAGS).map(([name, spec]) => `--${name} ${spec.arg}`.length)) + 2;
const ENV_COLUMN = Math.max(...Object.values(FLAGS).map((spec) => spec.env.length)) + 2;

/**
 * Rows of columns, each column as wide as its widest cell (all rows given), the last one's words wrapped
 * to the help's width and continued under it.
 */
function table(rows: readonly (readonly string[])[], widths?: readonly number[]): string {
  const columns = widths ?? rows[0]?.slice(0, -1).map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length)) + 2) ?? [];
  const indent = 2 + columns.reduce((sum, width) => sum + width, 0);
  return rows
    .map((row) => {
      const lead = row.slice(0, -1).map((cell, column) => cell.padEnd(columns[column] as number)).join('');
      const lines: string[] = [];
      for (const word of (row.at(-1) as string).split(' ')) {
        const last = lines.length - 1;
        if (last >= 0 && indent + (lines[last] as string).length + 1 + word.length <= HELP_WIDTH) lines[last] += ` ${word}`;
        else lines.push(word);
      }
      return lines.map((line, position) => (position === 0 ? `  ${lead}${line}` : `${' '.repeat(indent)}${line}`)).join('\n');
    })
    .join('\n');
}

/** A paragraph wrapped to the help's width. */
const paragraph = (text: string) => table([[text]], []).slice(2).replaceAll('\n  ', '\n');
const footer = () => `${FOOTER.map(paragraph).join('\n\n')}\n`;

function flagLines(names: string[]): string {
  return table(
    names.map((name) => {
      const spec = FLAGS[name] as FlagSpec;
      return [`--${name} ${spec.arg}`, spec.env, spec.help];
    }),
    [FLAG_COLUMN, ENV_COLUMN],
  );
}

/** `rollcall --help`, or `rollcall <command> --help`. */
export function helpText(command?: Command): string {
  if (command !== undefined) {
    const spec = COMMANDS[command];
    const switches = Object.entries(spec.switches ?? {}).map(([name, help]) => [name === 'replicas' ? '-n, --replicas N' : `--${name}`, help]);
    const flags = spec.flags.length === 0 ? '' : `\nFlags, each with its env twin (flags win):\n${flagLines(spec.flags)}\n`;
    return `Usage: ${spec.usage}\n\n${paragraph(`${spec.summary}.`)}\n${switches.length > 0 ? `\n${table(switches, [FLAG_COLUMN + ENV_COLUMN])}\n` : ''}${flags}\n${footer()}`;
  }
  const usage = [
    ...(Object.keys(COMMANDS) as Command[]).map((name) => [COMMANDS[name].usage, COMMANDS[name].summary]),
    ['rollcall --version', 'the version, and the Node that runs it'],
    ['rollcall help [<command>]', "this help, or that command's flags (also <command> --help)"],
  ];
  return `rollcall: start the pods of a Kubernetes Indexed Job together.

Usage:
${table(usage)}

Every flag has an env twin (flags win). Finding the group:
${flagLines(groupFlags)}
The group's life, while the workload runs (rollcall -- <command>, local):
${flagLines(lifeFlags)}
The workload's env:
${flagLines(workloadFlags)}

${paragraph("While the workloads run, the first failure anywhere (an exit other than 0, a signal, a pod gone for the session timeout or replaced) stops every pod's workload, or starts a restart round with --restarts.")}

${footer()}`;
}
