import { ConfigError } from '../errors.js';
import { parseInteger, type SettingSource } from '../settings.js';
import { agree, agreeNumber, explicit, groupInteger, type Given } from './given.js';
import { MAX_GROUP_SIZE, Membership, parseGroupParts, placesInHostname } from './membership.js';
import { assertDnsLabel, isDnsLabel, podHostname } from './names.js';

/** What says which group a pod is in and its place there, given as options rather than read. */
export interface GroupOptions {
  index?: number;
  /** The group's size: the Job's completions; with `minCount`, the most pods an elastic group runs with. */
  count?: number;
  /**
   * An elastic group's fewest pods (ROLLCALL_COUNT=MIN:MAX): a round releases at `count` at once, or with
   * at least this many once the last call has passed with no newcomer.
   */
  minCount?: number;
  jobName?: string;
  /**
   * A group across the Jobs of a JobSet: its parts (replicatedJobs) in rank order, `name:pods` or
   * `name:JOBSxPODS` (`driver:1,workers:2x4`). Pods are then `<jobset>-<part>-<jobIndex>-<podIndex>`.
   */
  group?: string;
}

/** This pod's group and its rank there; and, for a LeaderWorkerSet, the Service its leader's address names. */
export interface Place {
  index: number;
  membership: Membership;
  service?: { subdomain: Given; namespace: Given };
}

/**
 * Which group this pod is in, by what Kubernetes made it: the Jobs of a JobSet (`ROLLCALL_GROUP` given), a
 * LeaderWorkerSet's group (its `LWS_*` env), or one Indexed Job.
 */
export function groupOfPod(options: GroupOptions, settings: SettingSource, hostname: string): Place {
  const parts = explicit(options.group, 'group', settings, 'ROLLCALL_GROUP');
  const leader = explicit(undefined, 'LWS_LEADER_ADDRESS', settings, 'LWS_LEADER_ADDRESS');
  if (parts !== undefined && leader !== undefined) {
    throw new ConfigError(parts.name, parts.value, `is for the Jobs of a JobSet, and this pod is a LeaderWorkerSet's (${leader.name} is set)`, `Unset ${parts.name}: a LeaderWorkerSet's group is read from its own env.`);
  }
  if (parts !== undefined) return ofParts(parts, options, settings, hostname);
  if (leader !== undefined) return ofLeaderWorkerSet(leader, options, settings, hostname);
  return ofJob(options, settings, hostname);
}

/** One Indexed Job: ROLLCALL_COUNT pods named `<job>-<index>`, or MIN to MAX of them (`MIN:MAX`). */
function ofJob(options: GroupOptions, settings: SettingSource, hostname: string): Place {
  const { count, min } = jobCount(options, settings);
  if (count > MAX_GROUP_SIZE) {
    throw new ConfigError(
      'ROLLCALL_COUNT',
      String(count),
      `is above ${MAX_GROUP_SIZE.toLocaleString('en-US')}, the most completions Kubernetes allows an Indexed Job`,
      `Set ROLLCALL_COUNT to the Job's .spec.completions, which is at most ${MAX_GROUP_SIZE.toLocaleString('en-US')}.`,
    );
  }
  const index = podIndex(settings, options.index);
  if (index.value >= count) {
    throw new ConfigError(
      index.name,
      String(index.value),
      `is not below the group size ${count} (ROLLCALL_COUNT)`,
      'Set ROLLCALL_COUNT to the Job\'s .spec.completions.',
    );
  }
  const inIndexedJob = settings.get('JOB_COMPLETION_INDEX') !== undefined;
  const explicitJob = explicit(options.jobName, 'jobName', settings, 'ROLLCALL_JOB_NAME');
  const ownJob = inIndexedJob ? jobFromHostnameIfAny(hostname, index.value) : undefined;
  const jobName = explicitJob?.value ?? jobFromHostname(hostname, index.value);
  assertDnsLabel('ROLLCALL_JOB_NAME', jobName);
  // Kubernetes refuses a pod hostname over 63 characters; the largest index decides whether all fit.
  assertDnsLabel('ROLLCALL_JOB_NAME', podHostname(jobName, count - 1));
  agree(explicitJob, ownJob, `the hostname "${hostname}" (<job>-<index>)`);
  return { index: index.value, membership: Membership.ofJob(jobName, count, min) };
}

const ELASTIC_COUNT = /^\s*(\d+)\s*:\s*(\d+)\s*$/;

/** The Job's size, `N` or `MIN:MAX`, from the options or ROLLCALL_COUNT. */
function jobCount(options: GroupOptions, settings: SettingSource): { count: number; min: number } {
  const found = options.count === undefined ? settings.get('ROLLCALL_COUNT') : undefined;
  const elastic = found === undefined ? undefined : ELASTIC_COUNT.exec(found.value);
  const hint = "Set ROLLCALL_COUNT to the Job's .spec.completions, or MIN:MAX for an elastic group (the Job's completions as MAX).";
  if (found !== undefined && elastic !== null && elastic !== undefined) {
    const min = parseInteger(found.variable, elastic[1] as string, { min: 1 });
    const count = parseInteger(found.variable, elastic[2] as string, { min: 1 });
    if (min > count) throw new ConfigError(found.variable, found.value, `asks for at least ${min} pods and at most ${count}`, 'Give MIN:MAX with MIN ≤ MAX, e.g. "2:4".');
    return { count, min };
  }
  const count = groupInteger(settings, { option: options.count, name: 'count', variables: ['ROLLCALL_COUNT'], min: 1 }, 'is required: Kubernetes does not tell a pod how many completions its Job has', hint);
  if (options.minCount === undefined) return { count, min: count };
  if (!Number.isSafeInteger(options.minCount) || options.minCount < 1 || options.minCount > count) {
    throw new TypeError(`Expected \`minCount\` to be an integer from 1 to \`count\` (${count}), got ${String(options.minCount)}`);
  }
  return { count, min: options.minCount };
}

/** Elastic size is one Indexed Job's: the Jobs of a JobSet or a LeaderWorkerSet group have their size fixed. */
function refuseElastic(options: GroupOptions, settings: SettingSource, what: string): void {
  const count = explicit(options.count, 'count', settings, 'ROLLCALL_COUNT');
  const given = options.minCount !== undefined ? { name: 'minCount', value: String(options.minCount) } : count !== undefined && count.value.includes(':') ? count : undefined;
  if (given !== undefined) throw new ConfigError(given.name, given.value, `makes the group elastic, and ${what} has a fixed size`, 'Elastic size (MIN:MAX) is for the pods of one Indexed Job.');
}

/**
 * The Jobs of a JobSet as one group: the parts are given, and the hostname says which part, Job and
 * completion index this pod is. Anything else the pod is told must agree with that.
 */
function ofParts(given: Given, options: GroupOptions, settings: SettingSource, hostname: string): Place {
  refuseElastic(options, settings, `a JobSet's group (${given.name})`);
  const parts = parseGroupParts(given.name, given.value);
  const short = hostname.split('.')[0] ?? hostname;
  const named = explicit(options.jobName, 'jobName', settings, 'ROLLCALL_JOB_NAME') ?? explicit(undefined, 'jobName', settings, 'JOBSET_NAME');
  const places = placesInHostname(hostname, parts, named?.value);
  const shape = `<jobset>-<part>-<jobIndex>-<podIndex> for a part of ${given.name} (${parts.map((part) => part.name).join(', ')})`;
  if (places.length === 0) {
    const withName = named === undefined ? '' : ` with the JobSet "${named.value}" (${named.name})`;
    throw new ConfigError(given.name, given.value, `does not fit this pod: its hostname "${short}" is not ${shape}${withName}`, 'List every replicatedJob of the JobSet, by the names its pods carry.');
  }
  if (places.length > 1) {
    throw new ConfigError(given.name, given.value, `reads the hostname "${short}" more than one way (${places.map((place) => `JobSet "${place.group}", part "${place.part.name}"`).join('; ')})`, "Set ROLLCALL_JOB_NAME to the JobSet's name.");
  }
  const place = places[0] as (typeof places)[number];
  const { part } = place;
  if (place.job >= part.jobs) throw new ConfigError(given.name, given.value, `gives part "${part.name}" ${part.jobs} Job(s), but this pod is in Job ${place.job} ("${short}")`, "Give the part as name:JOBSxPODS, JOBS being the replicatedJob's replicas.");
  if (place.pod >= part.completions) throw new ConfigError(given.name, given.value, `gives part "${part.name}" ${part.completions} pod(s) a Job, but this pod is index ${place.pod} ("${short}")`, "Give each part's pods a Job as its .spec.completions.");
  assertDnsLabel('ROLLCALL_JOB_NAME', place.group);
  const membership = Membership.ofParts(place.group, parts);
  // Kubernetes refuses a pod hostname over 63 characters; each part's last pod has its longest.
  for (const each of parts) assertDnsLabel('ROLLCALL_JOB_NAME', membership.hostname(membership.rankOf(each, each.jobs - 1, each.completions - 1)));
  const index = membership.rankOf(part, place.job, place.pod);

  agreeNumber(explicit(undefined, 'JOB_COMPLETION_INDEX', settings, 'JOB_COMPLETION_INDEX'), place.pod, `disagrees with the hostname "${short}", which says completion index ${place.pod}`, 'Run the pod as its JobSet made it.');
  const rank = explicit(options.index, 'index', settings, 'ROLLCALL_INDEX');
  agreeNumber(rank, index, `disagrees with this pod's rank ${index} in the group ${membership.describe()}`, `Unset ${rank?.name}: with ${given.name}, the rank comes from the hostname.`);
  const count = explicit(options.count, 'count', settings, 'ROLLCALL_COUNT');
  agreeNumber(count, membership.size, `disagrees with ${given.name}, a group of ${membership.size} pods`, `Unset ${count?.name}: with ${given.name}, the size is the parts' sum.`);
  return { index, membership };
}

/**
 * A LeaderWorkerSet's group: LWS_LEADER_ADDRESS is `<lws>-<g>.<subdomain>.<namespace>`, the leader is index
 * 0 and worker i (`LWS_WORKER_INDEX`) is `<lws>-<g>-<i>`, `LWS_GROUP_SIZE` in all. The pod's own hostname
 * must be the name that makes.
 */
function ofLeaderWorkerSet(address: Given, options: GroupOptions, settings: SettingSource, hostname: string): Place {
  refuseElastic(options, settings, 'a LeaderWorkerSet group');
  const [leader, subdomain, namespace, ...rest] = address.value.split('.');
  if (leader === undefined || subdomain === undefined || namespace === undefined || rest.length > 0 || ![leader, subdomain, namespace].every(isDnsLabel)) {
    throw new ConfigError(address.name, address.value, 'is not <leader>.<subdomain>.<namespace>, as the LeaderWorkerSet controller sets it', `Leave ${address.name} to the LeaderWorkerSet controller.`);
  }
  const size = groupInteger(settings, { option: undefined, name: 'LWS_GROUP_SIZE', variables: ['LWS_GROUP_SIZE'], min: 1 }, `is not set, though ${address.name} is`, 'Leave the LWS_* variables to the LeaderWorkerSet controller.');
  if (size > MAX_GROUP_SIZE) throw new ConfigError('LWS_GROUP_SIZE', String(size), `is above ${MAX_GROUP_SIZE.toLocaleString('en-US')}, the largest group rollcall takes`, 'Make the LeaderWorkerSet\'s size smaller.');
  const index = groupInteger(settings, { option: undefined, name: 'LWS_WORKER_INDEX', variables: ['LWS_WORKER_INDEX'], min: 0 }, `is not set, though ${address.name} is`, 'Leave the LWS_* variables to the LeaderWorkerSet controller.');
  if (index >= size) throw new ConfigError('LWS_WORKER_INDEX', String(index), `is not below LWS_GROUP_SIZE (${size})`, 'Leave the LWS_* variables to the LeaderWorkerSet controller.');
  const membership = Membership.ofLeader(leader, size);
  assertDnsLabel('LWS_LEADER_ADDRESS', membership.hostname(size - 1));
  const short = hostname.split('.')[0] ?? hostname;
  if (short !== membership.hostname(index)) {
    throw new ConfigError(address.name, address.value, `makes worker ${index}'s hostname "${membership.hostname(index)}", and this pod's is "${short}"`, 'Run the pod as its LeaderWorkerSet made it.');
  }
  agree(explicit(options.jobName, 'jobName', settings, 'ROLLCALL_JOB_NAME'), leader, `${address.name}'s leader`);
  const rank = explicit(options.index, 'index', settings, 'ROLLCALL_INDEX');
  agreeNumber(rank, index, `disagrees with LWS_WORKER_INDEX (${index}), this pod's place in its LeaderWorkerSet group`, `Unset ${rank?.name}: the LeaderWorkerSet gives the index.`);
  const count = explicit(options.count, 'count', settings, 'ROLLCALL_COUNT');
  agreeNumber(count, size, `disagrees with LWS_GROUP_SIZE (${size}), the LeaderWorkerSet group's size`, `Unset ${count?.name}: the LeaderWorkerSet gives the size.`);
  return { index, membership, service: { subdomain: { name: address.name, value: subdomain }, namespace: { name: address.name, value: namespace } } };
}

/**
 * ROLLCALL_INDEX (or the option) for runs outside an Indexed Job; JOB_COMPLETION_INDEX, which Kubernetes
 * sets, inside one. Both set and different is an error, not a silent choice: one of them is wrong.
 */
function podIndex(settings: SettingSource, option: number | undefined): { name: string; value: number } {
  const given = option === undefined ? settings.get('ROLLCALL_INDEX') : { variable: 'index', value: String(option) };
  const own = settings.get('JOB_COMPLETION_INDEX');
  const found = given ?? own;
  if (found === undefined) throw new ConfigError('JOB_COMPLETION_INDEX', undefined, 'is not set', 'Run in a Job with completionMode: Indexed, or set ROLLCALL_INDEX.');
  const value = parseInteger(found.variable, found.value, { min: 0 });
  if (given !== undefined && own !== undefined) {
    const ownValue = parseInteger(own.variable, own.value, { min: 0 });
    if (ownValue !== value) {
      throw new ConfigError(given.variable, given.value, `disagrees with JOB_COMPLETION_INDEX ("${own.value}"), the index Kubernetes gave this pod`, `Unset ${given.variable}: inside an Indexed Job the pod's own index is used.`);
    }
  }
  return { name: found.variable, value };
}

function jobFromHostnameIfAny(hostname: string, index: number): string | undefined {
  const short = hostname.split('.')[0] ?? hostname;
  const suffix = `-${index}`;
  return short.endsWith(suffix) && short.length > suffix.length ? short.slice(0, -suffix.length) : undefined;
}

function jobFromHostname(hostname: string, index: number): string {
  const job = jobFromHostnameIfAny(hostname, index);
  if (job === undefined) {
    throw new ConfigError(
      'ROLLCALL_JOB_NAME',
      undefined,
      `cannot be taken from the hostname "${hostname.split('.')[0] ?? hostname}", which is not "<job>-${index}"`,
      'Set ROLLCALL_JOB_NAME, or run as a pod of an Indexed Job (its hostname is <job>-<index>).',
    );
  }
  return job;
}
