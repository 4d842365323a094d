import { parseArgs } from 'node:util';
import { FLAGS, GROUP_FLAGS, LIFE_FLAGS, WORKLOAD_FLAGS, type FlagSpec } from './flag-table.js';

export class UsageError extends Error {
  override name = 'UsageError';

  /** The command whose help the user should read ("" for the general help). */
  constructor(
    message: string,
    readonly command = '',
  ) {
    super(message);
  }
}

export type Command = 'run' | 'serve' | 'exec' | 'status' | 'wait' | 'peers' | 'demo' | 'local' | 'install';

export interface ParsedArgs {
  command: Command | 'help' | 'version';
  /** For `help`: the command whose help was asked for, or undefined for the general help. */
  helpFor: Command | undefined;
  /** Flags as their env twins. */
  env: Record<string, string>;
  /** Which flag set each env twin, to name the flag in errors about its value. */
  flagOf: Record<string, string>;
  json: boolean;
  replicas: number | undefined;
  /** The command after "--"; for `exec`, all its arguments (ssh's way). */
  workload: string[];
  /** Where `rollcall install` puts the executable. */
  installDir: string | undefined;
}

/** The most replicas `rollcall local` runs: each needs an address of its own on 127.0.0.0/24. */
export const MAX_LOCAL_REPLICAS = 250;

/** What `rollcall local` sets for each replica itself: given as flags they would be silently lost. */
// --count is taken by `local` only as MIN:MAX (an elastic group): -n says how many replicas start.
const LOCAL_OWNED = new Set(['index', 'hostname', 'namespace', 'cluster-domain', 'dns-servers', 'listen-host', 'ip-family']);
const except = (names: string[], owned: Set<string>) => names.filter((name) => !owned.has(name));
export const groupFlags = Object.keys(GROUP_FLAGS);
export const lifeFlags = Object.keys(LIFE_FLAGS);
export const workloadFlags = Object.keys(WORKLOAD_FLAGS);

interface CommandSpec {
  usage: string;
  summary: string;
  flags: string[];
  /** Switches without a value, with their help. */
  switches?: Record<string, string>;
}

export const COMMANDS: Record<Command, CommandSpec> = {
  run: { usage: 'rollcall [flags] -- <command> [args…]', summary: "wait for the group, then run the command with the group's env", flags: [...groupFlags, ...lifeFlags, ...workloadFlags] },
  serve: {
    usage: 'rollcall serve [flags]',
    summary: "wait for the group, then run what its launchers send (mpirun's daemons) until index 0 has finished",
    flags: [...groupFlags, ...lifeFlags, ...workloadFlags],
  },
  exec: {
    usage: 'rollcall exec HOST [--] <command> [args…]',
    summary:
      "run a command in another pod of the group, as ssh would (MPI's remote agent). HOST: an index, a pod name, a hostfile name, the FQDN or an address; ssh's options before it are ignored",
    flags: [],
  },
  status: {
    usage: 'rollcall status [--json]',
    summary: "in a pod of a running group (kubectl exec): the group as index 0 knows it, each pod's state, address, last heard from and last progress; exit 0 when healthy, 1 when not (a readiness or liveness check), 69 when no rollcall runs here",
    flags: [],
    switches: { json: 'print the status as JSON' },
  },
  wait: { usage: 'rollcall wait [flags]', summary: 'wait for the group, exit 0 (init containers, shell scripts)', flags: groupFlags },
  peers: { usage: 'rollcall peers [--json] [flags]', summary: 'wait, then print the group', flags: groupFlags, switches: { json: 'print the group as JSON' } },
  demo: { usage: 'rollcall demo [flags]', summary: "the Kubernetes task page's 3-pod job, on this machine", flags: ['port', 'timeout', 'log-format'] },
  local: {
    usage: 'rollcall local -n N [flags] -- <cmd>',
    summary: 'run N replicas of a workload locally, as pods would',
    flags: [...except(groupFlags, LOCAL_OWNED), ...lifeFlags, ...workloadFlags],
    switches: { replicas: `how many replicas (-n N, 1 to ${MAX_LOCAL_REPLICAS}; 3; with --group, as many as its parts)` },
  },
  install: { usage: 'rollcall install <dir>', summary: 'copy this executable (and its launcher) into <dir>, for an init container; then run <dir>/rollcall in any glibc image', flags: [] },
};

/** Flags that had another name, answered with the new one rather than "unknown". */
const RENAMED: Record<string, { now: string; why: string }> = {
  'env-file': {
    now: 'env-from',
    why: 'Node takes --env-file for itself wherever it stands before a "--" (run as "node rollcall.mjs …", and in the single executable), so it often never reached rollcall; ROLLCALL_ENV_FILE is unchanged',
  },
};

const SUBCOMMANDS = new Set<string>(['serve', 'exec', 'status', 'wait', 'peers', 'demo', 'local', 'install']);
const EVERY_FLAG = [...Object.keys(FLAGS), 'json', 'replicas', 'help', 'version'];

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  // The agent's words are ssh's (-x, -o Opt=…, the host, the command): rollcall's flags do not apply.
  if (argv[0] === 'exec') {
    const help = argv.length === 2 && (argv[1] === '--help' || argv[1] === '-h');
    return { command: help ? 'help' : 'exec', helpFor: help ? 'exec' : undefined, env: {}, flagOf: {}, json: false, replicas: undefined, workload: help ? [] : argv.slice(1), installDir: undefined };
  }
  const separator = argv.indexOf('--');
  const own = separator === -1 ? [...argv] : argv.slice(0, separator);
  const workloadArgs = separator === -1 ? [] : argv.slice(separator + 1);
  const { tokens } = parseArgs({
    args: own,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      json: { type: 'boolean' },
      replicas: { type: 'string', short: 'n' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  const positionals = tokens.flatMap((token) => (token.kind === 'positional' ? [token.value] : []));
  const options = tokens.flatMap((token) => (token.kind === 'option' ? [token] : []));
  const first = positionals[0];
  // `rollcall help` and `rollcall help <command>`, as git and kubectl take it.
  if (first === 'help' && separator === -1 && options.length === 0 && positionals.length <= 2) {
    const about = positionals[1];
    if (about === undefined || SUBCOMMANDS.has(about)) return { command: 'help', helpFor: about as Command | undefined, env: {}, flagOf: {}, json: false, replicas: undefined, workload: [], installDir: undefined };
    if (about === 'run' || about === '--') return { command: 'help', helpFor: 'run', env: {}, flagOf: {}, json: false, replicas: undefined, workload: [], installDir: undefined };
    throw new UsageError(`no help for "${about}", which is not a command${suggestion(about, [...SUBCOMMANDS])}`);
  }
  const command: Command | undefined = first !== undefined && SUBCOMMANDS.has(first) ? (first as Command) : separator !== -1 && first === undefined ? 'run' : undefined;
  const bare = { env: {}, flagOf: {}, json: false, replicas: undefined, workload: [], installDir: undefined };

  for (const option of options) {
    const renamed = RENAMED[option.name];
    if (renamed !== undefined) throw new UsageError(`${option.rawName} is now --${renamed.now}: ${renamed.why}`, command ?? '');
    if (!EVERY_FLAG.includes(option.name)) throw new UsageError(`unknown flag ${option.rawName}${suggestion(option.name)}`, command ?? '');
  }
  if (options.some((option) => option.name === 'help')) return { command: 'help', helpFor: command, ...bare };
  if (options.some((option) => option.name === 'version')) return { command: 'version', helpFor: undefined, ...bare };

  if (first !== undefined && command === undefined) throw new UsageError(`unknown command "${first}"${suggestion(first, [...SUBCOMMANDS])}; put the workload after "--"`);
  if (command === undefined) throw new UsageError('nothing to do: give a command after "--", or "serve", "exec", "status", "wait", "peers", "demo", "local" or "install"');
  const spec = COMMANDS[command];
  for (const option of options) {
    const takes = spec.flags.includes(option.name) || Object.hasOwn(spec.switches ?? {}, option.name);
    if (!takes) throw new UsageError(`${option.rawName} ${flagMisplaced(option.name, command)}`, command);
    if (option.name === 'json') continue;
    if (option.value === undefined || option.value === '') throw new UsageError(`${option.rawName} needs a value`, command);
    // A separate word that is itself a flag was not meant as the value; a negative number may be.
    if (option.inlineValue === false && /^-[-a-zA-Z]/.test(option.value)) throw new UsageError(`${option.rawName} needs a value, not the flag ${option.value}`, command);
  }

  if (command === 'install') {
    if (positionals.length !== 2 || separator !== -1) throw new UsageError('"rollcall install" takes one directory, e.g. "rollcall install /rollcall"', command);
    return { command, helpFor: undefined, ...bare, installDir: positionals[1] };
  }
  if (positionals.length > 1) throw new UsageError(`"rollcall ${command}" takes no argument "${positionals[1]}"; put the workload after "--"`, command);
  if ((command === 'run' || command === 'local') && workloadArgs.length === 0) throw new UsageError(`"${command === 'run' ? 'rollcall --' : 'rollcall local --'}" needs a command after "--"`, command);
  if (command !== 'run' && command !== 'local' && workloadArgs.length > 0) throw new UsageError(`"rollcall ${command}" takes no command after "--"`, command);

  const env: Record<string, string> = {};
  const flagOf: Record<string, string> = {};
  let json = false;
  let rawReplicas: string | undefined;
  for (const option of options) {
    if (option.name === 'json') json = true;
    else if (option.name === 'replicas') rawReplicas = option.value;
    else {
      const variable = (FLAGS[option.name] as FlagSpec).env;
      env[variable] = option.value as string;
      flagOf[variable] = `--${option.name}`;
    }
  }
  if (command === 'local' && env.ROLLCALL_COUNT !== undefined && !/^\d+:\d+$/.test(env.ROLLCALL_COUNT)) {
    throw new UsageError(`--count is taken by "rollcall local" only as MIN:MAX, for an elastic group; give how many replicas run with -n N, got "${env.ROLLCALL_COUNT}"`, command);
  }
  const replicas = rawReplicas === undefined ? undefined : Number(rawReplicas);
  if (replicas !== undefined && (!/^\d+$/.test(rawReplicas as string) || replicas < 1 || replicas > MAX_LOCAL_REPLICAS)) {
    throw new UsageError(`--replicas (-n) must be an integer from 1 to ${MAX_LOCAL_REPLICAS}, got "${String(rawReplicas)}"`, command);
  }
  return { command, helpFor: undefined, env, flagOf, json, replicas, workload: workloadArgs, installDir: undefined };
}

function flagMisplaced(name: string, command: Command): string {
  const where = (Object.keys(COMMANDS) as Command[]).filter((other) => COMMANDS[other].flags.includes(name) || Object.hasOwn(COMMANDS[other].switches ?? {}, name));
  if (command === 'local' && LOCAL_OWNED.has(name)) return 'is not taken by "rollcall local", which sets it for each replica itself';
  const named = where.map((other) => (other === 'run' ? '"rollcall -- <command>"' : `"rollcall ${other}"`));
  return `does not go with "rollcall${command === 'run' ? ' --' : ` ${command}`}"${named.length > 0 ? `; it goes with ${named.join(', ')}` : ''}`;
}

/** "; did you mean --restarts?" for a near miss (an edit or two away, or a prefix), else nothing. */
function suggestion(word: string, candidates = EVERY_FLAG): string {
  const ranked = candidates
    .map((candidate) => ({ candidate, distance: candidate.startsWith(word) || word.startsWith(candidate) ? 1 : editDistance(word, candidate) }))
    .sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  if (best === undefined || best.distance > Math.max(2, Math.floor(word.length / 3))) return '';
  return `; did you mean ${candidates === EVERY_FLAG ? `--${best.candidate}` : `"${best.candidate}"`}?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
