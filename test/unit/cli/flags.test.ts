import { describe, expect, test } from 'vitest';
import { UsageError, parseCommandLine } from '../../../src/cli/flags.js';
import { helpText } from '../../../src/cli/help.js';
import { FLAGS } from '../../../src/cli/flag-table.js';

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`${argv.join(' ')} parsed without an error`);
}

describe('the command line', () => {
  test('flags become their env twins, and remember which flag set each', () => {
    const args = parseCommandLine(['--index', '2', '--timeout=90s', '--restarts', '1', '--', 'python', 'train.py', '--index', '7']);
    expect(args).toMatchObject({ command: 'run', env: { ROLLCALL_INDEX: '2', ROLLCALL_TIMEOUT: '90s', ROLLCALL_RESTARTS: '1' }, workload: ['python', 'train.py', '--index', '7'] });
    expect(args.flagOf).toEqual({ ROLLCALL_INDEX: '--index', ROLLCALL_TIMEOUT: '--timeout', ROLLCALL_RESTARTS: '--restarts' });
    expect(parseCommandLine(['local', '-n', '4', '--', 'true'])).toMatchObject({ command: 'local', replicas: 4 });
    expect(parseCommandLine(['peers', '--json'])).toMatchObject({ command: 'peers', json: true });
    expect(parseCommandLine(['status'])).toMatchObject({ command: 'status', json: false });
    expect(parseCommandLine(['status', '--json'])).toMatchObject({ command: 'status', json: true });
    expect(usageError(['status', '--timeout', '5s']).message).toBe('--timeout does not go with "rollcall status"; it goes with "rollcall -- <command>", "rollcall serve", "rollcall wait", "rollcall peers", "rollcall demo", "rollcall local"');
  });

  test("an unknown flag gets rollcall's own message, with the flag it most likely meant", () => {
    expect(usageError(['--restart', '2', '--', 'true']).message).toBe('unknown flag --restart; did you mean --restarts?');
    expect(usageError(['wait', '--tiemout', '5s']).message).toBe('unknown flag --tiemout; did you mean --timeout?');
    expect(usageError(['wait', '--tiemout', '5s']).command).toBe('wait');
    expect(usageError(['--frobnicate', '--', 'true']).message).toBe('unknown flag --frobnicate');
    expect(usageError(['-x', '--', 'true']).message).toBe('unknown flag -x');
    expect(usageError(['wiat']).message).toBe('unknown command "wiat"; did you mean "wait"?; put the workload after "--"');
  });

  test('a flag that the command would ignore is refused, naming where it goes', () => {
    expect(usageError(['local', '-n', '3', '--index', '1', '--', 'true']).message).toBe('--index is not taken by "rollcall local", which sets it for each replica itself');
    expect(usageError(['local', '-n', '3', '--count', '5', '--', 'true']).message).toMatch(/^--count is taken by "rollcall local" only as MIN:MAX/);
    expect(parseCommandLine(['local', '-n', '3', '--count', '2:4', '--', 'true']).env).toEqual({ ROLLCALL_COUNT: '2:4' });
    expect(usageError(['local', '-n', '3', '--hostname', 'x', '--', 'true']).message).toBe('--hostname is not taken by "rollcall local", which sets it for each replica itself');
    expect(usageError(['wait', '--preset', 'torchrun']).message).toBe('--preset does not go with "rollcall wait"; it goes with "rollcall -- <command>", "rollcall serve", "rollcall local"');
    expect(usageError(['wait', '--json']).message).toBe('--json does not go with "rollcall wait"; it goes with "rollcall status", "rollcall peers"');
    expect(usageError(['peers', '--restarts', '2']).message).toMatch(/^--restarts does not go with "rollcall peers"/);
    expect(usageError(['demo', '--topology', 'star']).message).toMatch(/^--topology does not go with "rollcall demo"/);
    expect(usageError(['-n', '2', '--', 'true']).message).toMatch(/^-n does not go with "rollcall --"; it goes with "rollcall local"/);
    expect(usageError(['install', '/x', '--port', '1']).message).toMatch(/^--port does not go with "rollcall install"/);
  });

  test('a flag without its value is an error, not the next flag taken as its value', () => {
    expect(usageError(['wait', '--count']).message).toBe('--count needs a value');
    expect(usageError(['wait', '--count=']).message).toBe('--count needs a value');
    expect(usageError(['wait', '--count', '--timeout', '5s']).message).toBe('--count needs a value, not the flag --timeout');
    expect(usageError(['local', '-n', '--', 'true']).message).toMatch(/needs a value|needs a command/);
    expect(parseCommandLine(['wait', '--count', '-1']).env).toEqual({ ROLLCALL_COUNT: '-1' });
  });

  test('usage mistakes are errors', () => {
    expect(usageError([]).message).toMatch(/^nothing to do/);
    expect(usageError(['--']).message).toBe('"rollcall --" needs a command after "--"');
    expect(usageError(['wait', '--', 'true']).message).toBe('"rollcall wait" takes no command after "--"');
    expect(usageError(['wait', 'extra']).message).toMatch(/takes no argument "extra"/);
    expect(usageError(['install']).message).toMatch(/takes one directory/);
    expect(usageError(['local', '-n', '0', '--', 'true']).message).toMatch(/from 1 to 250, got "0"/);
    expect(usageError(['local', '-n', '2.5', '--', 'true']).message).toMatch(/got "2.5"/);
  });

  test('each command has its own --help, listing only the flags it takes', () => {
    expect(parseCommandLine(['local', '--help'])).toMatchObject({ command: 'help', helpFor: 'local' });
    expect(parseCommandLine(['--help'])).toMatchObject({ command: 'help', helpFor: undefined });
    expect(parseCommandLine(['-h', '--', 'python', '--help'])).toMatchObject({ command: 'help', helpFor: 'run' });
    // After "--", --help is the workload's.
    expect(parseCommandLine(['--', 'python', '--help'])).toMatchObject({ command: 'run', workload: ['python', '--help'] });

    const local = helpText('local');
    expect(local).toMatch(/^Usage: rollcall local -n N \[flags\] -- <cmd>/);
    expect(local).toContain('-n, --replicas N');
    expect(local).toContain('--restarts N');
    expect(local).not.toContain('--index');
    const wait = helpText('wait');
    expect(wait).toContain('--index N');
    expect(wait).not.toContain('--preset');
    expect(wait).not.toContain('--json');
    expect(helpText('peers')).toContain('--json');
    expect(helpText('install')).not.toContain('Flags,');
    const general = helpText();
    for (const word of ['rollcall [flags] -- <command>', 'rollcall help [<command>]', 'ROLLCALL_TIMEOUT', 'ROLLCALL_PRESET', 'ROLLCALL_SECRET is env only']) expect(general).toContain(word);
  });

  test('"rollcall help" and "rollcall help <command>" are the help, as git and kubectl take them', () => {
    expect(parseCommandLine(['help'])).toMatchObject({ command: 'help', helpFor: undefined });
    expect(parseCommandLine(['help', 'serve'])).toMatchObject({ command: 'help', helpFor: 'serve' });
    expect(parseCommandLine(['help', 'run'])).toMatchObject({ command: 'help', helpFor: 'run' });
    expect(usageError(['help', 'sreve']).message).toBe('no help for "sreve", which is not a command; did you mean "serve"?');
    // A workload called help is still a workload.
    expect(parseCommandLine(['--', 'help'])).toMatchObject({ command: 'run', workload: ['help'] });
  });

  test('every help line fits in 100 columns, and every flag, its env twin and its words stand apart', () => {
    for (const command of [undefined, 'run', 'serve', 'exec', 'status', 'wait', 'peers', 'demo', 'local', 'install'] as const) {
      const text = helpText(command);
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
      for (const [name, spec] of Object.entries(FLAGS)) {
        if (!text.includes(`--${name} `)) continue;
        // The env twin on the flag's own line, with at least two spaces either side.
        expect(text, name).toMatch(new RegExp(`--${name} ${spec.arg.replace(/[|]/g, '\\$&')}  +${spec.env}  +\\S`));
      }
    }
  });

  test('--env-file, which Node takes for itself, is answered with its new name', () => {
    expect(usageError(['wait', '--env-file', '/x']).message).toBe(
      '--env-file is now --env-from: Node takes --env-file for itself wherever it stands before a "--" (run as "node rollcall.mjs …", and in the single executable), so it often never reached rollcall; ROLLCALL_ENV_FILE is unchanged',
    );
    expect(parseCommandLine(['wait', '--env-from', '/x']).env).toEqual({ ROLLCALL_ENV_FILE: '/x' });
  });
});
