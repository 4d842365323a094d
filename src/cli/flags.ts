import { parseArgs } from 'node:util';

/** Every flag and its env twin: the CLI only turns flags into these variables and calls the library. */
export const FLAG_ENV = {
  index: 'ROLLCALL_INDEX',
  count: 'ROLLCALL_COUNT',
  'job-name': 'ROLLCALL_JOB_NAME',
  subdomain: 'ROLLCALL_SUBDOMAIN',
  namespace: 'ROLLCALL_NAMESPACE',
  'cluster-domain': 'ROLLCALL_CLUSTER_DOMAIN',
  'job-uid': 'ROLLCALL_JOB_UID',
  port: 'ROLLCALL_PORT',
  'listen-host': 'ROLLCALL_LISTEN_HOST',
  probe: 'ROLLCALL_PROBE',
  topology: 'ROLLCALL_TOPOLOGY',
  timeout: 'ROLLCALL_TIMEOUT',
  'attempt-timeout': 'ROLLCALL_ATTEMPT_TIMEOUT',
  'close-timeout': 'ROLLCALL_CLOSE_TIMEOUT',
  'session-timeout': 'ROLLCALL_SESSION_TIMEOUT',
  restarts: 'ROLLCALL_RESTARTS',
  'fatal-exit-codes': 'ROLLCALL_FATAL_EXIT_CODES',
  'exit-timeout': 'ROLLCALL_EXIT_TIMEOUT',
  grace: 'ROLLCALL_GRACE',
  'dns-servers': 'ROLLCALL_DNS_SERVERS',
  'ip-family': 'ROLLCALL_IP_FAMILY',
  concurrency: 'ROLLCALL_CONCURRENCY',
  'env-file': 'ROLLCALL_ENV_FILE',
  'hostfile-format': 'ROLLCALL_HOSTFILE_FORMAT',
  slots: 'ROLLCALL_SLOTS',
  'master-port': 'ROLLCALL_MASTER_PORT',
  preset: 'ROLLCALL_PRESET',
  'log-format': 'ROLLCALL_LOG_FORMAT',
  'log-interval': 'ROLLCALL_LOG_INTERVAL',
  'termination-log': 'ROLLCALL_TERMINATION_LOG',
} as const;

export type Flag = keyof typeof FLAG_ENV;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgs {
  command: 'run' | 'wait' | 'peers' | 'demo' | 'local' | 'install' | 'help' | 'version';
  /** Flags as their env twins. */
  env: Record<string, string>;
  json: boolean;
  replicas: number | undefined;
  workload: string[];
  /** Where `rollcall install` puts the executable. */
  installDir: string | undefined;
}

const SUBCOMMANDS = new Set(['wait', 'peers', 'demo', 'local']);

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? [...argv] : argv.slice(0, separator);
  const workload = separator === -1 ? [] : argv.slice(separator + 1);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(Object.keys(FLAG_ENV).map((flag) => [flag, { type: 'string' as const }])),
        json: { type: 'boolean' },
        replicas: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const bare = { env: {}, json: false, replicas: undefined, workload: [], installDir: undefined };
  if (values.help === true) return { command: 'help', ...bare };
  if (values.version === true) return { command: 'version', ...bare };
  if (positionals[0] === 'install') {
    if (positionals.length !== 2 || separator !== -1) throw new UsageError('"rollcall install" takes one directory, e.g. "rollcall install /rollcall"');
    return { command: 'install', ...bare, installDir: positionals[1] };
  }
  if (positionals.length > 1 || (positionals.length === 1 && !SUBCOMMANDS.has(positionals[0] as string))) {
    throw new UsageError(`unknown command "${positionals.join(' ')}"; put the workload after "--"`);
  }
  const command = (positionals[0] ?? (separator === -1 ? undefined : 'run')) as ParsedArgs['command'] | undefined;
  if (command === undefined) throw new UsageError('nothing to do: give a command after "--", or "wait", "peers", "demo" or "local"');
  if ((command === 'run' || command === 'local') && workload.length === 0) throw new UsageError(`"${command === 'run' ? 'rollcall --' : 'rollcall local --'}" needs a command after "--"`);
  if (command !== 'run' && command !== 'local' && workload.length > 0) throw new UsageError(`"rollcall ${command}" takes no command after "--"`);
  const env: Record<string, string> = {};
  for (const [flag, variable] of Object.entries(FLAG_ENV)) {
    const value = values[flag];
    if (typeof value === 'string') env[variable] = value;
  }
  const replicas = values.replicas === undefined ? undefined : Number(values.replicas);
  if (replicas !== undefined && (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 250)) {
    throw new UsageError(`--replicas must be an integer from 1 to 250, got "${String(values.replicas)}"`);
  }
  if (replicas !== undefined && command !== 'local') throw new UsageError('--replicas (-n) goes with "rollcall local"');
  return { command, env, json: values.json === true, replicas, workload, installDir: undefined };
}

export const HELP = `rollcall: start the pods of a Kubernetes Indexed Job together.

Usage:
  rollcall [flags] -- <command> [args…]   wait for the group, then run the command with the group's env
  rollcall wait [flags]                   wait for the group, exit 0 (init containers, shell scripts)
  rollcall peers [--json] [flags]         wait, then print the group
  rollcall demo                           the Kubernetes task page's 3-pod job, on this machine
  rollcall local -n N [flags] -- <cmd>    run N replicas of a workload locally, as pods would
  rollcall install <dir>                  copy this executable (and its launcher) into <dir>, for an
                                          init container; then run <dir>/rollcall in any glibc image
  rollcall --version                      the version, and the Node that runs it

Every flag has an env twin (flags win):
  --index N              ROLLCALL_INDEX           this pod's index (default: JOB_COMPLETION_INDEX)
  --count N              ROLLCALL_COUNT           group size = the Job's completions (required)
  --job-name NAME        ROLLCALL_JOB_NAME        default: the hostname minus "-<index>"
  --subdomain NAME       ROLLCALL_SUBDOMAIN       the headless Service (default: from /etc/hosts)
  --namespace NAME       ROLLCALL_NAMESPACE       default: from /etc/hosts or resolv.conf
  --cluster-domain NAME  ROLLCALL_CLUSTER_DOMAIN  default: from /etc/hosts or resolv.conf
  --job-uid UID          ROLLCALL_JOB_UID         refuse pods of other Jobs with the same name
  --port N               ROLLCALL_PORT            rollcall's listener port (7420)
  --listen-host IP       ROLLCALL_LISTEN_HOST     bind the listener to one address (default: all)
  --probe P              ROLLCALL_PROBE           tcp | tcp:<port> | icmp | dns (tcp)
  --topology T           ROLLCALL_TOPOLOGY        mesh | star | auto (auto: star; mesh with a probe other than tcp)
  --timeout D            ROLLCALL_TIMEOUT         300, 90s, 5m (5m)
  --attempt-timeout D    ROLLCALL_ATTEMPT_TIMEOUT one DNS query or connection (2s)
  --close-timeout D      ROLLCALL_CLOSE_TIMEOUT   wait for peers' release acks on exit (10s)
  --session-timeout D    ROLLCALL_SESSION_TIMEOUT silence after which index 0 or a member counts as gone (10s)
  --restarts N           ROLLCALL_RESTARTS        gang restarts: on a failure, stop every workload and
                                                  start all again together, up to N times (0)
  --fatal-exit-codes L   ROLLCALL_FATAL_EXIT_CODES exit codes that end the group without a restart (e.g. 78)
  --exit-timeout D       ROLLCALL_EXIT_TIMEOUT    after success, wait this long for every pod to finish;
                                                  index 0 leaves last (5m; 0 turns the exit barrier off)
  --grace D              ROLLCALL_GRACE           SIGTERM to SIGKILL when the group stops a workload (10s)
  --dns-servers LIST     ROLLCALL_DNS_SERVERS     host[:port],… (default: resolv.conf)
  --ip-family F          ROLLCALL_IP_FAMILY       auto | ipv4 | ipv6 | dual (auto)
  --concurrency N        ROLLCALL_CONCURRENCY     attempts in flight at once (64)
  --env-file PATH        ROLLCALL_ENV_FILE        dotenv file with any ROLLCALL_* value
  --hostfile-format F    ROLLCALL_HOSTFILE_FORMAT plain | openmpi | mpich (plain)
  --slots N              ROLLCALL_SLOTS           slots per host in the hostfile (1)
  --master-port N        ROLLCALL_MASTER_PORT     MASTER_PORT for the workload (29500)
  --preset P             ROLLCALL_PRESET          torchrun | tf | jax
  --log-format F         ROLLCALL_LOG_FORMAT      text | json (text)
  --log-interval D       ROLLCALL_LOG_INTERVAL    how often the "k/N ready" line is logged (5s)
  --termination-log PATH ROLLCALL_TERMINATION_LOG (/dev/termination-log)
  ROLLCALL_SECRET (env only, never a flag: argv is visible to every process)

While the workloads run, the first failure anywhere (an exit other than 0, a signal, a pod gone for the
session timeout or replaced) stops every pod's workload, or starts a restart round with --restarts.

Exit codes: the command's own, or 128+signal; 75 stopped because another pod failed; 124 timed out;
78 configuration error; 64 usage error; 73 install failed; 126 (from the launcher) this image has no glibc.
`;
