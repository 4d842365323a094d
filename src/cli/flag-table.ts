/** Every flag of the CLI, its env twin, and what it is for: the help is rendered from this table. */
export interface FlagSpec {
  env: string;
  /** The value's placeholder in the help. */
  arg: string;
  help: string;
}

/** How the group is found and checked: every command that waits for a group takes these. */
export const GROUP_FLAGS = {
  index: { env: 'ROLLCALL_INDEX', arg: 'N', help: "this pod's index (default: JOB_COMPLETION_INDEX)" },
  count: { env: 'ROLLCALL_COUNT', arg: 'N', help: "group size = the Job's completions, or MIN:MAX for an elastic group (required without --group)" },
  'last-call': { env: 'ROLLCALL_LAST_CALL', arg: 'D', help: 'elastic group: once MIN pods are there, a round releases after this long with no newcomer (5s)' },
  'job-name': { env: 'ROLLCALL_JOB_NAME', arg: 'NAME', help: 'default: the hostname minus "-<index>" (with --group, the JobSet\'s)' },
  hostname: { env: 'ROLLCALL_HOSTNAME', arg: 'NAME', help: "this pod's hostname, for runs outside a pod (default: the machine's)" },
  group: { env: 'ROLLCALL_GROUP', arg: 'PARTS', help: "one group across a JobSet's Jobs: its parts in rank order, name:pods or name:JOBSxPODS (driver:1,workers:2x4)" },
  subdomain: { env: 'ROLLCALL_SUBDOMAIN', arg: 'NAME', help: 'the headless Service (default: from /etc/hosts)' },
  namespace: { env: 'ROLLCALL_NAMESPACE', arg: 'NAME', help: 'default: from /etc/hosts or resolv.conf' },
  'cluster-domain': { env: 'ROLLCALL_CLUSTER_DOMAIN', arg: 'NAME', help: 'default: from /etc/hosts or resolv.conf' },
  'job-uid': { env: 'ROLLCALL_JOB_UID', arg: 'UID', help: 'refuse pods of other Jobs with the same name' },
  port: { env: 'ROLLCALL_PORT', arg: 'N', help: "rollcall's listener port (7420)" },
  'listen-host': { env: 'ROLLCALL_LISTEN_HOST', arg: 'IP', help: 'bind the listener to one address (default: all)' },
  probe: { env: 'ROLLCALL_PROBE', arg: 'P', help: 'tcp | tcp:<port> | icmp | dns (tcp)' },
  topology: { env: 'ROLLCALL_TOPOLOGY', arg: 'T', help: 'mesh | star | auto (auto: star; mesh with a probe other than tcp)' },
  timeout: { env: 'ROLLCALL_TIMEOUT', arg: 'D', help: '300, 90s, 5m (5m)' },
  'attempt-timeout': { env: 'ROLLCALL_ATTEMPT_TIMEOUT', arg: 'D', help: 'one attempt at a peer: DNS, connection, handshake (2s)' },
  'close-timeout': { env: 'ROLLCALL_CLOSE_TIMEOUT', arg: 'D', help: "wait for peers' release acks on exit (10s)" },
  'session-timeout': { env: 'ROLLCALL_SESSION_TIMEOUT', arg: 'D', help: 'silence after which index 0 or a member counts as gone (10s)' },
  'dns-servers': { env: 'ROLLCALL_DNS_SERVERS', arg: 'LIST', help: 'host[:port],… (default: resolv.conf)' },
  'ip-family': { env: 'ROLLCALL_IP_FAMILY', arg: 'F', help: 'auto | ipv4 | ipv6 | dual (auto)' },
  concurrency: { env: 'ROLLCALL_CONCURRENCY', arg: 'N', help: 'attempts in flight at once (64)' },
  'env-from': { env: 'ROLLCALL_ENV_FILE', arg: 'PATH', help: 'dotenv file with any ROLLCALL_* value' },
  'log-format': { env: 'ROLLCALL_LOG_FORMAT', arg: 'F', help: 'text | json (text)' },
  'log-interval': { env: 'ROLLCALL_LOG_INTERVAL', arg: 'D', help: 'how often the "k/N confirmed" line is logged (5s)' },
  'termination-log': { env: 'ROLLCALL_TERMINATION_LOG', arg: 'PATH', help: '(/dev/termination-log)' },
} as const satisfies Record<string, FlagSpec>;

/** The group's life while a workload runs. */
export const LIFE_FLAGS = {
  restarts: { env: 'ROLLCALL_RESTARTS', arg: 'N', help: 'gang restarts: on a failure, stop every workload and start all again together, up to N times (0)' },
  'fatal-exit-codes': { env: 'ROLLCALL_FATAL_EXIT_CODES', arg: 'L', help: 'exit codes that end the group without a restart (e.g. 78)' },
  'exit-timeout': { env: 'ROLLCALL_EXIT_TIMEOUT', arg: 'D', help: 'after success, wait this long for every pod to finish; index 0 leaves last (5m; 0 turns the exit barrier off)' },
  grace: { env: 'ROLLCALL_GRACE', arg: 'D', help: 'SIGTERM to SIGKILL when the group stops a workload (10s)' },
  'stall-timeout': {
    env: 'ROLLCALL_STALL_TIMEOUT',
    arg: 'D',
    help: 'a workload that touched $ROLLCALL_PROGRESS_FILE once and then not for this long, while it runs, is stalled: a failure (off)',
  },
} as const satisfies Record<string, FlagSpec>;

/** The env the workload gets. */
export const WORKLOAD_FLAGS = {
  'hostfile-format': { env: 'ROLLCALL_HOSTFILE_FORMAT', arg: 'F', help: 'plain | openmpi | mpich (plain)' },
  slots: { env: 'ROLLCALL_SLOTS', arg: 'N', help: 'slots per host in the hostfile (1)' },
  'master-port': { env: 'ROLLCALL_MASTER_PORT', arg: 'N', help: 'MASTER_PORT for the workload (29500)' },
  preset: { env: 'ROLLCALL_PRESET', arg: 'P', help: 'torchrun | tf | jax | openmpi | openmpi5 | mpich (MPI: mpirun starts its daemons through rollcall exec)' },
  'workload-hosts': { env: 'ROLLCALL_WORKLOAD_HOSTS', arg: 'H', help: 'names | addresses: what MASTER_ADDR, the hostfile and the presets name each pod by (names; local: addresses)' },
} as const satisfies Record<string, FlagSpec>;

export const FLAGS: Record<string, FlagSpec> = { ...GROUP_FLAGS, ...LIFE_FLAGS, ...WORKLOAD_FLAGS };
