import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { assertDnsLabel, assertDomain, podHostname } from './names.js';
import { SettingSource, parseInteger, type Env } from '../settings.js';

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
  const index = groupInteger(settings, { option: options.index, name: 'index', variables: ['JOB_COMPLETION_INDEX', 'ROLLCALL_INDEX'], min: 0 }, 'is not set', 'Run in a Job with completionMode: Indexed, or set ROLLCALL_INDEX.');
  if (index >= count) {
    throw new ConfigError(
      'JOB_COMPLETION_INDEX',
      String(index),
      `is not below the group size ${count} (ROLLCALL_COUNT)`,
      'Set ROLLCALL_COUNT to the Job\'s .spec.completions.',
    );
  }

  const hostname = options.hostname ?? osHostname();
  const jobName = options.jobName ?? settings.get('ROLLCALL_JOB_NAME')?.value ?? jobFromHostname(hostname, index);
  assertDnsLabel('ROLLCALL_JOB_NAME', jobName);
  // Kubernetes refuses a pod hostname over 63 characters; the largest index decides whether all fit.
  assertDnsLabel('ROLLCALL_JOB_NAME', podHostname(jobName, count - 1));

  // The kubelet's line is about this pod only under the pod's own name; on any other machine the
  // hosts file describes something else and must not decide this pod's addresses.
  const hosts = readOptional(files.hosts);
  const fromHosts = hosts === undefined ? undefined : parseKubeletHosts(hosts, podHostname(jobName, index));
  const fromResolv = mapOptional(readOptional(files.resolvConf), parseSearchDomain);

  const subdomain = options.subdomain ?? settings.get('ROLLCALL_SUBDOMAIN')?.value ?? fromHosts?.subdomain;
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
    options.namespace ??
    settings.get('ROLLCALL_NAMESPACE')?.value ??
    fromHosts?.namespace ??
    fromResolv?.namespace ??
    readOptional(files.serviceAccountNamespace)?.trim();
  if (namespace !== undefined) assertDnsLabel('ROLLCALL_NAMESPACE', namespace);

  const rawDomain = options.clusterDomain ?? settings.get('ROLLCALL_CLUSTER_DOMAIN')?.value ?? fromHosts?.clusterDomain ?? fromResolv?.clusterDomain;
  const clusterDomain = rawDomain === undefined ? undefined : assertDomain('ROLLCALL_CLUSTER_DOMAIN', rawDomain);

  return { index, count, jobName, subdomain, namespace, clusterDomain, hostname, podIps: fromHosts?.podIps ?? [] };
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

function jobFromHostname(hostname: string, index: number): string {
  const suffix = `-${index}`;
  const short = hostname.split('.')[0] ?? hostname;
  if (!short.endsWith(suffix) || short.length === suffix.length) {
    throw new ConfigError(
      'ROLLCALL_JOB_NAME',
      undefined,
      `cannot be taken from the hostname "${short}", which is not "<job>-${index}"`,
      'Set ROLLCALL_JOB_NAME, or run as a pod of an Indexed Job (its hostname is <job>-<index>).',
    );
  }
  return short.slice(0, -suffix.length);
}

interface HostsFacts {
  subdomain: string | undefined;
  namespace: string | undefined;
  clusterDomain: string | undefined;
  podIps: string[];
}

/**
 * The kubelet writes `<podIP>\t<host>.<subdomain>.<ns>.svc.<domain>\t<host>` for a pod with a
 * subdomain (one line per pod IP on dual-stack), and `<podIP>\t<host>` without one.
 */
export function parseKubeletHosts(text: string, hostname: string): HostsFacts {
  const facts: HostsFacts = { subdomain: undefined, namespace: undefined, clusterDomain: undefined, podIps: [] };
  const short = hostname.split('.')[0] ?? hostname;
  for (const line of text.split('\n')) {
    const [ip, ...names] = (line.split('#')[0] ?? '').trim().split(/\s+/);
    if (ip === undefined || isIP(ip) === 0 || !names.some((name) => name === short || name.startsWith(`${short}.`))) continue;
    if (!facts.podIps.includes(ip)) facts.podIps.push(ip);
    for (const name of names) {
      const labels = name.split('.');
      if (labels[0] === short && labels.length >= 5 && labels[3] === 'svc') {
        facts.subdomain ??= labels[1];
        facts.namespace ??= labels[2];
        facts.clusterDomain ??= labels.slice(4).join('.');
      }
    }
  }
  return facts;
}

/** A pod's resolv.conf searches `<ns>.svc.<domain> svc.<domain> <domain>` first. */
export function parseSearchDomain(text: string): { namespace: string; clusterDomain: string } | undefined {
  for (const line of text.split('\n')) {
    const [keyword, first] = line.trim().split(/\s+/);
    if (keyword !== 'search' || first === undefined) continue;
    const labels = first.replace(/\.$/, '').split('.');
    if (labels.length >= 3 && labels[1] === 'svc' && labels[0] !== undefined) {
      return { namespace: labels[0], clusterDomain: labels.slice(2).join('.') };
    }
    return undefined;
  }
  return undefined;
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
