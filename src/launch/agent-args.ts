/**
 * What a launcher passes its remote agent, read as ssh would: options first, then the host, then the
 * command's words, which the remote side joins with spaces and hands to `sh -c` (the launcher quoted
 * them for a shell). Options a launcher or its user may add (Hydra's `-x`, the MPI Operator's
 * `-o ConnectionAttempts=10`) are accepted and have nothing to do here: there is no ssh.
 */
export interface AgentRequest {
  host: string;
  command: string;
}

/** ssh's options that take no value. */
const SWITCHES = new Set('146AaCfGgKkMNnqsTtVvXxYy'.split(''));
/** ssh's options that take one. */
const WITH_VALUE = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));

export class AgentUsageError extends Error {
  override name = 'AgentUsageError';
}

export function parseAgentArgs(argv: readonly string[]): AgentRequest {
  let at = 0;
  while (at < argv.length) {
    const word = argv[at] as string;
    if (word === '--') {
      at++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    // A cluster of switches (-xT), possibly ending in one that takes the rest of the word or the next word (-oBatchMode=yes, -p 22).
    for (let position = 1; position < word.length; position++) {
      const letter = word[position] as string;
      if (WITH_VALUE.has(letter)) {
        if (position === word.length - 1) {
          if (at + 1 >= argv.length) throw new AgentUsageError(`option -${letter} needs a value`);
          at++;
        }
        break;
      }
      if (!SWITCHES.has(letter)) throw new AgentUsageError(`unknown option -${letter} (rollcall exec takes ssh's options and ignores them)`);
    }
    at++;
  }
  const host = argv[at];
  if (host === undefined || host === '') throw new AgentUsageError('needs a host and a command: rollcall exec HOST [--] COMMAND [ARGS…]');
  let words = argv.slice(at + 1);
  if (words[0] === '--') words = words.slice(1);
  const command = words.join(' ');
  if (command.trim() === '') throw new AgentUsageError(`needs a command to run on ${host}: rollcall exec opens no interactive shell`);
  return { host, command };
}
