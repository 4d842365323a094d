import { describe, expect, test } from 'vitest';
import { AgentUsageError, parseAgentArgs } from '../../../src/launch/agent-args.js';

describe('the agent command line, read as ssh reads it', () => {
  test("Open MPI's call: the host, then pre-quoted words (an empty one among them) joined for sh -c", () => {
    expect(parseAgentArgs(['job-1.svc', '', 'orted', '-mca', 'ess', '"env"'])).toEqual({ host: 'job-1.svc', command: ' orted -mca ess "env"' });
  });

  test("Hydra's -x and the MPI Operator's -o are ssh options, ignored; clusters and attached values too", () => {
    expect(parseAgentArgs(['-x', 'job-2', '"/usr/bin/hydra_pmi_proxy"', '--control-port', '10.0.0.1:4000'])).toEqual({ host: 'job-2', command: '"/usr/bin/hydra_pmi_proxy" --control-port 10.0.0.1:4000' });
    expect(parseAgentArgs(['-o', 'ConnectionAttempts=10', '-oBatchMode=yes', '-p', '22', '-qxT', '-l', 'root', '3', 'hostname'])).toEqual({ host: '3', command: 'hostname' });
    expect(parseAgentArgs(['-xp2222', 'job-0', 'true'])).toEqual({ host: 'job-0', command: 'true' });
  });

  test('"--" may come before the host or after it; what follows is the command even if it looks like a flag', () => {
    expect(parseAgentArgs(['--', 'job-1', '-c', 'x'])).toEqual({ host: 'job-1', command: '-c x' });
    expect(parseAgentArgs(['job-1', '--', '-v'])).toEqual({ host: 'job-1', command: '-v' });
  });

  test('a lone "-" is a word, not an option (ssh takes it as the host)', () => {
    expect(parseAgentArgs(['-', 'true'])).toEqual({ host: '-', command: 'true' });
  });

  test('each usage error says what is missing', () => {
    const message = (argv: string[]) => {
      try {
        parseAgentArgs(argv);
      } catch (error) {
        expect((error as Error).name).toBe('AgentUsageError');
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message(['-p'])).toBe('option -p needs a value');
    expect(message(['-x', '-o'])).toBe('option -o needs a value');
    expect(message(['-p', '22'])).toBe('needs a host and a command: rollcall exec HOST [--] COMMAND [ARGS…]');
    expect(message(['', 'true'])).toBe('needs a host and a command: rollcall exec HOST [--] COMMAND [ARGS…]');
    expect(message(['-p', '22', 'job-1', 'true'])).toBe('no error');
  });

  test('a missing host or command, an option missing its value, or an option ssh does not have is a usage error', () => {
    for (const argv of [[], ['-x'], ['job-1'], ['job-1', '  '], ['-o'], ['-Z', 'job-1', 'true']]) expect(() => parseAgentArgs(argv), argv.join(' ')).toThrow(AgentUsageError);
    expect(() => parseAgentArgs(['job-1'])).toThrow('needs a command to run on job-1: rollcall exec opens no interactive shell');
    expect(() => parseAgentArgs(['-Z', 'h', 'c'])).toThrow('unknown option -Z');
  });
});
