import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { ConfigError } from '../errors.js';
import { assertDnsLabel, assertDomain, podHostname } from './names.js';
import { SettingSource, parseInteger, type Env } from '../settings.js';
import { parseKubeletHosts, parseSearchDomain } from './pod-files.js';

/** Who this pod is within its Indexed Job, and where its peers' names live. */
export interface Identity {
  index: number;
  count: number;
  jobName: string;
  /** The headless Service named as the pod template's `subdomain`. */
  subdomain: string;
  /** Known when the pod files or env tell; without namespace and domain, names go through the system resolver. */
  namespace: string | undefined;
  clusterDomain: string | undefined;
  hostname: string;
  /** This pod's own IPs as the kubelet wrote them into /etc/hosts (empty when unknown). */
  podIps: string[];
}

export interface IdentityOptions {
  index?: number;
  count?: number;
  jobName?: string;
  subdomain?: string;
  namespace?: string;
  clusterDomain?: string;
  hostname?: string;
  /** Where the kubelet's files are; tests and non-Kubernetes runs point these elsewhere. */
  files?: PodFiles;
}

export interface PodFiles {
  hosts?: string;
  resolvConf?: string;
  serviceAccountNamespace?: string;
}

/** Kubernetes refuses an Indexed Job with more completions; a larger group would only exhaust the heap. */
export const MAX_GROUP_SIZE = 100_000;

const DEFAULT_FILES: Required<PodFiles> = {
  hosts: '/etc/hosts',
  resolvConf: '/etc/resolv.conf',
  serviceAccountNamespace: '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
};

/** Who this pod is, from options, then env, then the env file, then the pod's own files. */
export function readIdentity(options: IdentityOptions & { env?: Env; envFile?: string } = {}): Identity {
  return detectIdentity(options, new SettingSource(options.env ?? process.env, options.envFile));
}

export function detectIdentity(options: IdentityOptions, settings: SettingSource): Identity {
  const files = { ...DEFAULT_FILES, ...options.files };
  const count = groupInteger(settings, { option: options.count, name: 'count', variables: ['ROLLCALL_COUNT'], min: 1 }, 'is required: Kubernetes does not tell a pod how many completions its Job has', "Set ROLLCALL_COUNT to the Job's .spec.completions.");
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

  const hostname = options.hostname ?? osHostname();
  const inIndexedJob = settings.get('JOB_COMPLETION_INDEX') !== undefined;
  const explicitJob = explicit(options.jobName, 'jobName', settings, 'ROLLCALL_JOB_NAME');
  const ownJob = inIndexedJob ? jobFromHostnameIfAny(hostname, index.value) : undefined;
  const jobName = explicitJob?.value ?? jobFromHostname(hostname, index.value);
  assertDnsLabel('ROLLCALL_JOB_NAME', jobName);
  // Kubernetes refuses a pod hostname over 63 characters; the largest index decides whether all fit.
  assertDnsLabel('ROLLCALL_JOB_NAME', podHostname(jobName, count - 1));
  agree(explicitJob, ownJob, `the hostname "${hostname}" (<job>-<index>)`);

  // The kubelet's line is about this pod only under the pod's own name; on any other machine the
  // hosts file describes something else and must not decide this pod's addresses.
  const hosts = readOptional(files.hosts);
  const fromHosts = hosts === undefined ? undefined : parseKubeletHosts(hosts, podHostname(jobName, index.value));
  const fromResolv = mapOptional(readOptional(files.resolvConf), parseSearchDomain);

  // The kubelet's line is the pod's own word on these: an explicit value that disagrees would build names
  // that are not this pod's, and the group would wait for a pod that does not exist.
  const kubelet = `the kubelet's line for ${hostname} in ${files.hosts}`;
  const explicitSubdomain = explicit(options.subdomain, 'subdomain', settings, 'ROLLCALL_SUBDOMAIN');
  agree(explicitSubdomain, fromHosts?.subdomain, kubelet);
  const explicitNamespace = explicit(options.namespace, 'namespace', settings, 'ROLLCALL_NAMESPACE');
  agree(explicitNamespace, fromHosts?.namespace, kubelet);
  const explicitDomain = explicit(options.clusterDomain, 'clusterDomain', settings, 'ROLLCALL_CLUSTER_DOMAIN');
  agree(explicitDomain, fromHosts?.clusterDomain, kubelet, (value) => value.replace(/\.$/, ''));

  const subdomain = explicitSubdomain?.value ?? fromHosts?.subdomain;
  if (subdomain === undefined) {
    throw new ConfigError(
      'ROLLCALL_SUBDOMAIN',
      undefined,
      `cannot be detected: ${files.hosts} has no "<ip> ${hostname}.<subdomain>.<namespace>.svc.<domain>" line`,
      'Set the pod template\'s spec.subdomain to the headless Service\'s name, or set ROLLCALL_SUBDOMAIN.',
    );
  }
  assertDnsLabel('ROLLCALL_SUBDOMAIN', subdomain);

  const namespace =
    explicitNamespace?.value ??
    fromHosts?.namespace ??
    fromResolv?.namespace ??
    readOptional(files.serviceAccountNamespace)?.trim();
  if (namespace !== undefined) assertDnsLabel('ROLLCALL_NAMESPACE', namespace);

  const rawDomain = explicitDomain?.value ?? fromHosts?.clusterDomain ?? fromResolv?.clusterDomain;
  const clusterDomain = rawDomain === undefined ? undefined : assertDomain('ROLLCALL_CLUSTER_DOMAIN', rawDomain);

  return { index: index.value, count, jobName, subdomain, namespace, clusterDomain, hostname, podIps: fromHosts?.podIps ?? [] };
}

/**
 * The group's size or this pod's index: the option when given, else the first of `variables` that is set,
 * held to one rule either way. Missing altogether, it is an error that says how to fix it.
 */
function groupInteger(
  settings: SettingSource,
  { option, name, variables, min }: { option: number | undefined; name: string; variables: [string, ...string[]]; min: number },
  problem: string,
  hint: string,
): number {
  if (option !== undefined) return parseInteger(name, String(option), { min });
  const found = settings.get(...variables);
  if (found === undefined) throw new ConfigError(variables[0], undefined, problem, hint);
  return parseInteger(found.variable, found.value, { min });
}

interface Given {
  name: string;
  value: string;
}

/** A value the user gave: the option, else its variable (environment, then env file). */
function explicit(option: string | undefined, name: string, settings: SettingSource, variable: string): Given | undefined {
  if (option !== undefined) return { name, value: option };
  const found = settings.get(variable);
  return found === undefined ? undefined : { name: found.variable, value: found.value };
}

/** A value given explicitly must match what the pod itself says, where it says anything. */
function agree(given: Given | undefined, own: string | undefined, ownSource: string, normalise = (value: string) => value): void {
  if (given === undefined || own === undefined || normalise(given.value) === normalise(own)) return;
  throw new ConfigError(given.name, given.value, `disagrees with ${ownSource}, which says "${own}"`, `Unset ${given.name} (rollcall reads the pod's own), or make the pod and ${given.name} agree.`);
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

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function mapOptional<T, R>(value: T | undefined, map: (value: T) => R): R | undefined {
  return value === undefined ? undefined : map(value);
}
